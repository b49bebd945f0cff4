"""The report page shows printed stock from the copy its process keeps: with nothing else to read,
a visitor's view of it reads nothing from the database; any order or edit that moves stock shows
on the next view, in every process within the check interval; ordering reads the stock afresh."""

import pytest
from sqlalchemy import text

from portal import pricing
from portal.catalogue import kept_stock
from portal.catalogue.models import FormatKind, ReportFormat
from portal.extensions import db
from portal.orders.models import PaymentMethod
from portal.orders.services import Buyer, Delivery

PATH = "/reports/{slug}"


@pytest.fixture
def report(create_report):
    return create_report(
        slug="kept-stock",
        formats=[
            ReportFormat(kind=FormatKind.PDF, price_pence=14_500),
            ReportFormat(kind=FormatKind.PRINT, price_pence=9_500, stock=1),
        ],
    )


def _printed(report) -> ReportFormat:
    return next(f for f in report.formats if f.kind is FormatKind.PRINT)


def _shows_in_stock(client, report) -> bool:
    page = client.get(PATH.format(slug=report.slug)).get_data(as_text=True)
    return "out of stock" not in page


def test_a_visitor_view_reads_nothing_once_kept(client, count_queries, report):
    client.get(PATH.format(slug=report.slug))
    with count_queries() as statements:
        assert client.get(PATH.format(slug=report.slug)).status_code == 200
    assert statements == []


def test_the_last_copy_ordered_shows_out_of_stock_at_once(app, client, report, create_order):
    assert _shows_in_stock(client, report)
    with app.app_context():
        printed = db.session.get(ReportFormat, _printed(report).id)
        create_order(
            [(printed, 1)],
            buyer=Buyer("jo@eastbridge.gov.uk", "Jo", "Eastbridge"),
            person=pricing.GUEST,
            on=report.published_on,
            method=PaymentMethod.CARD,
            delivery=Delivery("Jo", "1 High St", "", "Eastbridge", "EB1 1AA"),
        )
        db.session.commit()
    assert not _shows_in_stock(client, report)


def test_a_change_made_outside_the_portal_shows_once_the_copy_expires(
    app, client, report, monkeypatch
):
    assert _shows_in_stock(client, report)
    with app.app_context():
        db.session.execute(
            text("UPDATE report_formats SET stock = 0 WHERE id = :id"), {"id": _printed(report).id}
        )
        db.session.commit()
        assert _shows_in_stock(client, report)  # kept: plain SQL is not seen until it expires
        monkeypatch.setattr(app.extensions["stock_cache"], "seconds", 0.000001)
    assert not _shows_in_stock(client, report)


def test_another_process_change_shows_within_the_check_interval(app, client, report, monkeypatch):
    assert _shows_in_stock(client, report)
    with app.app_context():
        db.session.execute(
            text("UPDATE report_formats SET stock = 0 WHERE id = :id"), {"id": _printed(report).id}
        )
        db.session.commit()
        # What another process's commit does: it replaces the shared token.
        app.extensions["stock_cache"].generation.replace()
        monkeypatch.setattr(app.extensions["stock_cache"], "check_every", 0)
    assert not _shows_in_stock(client, report)


def test_kept_stock_is_read_once_for_the_same_formats(app, count_queries, report):
    ids = [f.id for f in report.formats]
    with app.test_request_context():
        db.session.commit()  # the report's own formats, just added, wait for no commit
        assert kept_stock.kept_stock(ids) == kept_stock.stock_now(ids)
        with count_queries() as statements:
            assert kept_stock.kept_stock(list(reversed(ids))) == {ids[0]: None, ids[1]: 1}
        assert statements == []


def test_putting_a_sold_out_copy_in_the_basket_reads_the_stock_afresh(
    app, client, auth, create_user, post_form, report
):
    auth.sign_in(create_user(email="buyer@eastbridge.gov.uk").email)
    assert _shows_in_stock(client, report)
    with app.app_context():
        db.session.execute(
            text("UPDATE report_formats SET stock = 0 WHERE id = :id"), {"id": _printed(report).id}
        )
        db.session.commit()
    answer = post_form(
        PATH.format(slug=report.slug), {"format_id": _printed(report).id, "quantity": "1"}
    )
    assert answer.status_code == 400
    assert "out of stock" in answer.get_data(as_text=True).lower()
