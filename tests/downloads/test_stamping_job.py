"""Personalised copies are stamped by a background job as soon as an order's PDFs may be
downloaded, once, and the first download then serves the kept copy without stamping again."""

import threading
import time
from datetime import date

import pytest
from sqlalchemy import text

from portal import pricing
from portal.catalogue.models import ReportFormat
from portal.clock import utcnow
from portal.downloads import jobs as download_jobs
from portal.downloads import services
from portal.extensions import db
from portal.orders.access import order_token
from portal.orders.models import OrderLine, OrderState
from portal.orders.services import Buyer
from portal.pricing import FormatKind
from portal.storage import get_storage
from tests.helpers import failed_jobs


@pytest.fixture
def stamps(monkeypatch):
    """Every stamping of a copy, recorded (and done for real)."""
    made = []
    real = services.stamp_pdf

    def counted(*args, **kwargs):
        made.append(kwargs["licence_line"])
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "stamp_pdf", counted)
    return made


@pytest.fixture
def free_order(app, create_report, create_order):
    """Place a free PDF order (paid at once, so its download opens) and commit it."""

    def place(*, with_pdf: bool = True) -> dict:
        report = create_report(
            with_pdf=with_pdf,
            formats=[ReportFormat(kind=FormatKind.PDF, price_pence=0, subscriber_price_pence=0)],
        )
        with app.app_context():
            order = create_order(
                report=report,
                buyer=Buyer("jo.evans@eastbridge.gov.uk", "Jo Evans", "Eastbridge Borough Council"),
                person=pricing.GUEST,
                on=date(2026, 11, 26),
            )
            db.session.commit()
            return {"line": order.lines[0].id, "token": order_token(order)}

    return place


def _stamped_key(app, line_id: int) -> str | None:
    with app.app_context():
        return db.session.get(OrderLine, line_id).stamped_file_key


def test_with_redis_the_copy_is_stamped_by_the_worker_and_the_download_keeps_it(
    app, client, free_order, stamps, run_jobs
):
    placed = free_order()
    assert _stamped_key(app, placed["line"]) is None  # waiting on the queue

    assert run_jobs()

    key = _stamped_key(app, placed["line"])
    assert key == f"stamped/line-{placed['line']}.pdf"
    with app.app_context():
        assert get_storage().exists(key)
    assert len(stamps) == 1 and "Jo Evans, Eastbridge Borough Council" in stamps[0]
    with client.get(f"/downloads/{placed['line']}?token={placed['token']}") as response:
        assert response.status_code == 200
        assert response.data[:5] == b"%PDF-"
    assert len(stamps) == 1  # the download served the kept copy


def test_without_redis_the_copy_is_stamped_in_process_once_the_order_is_committed(
    app, free_order, stamps
):
    placed = free_order()

    assert _stamped_key(app, placed["line"]) == f"stamped/line-{placed['line']}.pdf"
    assert len(stamps) == 1


def test_a_copy_the_first_download_made_is_not_stamped_again_by_the_job(
    app, client, free_order, stamps, run_jobs
):
    placed = free_order()
    with client.get(f"/downloads/{placed['line']}?token={placed['token']}") as response:
        assert response.status_code == 200  # the job has not run: the download stamps it
    assert len(stamps) == 1

    run_jobs()
    with app.app_context():
        assert download_jobs.stamp_line_copy(placed["line"]) == _stamped_key(app, placed["line"])

    assert len(stamps) == 1
    assert failed_jobs(app) == []


def test_a_line_with_nothing_to_stamp_is_left_alone(app, ctx, free_order, stamps):
    placed = free_order(with_pdf=False)  # no file uploaded yet: the download will say so

    assert download_jobs.stamp_line_copy(placed["line"]) == "nothing to stamp"
    assert download_jobs.stamp_line_copy(999_999) == "nothing to stamp"
    assert stamps == []


def test_a_copy_that_cannot_be_made_is_retried_then_kept_as_a_dead_letter(
    app, free_order, stamps, run_jobs
):
    placed = free_order()
    with app.app_context():
        line = db.session.get(OrderLine, placed["line"])
        get_storage().save(line.report_format.report.pdf_file_key, b"not a PDF at all")

    run_jobs()

    [dead] = failed_jobs(app)
    assert dead.func_name == "portal.downloads.jobs.stamp_line_copies"
    assert dead.args == ([placed["line"]],)
    assert _stamped_key(app, placed["line"]) is None


@pytest.mark.postgres_only
@pytest.mark.real_transactions
def test_a_download_racing_the_job_waits_for_its_copy_instead_of_stamping_again(
    app, client, free_order, monkeypatch
):
    placed = free_order(with_pdf=True)
    with app.app_context():  # as if the in-process job had not run: no copy yet
        line = db.session.get(OrderLine, placed["line"])
        line.stamped_file_key = None
        db.session.commit()
    stamping, release, made = threading.Event(), threading.Event(), []
    real = services.stamp_pdf

    def slow_stamp(*args, **kwargs):
        made.append(threading.current_thread().name)
        stamping.set()
        release.wait(timeout=60)  # the job holds the line's lock while it stamps
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "stamp_pdf", slow_stamp)
    results = {}

    def job():
        with app.app_context():
            results["job"] = download_jobs.stamp_line_copy(placed["line"])

    def download():
        with client.get(f"/downloads/{placed['line']}?token={placed['token']}") as response:
            results["download"] = (response.status_code, response.data[:5])

    threads = [threading.Thread(target=job, name="job")]
    threads[0].start()
    assert stamping.wait(timeout=60)
    threads.append(threading.Thread(target=download, name="download"))
    threads[1].start()
    _wait_until_a_query_waits_for_a_lock(app)
    release.set()
    for thread in threads:
        thread.join(timeout=60)

    assert made == ["job"]  # stamped once, by the job; the download waited and took its copy
    assert results["download"] == (200, b"%PDF-")
    assert results["job"] == f"stamped/line-{placed['line']}.pdf"


def _wait_until_a_query_waits_for_a_lock(app) -> None:
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with app.app_context():
        for _ in range(600):
            if db.session.scalar(waiting):
                return
            db.session.rollback()
            time.sleep(0.1)
    raise AssertionError("the download never waited for the line's lock")


@pytest.mark.parametrize(
    ("state", "released", "refunded", "stamped"),
    [
        (OrderState.AWAITING_INVOICE_PAYMENT, True, False, True),
        (OrderState.AWAITING_INVOICE_PAYMENT, False, False, False),
        (OrderState.PAID, False, False, True),
        (OrderState.PAID, False, True, False),
    ],
    ids=["invoice released", "invoice not released", "paid", "paid and refunded"],
)
def test_a_copy_is_stamped_ahead_only_when_its_owner_may_download_it(
    app, create_report, create_order, stamps, state, released, refunded, stamped
):
    order = create_order(
        report=create_report(with_pdf=True),
        state=state,
        downloads_released_at=utcnow() if released else None,
    )
    line_id = order.lines[0].id
    if refunded:
        with app.app_context():
            db.session.get(OrderLine, line_id).refunded_at = utcnow()
            db.session.commit()

    with app.app_context():
        made = download_jobs.stamp_line_copy(line_id)

    assert made == (f"stamped/line-{line_id}.pdf" if stamped else "nothing to stamp")
    assert len(stamps) == (1 if stamped else 0)


def test_a_kept_copy_whose_file_has_gone_is_stamped_again(app, free_order, stamps):
    placed = free_order()  # stamped once the order was committed
    with app.app_context():
        line = db.session.get(OrderLine, placed["line"])
        get_storage()._path(line.stamped_file_key).unlink()  # lost from the store

        assert services.personalised_copy(line) == f"stamped/line-{line.id}.pdf"
        assert get_storage().exists(line.stamped_file_key)
    assert len(stamps) == 2


@pytest.mark.parametrize(
    ("spoil", "logged"),
    [
        ("missing", "report {slug} has no file (line {line})"),
        ("damaged", "report {slug} could not be stamped (line {line})"),
    ],
)
def test_a_copy_that_cannot_be_made_names_the_report_and_line_in_the_log(
    app, free_order, stamps, caplog, spoil, logged
):
    placed = free_order()
    with app.app_context():
        line = db.session.get(OrderLine, placed["line"])
        line.stamped_file_key = None
        report = line.report_format.report
        if spoil == "missing":
            get_storage()._path(report.pdf_file_key).unlink()
        else:
            get_storage().save(report.pdf_file_key, b"not a PDF at all")

        with pytest.raises(services.FileUnavailable):
            services.personalised_copy(line)

        [record] = [r for r in caplog.records if r.name == services.log.name]
        assert record.getMessage() == logged.format(slug=report.slug, line=line.id)
