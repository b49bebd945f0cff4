"""How many SQL statements each busy page runs, and that the number does not grow with the data:
a page that ran a query per report, order or line (an "N+1") fails here.

The counts are of statements sent to the database (not the test's own savepoints), for a page
whose catalogue is already cached where the page uses the cache.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal import pricing
from portal.catalogue.models import Report, ReportFormat
from portal.documents import services as documents
from portal.extensions import db
from portal.orders import states
from portal.orders.models import Order, PaymentMethod
from portal.orders.services import Buyer, Delivery
from portal.pricing import FormatKind
from tests.helpers import csrf_token

SUBSCRIBED = (date(2020, 1, 1), date(2040, 12, 31))


def statements(count_queries, request) -> list[str]:
    """Run ``request()`` (which asserts its own status) and list the statements it ran."""
    with count_queries() as ran:
        request()
    return ran


def get(client, path: str, status: int = 200):
    def run():
        response = client.get(path)
        assert response.status_code == status, response.status
        response.get_data()  # streamed pages run their queries while they are read

    return run


@pytest.fixture
def orders_for(app, create_order):
    """Place ``n`` orders for an organisation's members (printed copies, so free copies count)."""

    def place(n: int, report_id: int, *, organisation: str = "Leeds City Council", person=None):
        with app.app_context():
            formats = {f.kind: f for f in db.session.get(Report, report_id).formats}
            for i in range(n):
                create_order(
                    [(formats[FormatKind.PDF], 1), (formats[FormatKind.PRINT], 1)],
                    buyer=Buyer(f"buyer{i}@leeds.gov.uk", f"Buyer {i}", organisation),
                    person=person or pricing.GUEST,
                    on=date(2026, 3, 2),
                    method=PaymentMethod.CARD,
                    delivery=Delivery("Post Room", "1 Civic Square", "", "Leeds", "LS1 1UR"),
                    created_at=datetime(2026, 3, 2, 9, tzinfo=UTC) + timedelta(minutes=i),
                )
            db.session.commit()

    return place


def _report(create_report, **overrides):
    return create_report(
        formats=[
            ReportFormat(kind=FormatKind.PDF, price_pence=14_500, subscriber_price_pence=0),
            ReportFormat(kind=FormatKind.PRINT, price_pence=17_500, stock=1_000),
        ],
        **overrides,
    )


# ------------------------------------------------------------------------------------------------
# The public catalogue


@pytest.mark.parametrize("reports", [1, 20])
def test_the_catalogue_list_runs_no_query_once_cached(
    client, create_report, count_queries, reports
):
    for _ in range(reports):
        _report(create_report)
    first = statements(count_queries, get(client, "/reports"))
    assert len(first) == 3  # reports, then all their formats at once, then all their topics
    assert statements(count_queries, get(client, "/reports")) == []


@pytest.mark.parametrize("reports", [1, 20])
def test_a_catalogue_search_runs_one_query_once_cached(
    client, create_report, count_queries, reports
):
    for _ in range(reports):
        _report(create_report)
    get(client, "/reports")()  # the catalogue is cached
    searched = statements(count_queries, get(client, "/reports?q=report&sort=title&page=2"))
    assert len(searched) == 1, searched  # the matching ids, ranked
    filtered = get(client, "/reports?series=Test+series&year=2006&sort=title")
    assert statements(count_queries, filtered) == []


@pytest.mark.parametrize("reports", [1, 20])
def test_the_report_page_runs_one_query_for_a_guest(client, create_report, count_queries, reports):
    report, *_ = [_report(create_report) for _ in range(reports)]
    get(client, "/reports")()  # the catalogue is cached
    ran = statements(count_queries, get(client, f"/reports/{report.slug}"))
    assert len(ran) == 1, ran  # the stock, live


@pytest.mark.parametrize("orders", [1, 20])
def test_the_report_page_runs_two_queries_for_a_subscriber(
    client, auth, create_report, create_user, create_organisation, orders_for, count_queries, orders
):
    organisation = create_organisation(domain="leeds.gov.uk", subscribed=SUBSCRIBED)
    report = _report(create_report)
    member = pricing.Person(
        True, True, pricing.Membership(organisation.id, organisation.name, (SUBSCRIBED,))
    )
    orders_for(orders, report.id, person=member)
    auth.sign_in(create_user(email="ann@adults.leeds.gov.uk").email)
    get(client, "/reports")()
    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert "No free copies left for" in page  # the free copies, counted live

    ran = statements(count_queries, get(client, f"/reports/{report.slug}"))
    # Who is signed in; stock and free copies, live. Their organisation was read on the first
    # view and is kept (portal.organisations.membership_cache).
    assert len(ran) == 2, ran


@pytest.mark.parametrize("lines", [1, 20])
def test_adding_to_the_basket_runs_the_same_queries_whatever_is_in_it(
    client, create_report, count_queries, lines
):
    reports = [_report(create_report) for _ in range(lines + 1)]
    for report in reports[:lines]:
        pdf = next(f for f in report.formats if f.kind is FormatKind.PDF)
        path = f"/reports/{report.slug}"
        client.post(path, data={"csrf_token": csrf_token(client, path), "format_id": pdf.id})
    report = reports[-1]
    printed = next(f for f in report.formats if f.kind is FormatKind.PRINT)
    path = f"/reports/{report.slug}"
    token = csrf_token(client, path)

    def add():
        form = {"csrf_token": token, "format_id": printed.id, "quantity": "2"}
        assert client.post(path, data=form).status_code == 302

    ran = statements(count_queries, add)
    # the format (live), the basket, its lines, the new line
    assert len(ran) == 4, ran


# ------------------------------------------------------------------------------------------------
# Administration


@pytest.mark.parametrize("orders", [1, 20])
def test_the_admin_order_list_runs_the_same_queries_for_1_or_20_orders(
    client, admin, create_report, orders_for, count_queries, orders
):
    orders_for(orders, _report(create_report).id)
    path = "/admin/orders?state=pending_payment&organisation=leeds"
    page = client.get(path).get_data(as_text=True)
    assert page.count("INS-2026-") >= orders
    ran = statements(count_queries, get(client, path))
    # who is signed in, the page of orders (the reports for the filter are kept with the
    # catalogue)
    assert len(ran) == 2, ran


@pytest.mark.parametrize("orders", [1, 20])
def test_the_finance_exports_run_the_same_queries_for_1_or_20_orders_with_documents(
    app, client, admin, create_report, orders_for, count_queries, orders
):
    orders_for(orders, _report(create_report).id)
    with app.test_request_context():
        for order in db.session.scalars(select(Order)):
            states.mark_paid(order, None, "Paid by card")
            receipt = documents.issue_receipt(order, date(2026, 3, 2))
            documents.issue_credit_note(receipt, 100, date(2026, 3, 3), "Part refund")
        db.session.commit()
    for export in ("orders", "documents"):
        path = f"/admin/exports/{export}.csv?from=2026-03-01&to=2026-03-31"
        text = client.get(path).get_data(as_text=True)
        # Two rows per order: its two lines, or its receipt and its credit note.
        assert text.count("INS-2026-") == 2 * orders
        if export == "documents":
            assert text.count("\r\nRCT-") == text.count("\r\nCRN-") == orders
        ran = statements(count_queries, get(client, path))
        # Who is signed in, the row count, the audit entry, then the rows (in batches); the
        # orders export reads what became of their money beside its lines.
        assert len(ran) == (5 if export == "orders" else 4), ran


@pytest.mark.parametrize("orders", [1, 20])
def test_the_orders_export_runs_the_same_queries_for_1_or_20_orders(
    client, admin, create_report, orders_for, count_queries, orders
):
    orders_for(orders, _report(create_report).id)
    path = "/admin/exports/orders.csv?from=2026-03-01&to=2026-03-31"
    assert client.get(path).get_data(as_text=True).count("INS-2026-") == 2 * orders
    ran = statements(count_queries, get(client, path))
    # Who is signed in, the row count and the audit entry of the export, then the rows and,
    # beside them, what became of the orders' money (both fetched in batches).
    assert len(ran) == 5, ran
    assert ran[1].startswith("SELECT count(") and ran[2].startswith("INSERT INTO audit_entries")
