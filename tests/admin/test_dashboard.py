"""The dashboard: figures per London month for a known set of orders, the chart and its table."""

import re
from datetime import UTC, date, datetime

import pytest
from flask import url_for
from sqlalchemy import event

from portal.catalogue.models import FormatKind, ReportFormat
from portal.extensions import db
from portal.orders import figures
from portal.orders.models import OrderState, PaymentMethod
from portal.orders.services import Buyer, Delivery
from portal.pricing import GUEST, Membership, Person

TODAY = date(2026, 7, 15)  # the window is August 2025 to July 2026


@pytest.fixture
def place(create_report, create_order):
    """Place an order of ``pdf`` and ``printed`` copies of a report at a UTC moment."""
    reports = {
        name: create_report(
            title=name,
            formats=[
                ReportFormat(kind=FormatKind.PDF, price_pence=10_000, subscriber_price_pence=0),
                ReportFormat(kind=FormatKind.PRINT, price_pence=5_000, stock=50),
            ],
        )
        for name in ("Challenge of transformation", "Transformation in practice")
    }

    def place(
        report,
        at,
        *,
        pdf=1,
        printed=0,
        organisation="Eastbridge Council",
        state=OrderState.PAID,
        person=GUEST,
        method=PaymentMethod.CARD,
    ):
        # state None: as placed (a subscriber's free order is complete)
        order = create_order(
            report=reports[report],
            pdf=pdf,
            prints=printed,
            buyer=Buyer("jo@example.gov.uk", "Jo Evans", organisation),
            person=person,
            on=at.date(),
            method=method,
            delivery=Delivery("Jo", "1 High St", "", "Town", "AB1 2CD"),
            created_at=at,
            state=state,
        )
        return order.reference

    return place


@pytest.fixture
def known_orders(place, create_organisation):
    council = create_organisation(name="Northshire County Council")
    subscriber = Person(
        True, True, Membership(council.id, council.name, ((date(2025, 1, 1), date(2027, 1, 1)),))
    )
    a, b = "Challenge of transformation", "Transformation in practice"
    return {
        "june_invoice": place(
            a,
            datetime(2026, 6, 10, 9, tzinfo=UTC),
            state=OrderState.AWAITING_INVOICE_PAYMENT,
            method=PaymentMethod.INVOICE,
            organisation="Westshire Council",
        ),
        # 00:30 on 1 July in London: a July order.
        "boundary": place(a, datetime(2026, 6, 30, 23, 30, tzinfo=UTC), printed=2),
        "july_both": place(
            b, datetime(2026, 7, 2, 9, tzinfo=UTC), pdf=1, printed=1, state=OrderState.FULFILLED
        ),
        "subscriber": place(
            b,
            datetime(2026, 7, 3, 9, tzinfo=UTC),
            person=subscriber,
            organisation="Northshire County Council",
            state=None,
        ),
        "cancelled": place(a, datetime(2026, 7, 4, 9, tzinfo=UTC), state=OrderState.CANCELLED),
        "unpaid_card": place(
            a, datetime(2026, 7, 5, 9, tzinfo=UTC), state=OrderState.PENDING_PAYMENT
        ),
        # Before the window, and still waiting for its invoice to be paid.
        "old_invoice": place(
            b,
            datetime(2025, 7, 31, 9, tzinfo=UTC),
            state=OrderState.AWAITING_INVOICE_PAYMENT,
            method=PaymentMethod.INVOICE,
            organisation="Old Council",
        ),
    }


def test_guests_are_sent_to_sign_in(client):
    response = client.get("/admin/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_non_administrators_get_403(client, auth, create_user):
    auth.sign_in(create_user().email)
    assert client.get("/admin/dashboard").status_code == 403


@pytest.mark.parametrize(
    ("today", "first", "last"),
    [
        (date(2026, 7, 15), "2025-08", "2026-07"),
        (date(2026, 1, 1), "2025-02", "2026-01"),
        (date(2026, 12, 31), "2026-01", "2026-12"),
    ],
)
def test_the_last_twelve_months(today, first, last):
    months = figures.last_months(today)
    assert len(months) == 12 and (months[0].key, months[-1].key) == (first, last)


def test_month_edges_are_london_midnights():
    july, january = figures.Month(2026, 7), figures.Month(2026, 1)
    assert july.starts().astimezone(UTC) == datetime(2026, 6, 30, 23, tzinfo=UTC)
    assert january.starts().astimezone(UTC) == datetime(2026, 1, 1, tzinfo=UTC)
    assert figures.Month(2025, 12).following() == january


def test_dashboard_figures_for_known_orders(app, known_orders):
    with app.app_context():
        found = figures.dashboard(TODAY)
    assert [m.key for m in found.months][-2:] == ["2026-06", "2026-07"]
    by_title = {report.title: report for report in found.reports}
    a, b = by_title["Challenge of transformation"], by_title["Transformation in practice"]
    # June: the invoice order (awaiting payment counts). July: the boundary order (PDF and two
    # printed copies); cancelled and unpaid card orders are left out.
    assert (a.orders, a.revenue) == (
        {"2026-06": 1, "2026-07": 1},
        {"2026-06": 10_000, "2026-07": 20_000},
    )
    # July: a paying order (PDF and a copy) and a subscriber's free PDF.
    assert (b.orders, b.revenue) == ({"2026-07": 2}, {"2026-07": 15_000})
    assert found.revenue["2026-06"] == 10_000 and found.revenue["2026-07"] == 35_000
    assert found.revenue["2025-08"] == 0
    assert found.paying_orders["2026-07"] == 2 and found.subscriber_orders["2026-07"] == 1
    assert found.paying_orders["2026-06"] == 1 and found.subscriber_orders["2026-06"] == 0
    assert found.top_by_revenue == [
        ("Eastbridge Council", 35_000, 2),
        ("Westshire Council", 10_000, 1),
        ("Northshire County Council", 0, 1),
    ]
    assert [row[0] for row in found.top_by_orders][:1] == ["Eastbridge Council"]
    # Every invoice still unpaid, whenever placed, oldest first.
    assert (found.invoices_awaiting, found.invoices_awaiting_pence) == (2, 20_000)
    assert [row.reference for row in found.oldest_invoices] == [
        known_orders["old_invoice"],
        known_orders["june_invoice"],
    ]
    # The boundary order is paid with two printed copies to post; the fulfilled one was posted.
    assert (found.lines_to_dispatch, found.copies_to_dispatch) == (1, 2)


def test_dashboard_runs_the_same_queries_whatever_the_data(app, place):
    def count_queries() -> int:
        statements = []
        with app.app_context():
            engine = db.session.get_bind()
            # Only reads count: the test's transaction adds savepoints of its own.
            listener = lambda *args: statements.append(args[2].lstrip().startswith("SELECT"))  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            try:
                figures.dashboard(TODAY)
            finally:
                event.remove(engine, "before_cursor_execute", listener)
        return sum(statements)

    empty = count_queries()
    for day in range(1, 8):
        place(
            "Challenge of transformation",
            datetime(2026, 7, day, 9, tzinfo=UTC),
            printed=1,
            organisation=f"Council {day}",
        )
    assert count_queries() == empty == 7


def test_the_dashboard_page_shows_charts_and_tables(client, admin, known_orders, monkeypatch):
    monkeypatch.setattr("portal.admin.dashboard.today_in_london", lambda: TODAY)
    response = client.get("/admin/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    charts = re.findall(
        r"<svg viewBox[^>]*role=\"img\"[^>]*>\s*<title id=\"([\w-]+)\">([^<]*)", page
    )
    assert [chart_id for chart_id, _ in charts] == ["revenue-chart-title", "orders-chart-title"]
    assert "most in July 2026 (£350)" in charts[0][1]
    assert "Subscriber orders: 1 in all" in charts[1][1]
    # Bars: June and July revenue; June paying, July paying and subscriber.
    assert page.count("<rect x=") == 2 + 3
    assert "<title>July 2026, Revenue: £350</title>" in page
    assert " style=" not in page.split("<main", 1)[1]
    months = page.split('id="months-table"', 1)[1].split("</table>", 1)[0]
    assert re.search(
        r"July 2026</th>\s*<td[^>]*>£350.00</td>\s*<td[^>]*>2</td>\s*<td[^>]*>1</td>", months
    )
    reports = page.split('id="reports-table"', 1)[1].split("</table>", 1)[0]
    assert re.search(
        r"Transformation in practice</th>\s*<td[^>]*>July 2026</td>\s*"
        r"<td[^>]*>2</td>\s*<td[^>]*>£150.00</td>",
        reports,
    )
    assert 'id="invoices-awaiting">2 (£200.00)' in page
    assert 'id="lines-to-dispatch">1 (2 copies)' in page
    assert known_orders["old_invoice"] in page
    app = client.application
    if "admin.order" in {rule.endpoint for rule in app.url_map.iter_rules()}:
        with app.test_request_context():
            href = url_for("admin.order", reference=known_orders["old_invoice"])
        assert f'href="{href}"' in page


def test_an_empty_dashboard(client, admin):
    page = client.get("/admin/dashboard").get_data(as_text=True)
    assert "No orders in the last 12 months." in page
    assert 'id="invoices-awaiting">0 (£0.00)' in page
    assert page.count('role="img"') == 2 and page.count("<rect x=") == 0
