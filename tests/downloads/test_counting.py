"""Which answers count as a download, decided from the answer itself (``handover``), and who
the limit counts them against (``asker_for``, ``admit_response``): the rules the download route
applies, tested without it."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask import Response
from sqlalchemy import select

from portal.clock import utcnow
from portal.downloads import services
from portal.downloads.models import Download
from portal.downloads.services import Handover
from portal.extensions import db
from portal.orders.models import OrderLine, OrderState

NOW = utcnow().replace(microsecond=0)
HOME = "198.51.100.7"


def _answer(status: int, content_range: str | None = None, **headers) -> Response:
    response = Response(b"", status=status, headers=headers)
    if content_range:
        response.headers["Content-Range"] = content_range
    return response


@pytest.mark.parametrize(
    ("answer", "handed"),
    [
        (_answer(200), Handover.WHOLE),
        (_answer(206, "bytes 0-99/1000"), Handover.WHOLE),  # a range from the first byte
        (_answer(206, "bytes 1-99/1000"), Handover.REST),
        (_answer(206, "bytes 900-999/1000"), Handover.REST),
        (_answer(206), Handover.WHOLE),  # several ranges: no single Content-Range
        (_answer(302, Location="https://store.example/x"), Handover.WHOLE),
        (_answer(200, **{"X-Accel-Redirect": "/protected/x"}), Handover.WHOLE),
        (_answer(304), Handover.NOTHING),
        (_answer(412), Handover.NOTHING),
        (_answer(416, "bytes */1000"), Handover.NOTHING),
    ],
)
def test_what_an_answer_hands_over(answer, handed):
    assert services.handover(answer) is handed


def test_only_not_modified_a_failed_precondition_and_a_range_past_the_end_send_nothing():
    nothing = {
        status
        for status in range(100, 600)
        if services.handover(_answer(status)) is Handover.NOTHING
    }
    assert nothing == {304, 412, 416}


@pytest.mark.parametrize(
    ("user", "address", "agent", "expected"),
    [
        (SimpleNamespace(id=7, is_authenticated=True), HOME, "Reader/2.0", (7, HOME, "Reader/2.0")),
        (
            SimpleNamespace(id=7, is_authenticated=False),
            HOME,
            "Reader/2.0",
            (None, HOME, "Reader/2.0"),
        ),
        (None, None, None, (None, "", "")),
        (SimpleNamespace(id=7), HOME, "R/1", (None, HOME, "R/1")),  # not a signed-in account
    ],
    ids=["signed-in", "guest", "nothing-known", "no-account"],
)
def test_the_asker_is_the_account_when_signed_in_and_the_address_always(
    user, address, agent, expected
):
    asker = services.asker_for(services.LINK, user, address, agent)
    assert (asker.via, asker.user_id, asker.ip_address, asker.user_agent) == (
        services.LINK,
        *expected,
    )


@pytest.fixture
def line(ctx, create_order, create_report):
    """A paid PDF line whose downloads are limited to 2."""
    report = create_report(with_pdf=True)
    report.formats[0].download_limit = 2
    order = create_order(report=report, state=OrderState.PAID)
    return order.lines[0]


def _records(line: OrderLine) -> list[Download]:
    return list(db.session.scalars(select(Download).where(Download.order_line_id == line.id)))


def _closed(response: Response) -> list[bool]:
    closed: list[bool] = []
    response.call_on_close(lambda: closed.append(True))
    return closed


def test_an_admitted_answer_is_recorded_and_left_open(line):
    asker = services.Asker(via=services.ACCOUNT, user_id=None, ip_address=HOME, user_agent="R/1")
    answer = _answer(200)
    closed = _closed(answer)

    assert services.admit_response(line, asker, answer) is True

    assert closed == []
    [record] = _records(line)
    assert (record.via, record.ip_address, record.user_agent) == ("account", HOME, "R/1")


def test_a_refused_answer_is_closed_and_nothing_is_recorded(line):
    for _ in range(2):
        db.session.add(Download(order_line_id=line.id, via="link", at=NOW - timedelta(days=1)))
    db.session.flush()
    asker = services.Asker(via=services.LINK, user_id=None, ip_address=HOME)
    answer = _answer(206, "bytes 100-199/1000")
    closed = _closed(answer)

    assert services.admit_response(line, asker, answer) is False

    assert closed == [True]
    assert len(_records(line)) == 2


@pytest.mark.parametrize(
    ("via", "answer", "admitted", "recorded"),
    [
        (services.ACCOUNT, _answer(200), True, 1),
        (services.ACCOUNT, _answer(304), True, 0),
        (services.ADMIN, _answer(200), True, 1),
        (services.ADMIN, _answer(304), True, 0),
        (services.ADMIN, _answer(206, "bytes 5-9/10"), True, 1),
    ],
)
def test_what_is_recorded_below_the_limit(line, via, answer, admitted, recorded):
    asker = services.Asker(via=via, user_id=None, ip_address=HOME)
    assert services.admit_response(line, asker, answer) is admitted
    assert len(_records(line)) == recorded


def test_an_administrator_past_the_limit_is_still_served_and_recorded(line):
    for _ in range(2):
        db.session.add(Download(order_line_id=line.id, via="link", at=NOW - timedelta(days=1)))
    db.session.flush()
    asker = services.Asker(via=services.ADMIN, user_id=None, ip_address=HOME)

    assert not services.used_up(line, services.ADMIN)
    assert services.used_up(line, services.LINK)
    assert services.admit_response(line, asker, _answer(200)) is True
    assert [r.via for r in _records(line)].count("admin") == 1
    assert services.downloads_used(line) == 2


def test_a_long_address_and_browser_name_are_cut_to_fit(line):
    asker = services.Asker(
        via=services.LINK, user_id=None, ip_address="x" * 60, user_agent="y" * 400
    )
    services.admit_response(line, asker, _answer(200))
    [record] = _records(line)
    assert (record.ip_address, record.user_agent) == ("x" * 45, "y" * 300)


@pytest.fixture
def clock(monkeypatch):
    """The downloads service's clock, stopped at NOW."""
    monkeypatch.setattr(services, "utcnow", lambda: NOW)
    return NOW


REST = "bytes 100-199/1000"


@pytest.mark.parametrize(
    ("earlier", "counted"),
    [
        (NOW - services.RESUME_WINDOW, 0),  # exactly an hour ago: still that download
        (NOW - services.RESUME_WINDOW - timedelta(seconds=1), 1),
        (NOW, 0),  # at this very moment
        (NOW + timedelta(minutes=1), 1),  # recorded as later than now: not one this continues
    ],
)
def test_the_rest_of_a_file_continues_only_a_download_made_within_the_hour_before(
    line, clock, earlier, counted
):
    db.session.add(Download(order_line_id=line.id, via="link", at=earlier, ip_address=HOME))
    db.session.flush()
    asker = services.Asker(via=services.LINK, user_id=None, ip_address=HOME)

    assert services.admit_response(line, asker, _answer(206, REST)) is True

    assert len(_records(line)) == 1 + counted


def test_a_download_of_another_line_is_not_continued_by_this_one(
    line, clock, create_order, create_report
):
    other = create_order(report=create_report(with_pdf=True), state=OrderState.PAID).lines[0]
    db.session.add(
        Download(order_line_id=other.id, via="link", at=NOW - timedelta(minutes=5), ip_address=HOME)
    )
    db.session.flush()
    asker = services.Asker(via=services.LINK, user_id=None, ip_address=HOME)

    services.admit_response(line, asker, _answer(206, REST))

    assert len(_records(line)) == 1


def test_a_download_is_recorded_at_the_moment_it_was_admitted_with_what_is_known(line, clock):
    asker = services.Asker(via=services.LINK, user_id=None, ip_address="", user_agent="")

    services.admit_response(line, asker, _answer(200))

    [record] = _records(line)
    assert (record.at, record.ip_address, record.user_agent) == (NOW, "", "")


@pytest.mark.parametrize(
    ("downloads", "downloaded"),
    [
        ((), False),
        (("link",), True),
        (("account",), True),
        (("admin",), False),  # an administrator looking at it is no download of the buyer's
        (("admin", "browser"), True),
    ],
)
def test_an_order_is_downloaded_once_anyone_but_an_administrator_downloaded_it(
    line, create_order, create_report, downloads, downloaded
):
    other = create_order(report=create_report(with_pdf=True), state=OrderState.PAID).lines[0]
    db.session.add(Download(order_line_id=other.id, via="link", at=NOW))  # another order's
    for via in downloads:
        db.session.add(Download(order_line_id=line.id, via=via, at=NOW))
    db.session.flush()

    assert services.was_downloaded(line.order) is downloaded
