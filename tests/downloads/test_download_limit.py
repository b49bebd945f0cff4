"""The download limit: one gate for every request, with a byte range or without.

A request that hands over the file from its first byte is a new download and counts; one that
starts later counts too, unless it continues a download the same person made from the same
address within the hour; once a line's downloads are used up nothing more is served.
"""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.clock import utcnow
from portal.downloads import services
from portal.downloads.models import Download
from portal.extensions import db
from portal.orders.models import OrderLine

NOW = utcnow().replace(microsecond=0)
HOME = "198.51.100.7"
ELSEWHERE = "203.0.113.9"


@pytest.fixture
def clock(monkeypatch):
    """The downloads service's clock, stopped at NOW."""
    monkeypatch.setattr(services, "utcnow", lambda: NOW)
    return NOW


def _limit(app, paid_line, limit: int) -> None:
    with app.app_context():
        db.session.get(OrderLine, paid_line["line"]).report_format.download_limit = limit
        db.session.commit()


def _downloads(app, paid_line) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(Download.id)).where(Download.order_line_id == paid_line["line"])
        )


def _earlier_download(app, paid_line, *, ago: timedelta, by_owner: bool, address: str) -> None:
    with app.app_context():
        db.session.add(
            Download(
                order_line_id=paid_line["line"],
                user_id=paid_line["owner"].id if by_owner else None,
                via="account" if by_owner else "link",
                at=NOW - ago,
                ip_address=address,
            )
        )
        db.session.commit()


def _get(client, paid_line, *, as_guest: bool, headers=None, address: str = HOME):
    token = f"?token={paid_line['token']}" if as_guest else ""
    return client.get(
        f"/downloads/{paid_line['line']}{token}",
        headers=headers or {},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.mark.parametrize("as_guest", [False, True], ids=["owner", "link"])
@pytest.mark.parametrize(
    "byte_range",
    [
        None,
        "bytes=1-",
        "bytes=100-199",
        "bytes=0-",
        "bytes=0-0",
        "bytes=-100",
        "bytes=-999999999",
        "bytes=1-5,0-10",
        "bytes=999999999-",
        "bytes=nonsense",
    ],
)
def test_past_the_limit_no_request_gets_any_of_the_file(
    app, client, auth, paid_line, clock, as_guest, byte_range
):
    _limit(app, paid_line, 2)
    if not as_guest:
        auth.sign_in(paid_line["owner"].email)
    for _ in range(2):  # the same person, from the same address, moments earlier
        with _get(client, paid_line, as_guest=as_guest) as whole:
            assert whole.status_code == 200
    headers = {"Range": byte_range} if byte_range else {}

    with _get(client, paid_line, as_guest=as_guest, headers=headers) as refused:
        assert refused.status_code == 403
        assert refused.mimetype == "text/html"
        assert "You have reached the download limit" in refused.get_data(as_text=True)
    assert _downloads(app, paid_line) == 2


@pytest.mark.parametrize(
    ("earlier", "as_guest", "byte_range", "address", "counted"),
    [
        # Continuing a recent download of the same person from the same address: not again.
        ({"ago": timedelta(minutes=10), "by_owner": True}, False, "bytes=1-", HOME, 0),
        ({"ago": timedelta(minutes=59), "by_owner": True}, False, "bytes=5000-", HOME, 0),
        ({"ago": timedelta(minutes=10), "by_owner": False}, True, "bytes=1-", HOME, 0),
        ({"ago": timedelta(minutes=10), "by_owner": True}, False, "bytes=-100", HOME, 0),
        # Anything else is a download of its own.
        (None, False, "bytes=1-", HOME, 1),
        ({"ago": timedelta(minutes=61), "by_owner": True}, False, "bytes=1-", HOME, 1),
        ({"ago": timedelta(minutes=10), "by_owner": True}, False, "bytes=1-", ELSEWHERE, 1),
        ({"ago": timedelta(minutes=10), "by_owner": True}, True, "bytes=1-", HOME, 1),
        ({"ago": timedelta(minutes=10), "by_owner": False}, False, "bytes=1-", HOME, 1),
        ({"ago": timedelta(minutes=10), "by_owner": True}, False, "bytes=0-", HOME, 1),
        ({"ago": timedelta(minutes=10), "by_owner": True}, False, None, HOME, 1),
    ],
)
def test_a_range_counts_unless_it_continues_a_recent_download_by_the_same_person(
    app, client, auth, paid_line, clock, earlier, as_guest, byte_range, address, counted
):
    if earlier:
        _earlier_download(app, paid_line, address=HOME, **earlier)
    before = _downloads(app, paid_line)
    if not as_guest:
        auth.sign_in(paid_line["owner"].email)
    headers = {"Range": byte_range} if byte_range else {}

    with _get(client, paid_line, as_guest=as_guest, headers=headers, address=address) as served:
        assert served.status_code in (200, 206)
        assert served.data
    assert _downloads(app, paid_line) - before == counted


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Range": "bytes=999999999-"}, 416),  # nothing to send
        ({"Range": "bytes=-999999999"}, 416),
        ({"Range": "bytes=1-5,0-10"}, 416),  # several ranges are not served
        ({"Range": "bytes=nonsense"}, 416),
        ({"If-None-Match": "the-etag"}, 304),  # the browser's copy is current
    ],
)
def test_an_answer_that_sends_nothing_is_not_a_download(
    app, client, auth, paid_line, clock, headers, status
):
    auth.sign_in(paid_line["owner"].email)
    with _get(client, paid_line, as_guest=False) as whole:
        etag = whole.headers["ETag"]
    sent = {name: value.replace("the-etag", etag) for name, value in headers.items()}
    with _get(client, paid_line, as_guest=False, headers=sent) as answer:
        assert answer.status_code == status
    assert _downloads(app, paid_line) == 1


@pytest.mark.parametrize("offload", ["x-accel-redirect", "x-sendfile"])
def test_a_file_handed_to_the_front_web_server_is_always_a_new_download(
    app, client, auth, paid_line, clock, monkeypatch, offload
):
    """nginx (or Apache) serves whatever range the request names, so a ranged request the portal
    hands over counts even just after a download of the same person."""
    monkeypatch.setitem(app.config, "DOWNLOAD_OFFLOAD", offload)
    _earlier_download(app, paid_line, ago=timedelta(minutes=1), by_owner=True, address=HOME)
    auth.sign_in(paid_line["owner"].email)
    with _get(client, paid_line, as_guest=False, headers={"Range": "bytes=1-"}) as handed:
        assert handed.status_code == 200
        assert {"X-Accel-Redirect", "X-Sendfile"} & set(handed.headers.keys())
    assert _downloads(app, paid_line) == 2


def test_an_administrator_is_never_limited_and_never_counted(app, client, paid_line, admin, clock):
    _limit(app, paid_line, 1)
    _earlier_download(app, paid_line, ago=timedelta(minutes=1), by_owner=True, address=HOME)
    for byte_range in (None, "bytes=1-"):
        headers = {"Range": byte_range} if byte_range else {}
        with _get(client, paid_line, as_guest=False, headers=headers) as served:
            assert served.status_code in (200, 206)
    with app.app_context():
        counted = services.downloads_used(db.session.get(OrderLine, paid_line["line"]))
    assert counted == 1


@pytest.mark.parametrize("byte_range", [None, "bytes=1-"])
def test_a_redirect_to_the_store_is_always_a_new_download(
    app, client, auth, paid_line, clock, monkeypatch, byte_range
):
    """A pre-signed URL serves whatever range its holder asks for, so the portal counts it
    whole, and refuses it past the limit, whatever range the request named."""
    from flask import redirect

    from portal.storage.local import LocalStorage

    monkeypatch.setattr(
        LocalStorage, "send", lambda self, key, **kwargs: redirect("https://store.example/x")
    )
    _limit(app, paid_line, 2)
    _earlier_download(app, paid_line, ago=timedelta(minutes=1), by_owner=True, address=HOME)
    auth.sign_in(paid_line["owner"].email)
    headers = {"Range": byte_range} if byte_range else {}

    with _get(client, paid_line, as_guest=False, headers=headers) as first:
        assert first.status_code == 302
    assert _downloads(app, paid_line) == 2
    with _get(client, paid_line, as_guest=False, headers=headers) as refused:
        assert refused.status_code == 403 and "Location" not in refused.headers
    assert _downloads(app, paid_line) == 2


def test_a_download_refused_under_the_lock_closes_the_file_it_would_have_sent(
    app, client, auth, paid_line, clock, monkeypatch
):
    """The first look at the count happens before the line is locked; when another download
    takes the last one meanwhile, the gate refuses and the opened file is closed."""
    from portal.storage.local import LocalStorage

    real_used_up, looks = services.used_up, []

    def another_download_got_there_first(line, via):
        looks.append(via)
        return len(looks) > 1 and real_used_up(line, via)

    monkeypatch.setattr(services, "used_up", another_download_got_there_first)
    closed = []
    real_send = LocalStorage.send

    def send(self, key, **kwargs):
        response = real_send(self, key, **kwargs)
        response.call_on_close(lambda: closed.append(key))
        return response

    monkeypatch.setattr(LocalStorage, "send", send)
    _limit(app, paid_line, 1)
    _earlier_download(app, paid_line, ago=timedelta(hours=2), by_owner=True, address=HOME)
    auth.sign_in(paid_line["owner"].email)
    with _get(client, paid_line, as_guest=False, headers={"Range": "bytes=1-"}) as refused:
        assert refused.status_code == 403
    assert len(closed) == 1


@pytest.mark.postgres_only
@pytest.mark.real_transactions
def test_parallel_downloads_at_the_limit_let_exactly_one_through(app, paid_line):
    """Eight downloads at once of a line with one download left: one copy, seven refusals, and
    the count never passes the limit (the line's row lock orders them)."""
    _limit(app, paid_line, 3)
    for _ in range(2):
        _earlier_download(app, paid_line, ago=timedelta(hours=2), by_owner=False, address=HOME)
    with app.app_context():  # the copy is stamped before the race
        services.personalised_copy(db.session.get(OrderLine, paid_line["line"]))
        db.session.commit()
    start = threading.Barrier(8)
    statuses = []

    def download(n: int) -> None:
        client = app.test_client()
        start.wait(timeout=30)
        headers = {"Range": "bytes=1-"} if n % 2 else {}
        address = f"192.0.2.{n + 1}"
        with _get(client, paid_line, as_guest=True, headers=headers, address=address) as answer:
            statuses.append(answer.status_code)

    threads = [threading.Thread(target=download, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(statuses) == 8 and statuses.count(403) == 7
    assert _downloads(app, paid_line) == 3
