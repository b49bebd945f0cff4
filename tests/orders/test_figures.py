"""The dashboard's figures: London months, the sums per month and report, and a constant number
of queries whatever the data."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from portal.extensions import db
from portal.orders import figures
from tests.orders.helpers import TODAY, order_placer, place_known_orders


@pytest.fixture
def place(create_report, create_order):
    return order_placer(create_report, create_order)


@pytest.fixture
def known_orders(place, create_organisation):
    return place_known_orders(place, create_organisation)


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
