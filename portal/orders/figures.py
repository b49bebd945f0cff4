"""The dashboard's figures: a fixed, small number of aggregate queries (GROUP BY in SQL).

Months are Europe/London calendar months. Their edges are computed here as UTC instants and the
database buckets each timestamp with a CASE over those edges, so the same SQL works on SQLite
(which knows no time zones) and PostgreSQL, and an order at 23:30 UTC on 31 March (00:30 on
1 April in London) counts in April.

What counts: orders that are paid, complete or waiting for their invoice to be paid. Card orders
not yet paid and cancelled orders are left out. Revenue is what lines cost including VAT, before
postage and refunds (refunds are recorded against whole orders, not reports).
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, distinct, func, select

from portal import pricing
from portal.catalogue.models import Report, ReportFormat
from portal.clock import LONDON
from portal.extensions import db
from portal.orders import standing
from portal.orders.models import Order, OrderLine, OrderState
from portal.pricing import FormatKind

#: Orders that count in the figures: paid ones, and invoices sent that are still to be paid.
COUNTED_STATES = frozenset({OrderState.AWAITING_INVOICE_PAYMENT, *pricing.PAID_STATES})
TOP = 10
OLDEST_INVOICES = 20


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{date(self.year, self.month, 1):%B %Y}"

    @property
    def short(self) -> str:
        return f"{date(self.year, self.month, 1):%b}"

    def starts(self) -> datetime:
        """Midnight at the start of the month in London (an aware datetime)."""
        return datetime(self.year, self.month, 1, tzinfo=LONDON)

    def following(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)


def last_months(today: date, count: int = 12) -> list[Month]:
    """The ``count`` London months ending with the one ``today`` is in, oldest first."""
    index = today.year * 12 + today.month - 1
    return [Month(i // 12, i % 12 + 1) for i in range(index - count + 1, index + 1)]


@dataclass
class ReportMonths:
    title: str
    orders: dict[str, int] = field(default_factory=dict)  # month key → orders
    revenue: dict[str, int] = field(default_factory=dict)  # month key → pence


@dataclass
class Dashboard:
    months: list[Month]
    reports: list[ReportMonths]
    revenue: dict[str, int]  # month key → pence, all reports
    subscriber_orders: dict[str, int]
    paying_orders: dict[str, int]
    top_by_revenue: list[tuple[str, int, int]]  # organisation, pence, orders
    top_by_orders: list[tuple[str, int, int]]
    invoices_awaiting: int
    invoices_awaiting_pence: int
    oldest_invoices: list  # rows: reference, created_at, organisation_name, total_pence, po_number
    lines_to_dispatch: int
    copies_to_dispatch: int


def _month_of(column, months: list[Month]):
    """A CASE giving the month key of a timestamp column (newest edge first)."""
    return case(*((column >= month.starts(), month.key) for month in reversed(months)), else_=None)


def dashboard(today: date) -> Dashboard:
    """Every figure on the dashboard for the 12 London months up to ``today``; seven queries."""
    months = last_months(today)
    start, end = months[0].starts(), months[-1].following().starts()
    in_window = (Order.created_at >= start, Order.created_at < end)
    counted = Order.state.in_(COUNTED_STATES)

    # PostgreSQL sees a CASE with bound edges in SELECT and GROUP BY as two different
    # expressions, so the month is worked out in a subquery and grouped on outside it.
    lines = (
        select(
            _month_of(Order.created_at, months).label("month"),
            Order.id.label("order_id"),
            Report.id.label("report_id"),
            OrderLine.total_pence,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(ReportFormat, ReportFormat.id == OrderLine.report_format_id)
        .join(Report, Report.id == ReportFormat.report_id)
        .where(*in_window, counted)
        .subquery()
    )
    per_report = db.session.execute(
        select(
            lines.c.month,
            lines.c.report_id,
            Report.title,
            func.count(distinct(lines.c.order_id)),
            func.sum(lines.c.total_pence),
        )
        .join(Report, Report.id == lines.c.report_id)
        .group_by(lines.c.month, lines.c.report_id, Report.title)
    ).all()
    reports: dict[int, ReportMonths] = {}
    revenue = dict.fromkeys((m.key for m in months), 0)
    for month, report_id, title, orders, pence in per_report:
        figures = reports.setdefault(report_id, ReportMonths(title))
        figures.orders[month] = orders
        figures.revenue[month] = int(pence or 0)
        revenue[month] += int(pence or 0)

    orders = (
        select(
            _month_of(Order.created_at, months).label("month"),
            case((Order.subscriber_organisation_id.is_(None), 0), else_=1).label("subscriber"),
        )
        .where(*in_window, counted)
        .subquery()
    )
    subscriber_orders = dict.fromkeys((m.key for m in months), 0)
    paying_orders = dict(subscriber_orders)
    for month, subscriber, count in db.session.execute(
        select(orders.c.month, orders.c.subscriber, func.count()).group_by(
            orders.c.month, orders.c.subscriber
        )
    ):
        (subscriber_orders if subscriber else paying_orders)[month] = count

    def top(order_by):
        pence, count = func.sum(Order.total_pence), func.count(Order.id)
        rows = db.session.execute(
            select(Order.organisation_name, pence, count)
            .where(*in_window, counted, Order.organisation_name != "")
            .group_by(Order.organisation_name)
            .order_by(order_by(pence, count), Order.organisation_name)
            .limit(TOP)
        )
        return [(name, int(total or 0), number) for name, total, number in rows]

    awaiting = Order.state == OrderState.AWAITING_INVOICE_PAYMENT
    invoices, invoices_pence = db.session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total_pence), 0)).where(awaiting)
    ).one()
    oldest = db.session.execute(
        select(
            Order.reference,
            Order.created_at,
            Order.organisation_name,
            Order.total_pence,
            Order.po_number,
        )
        .where(awaiting)
        .order_by(Order.created_at, Order.id)
        .limit(OLDEST_INVOICES)
    ).all()

    # Printed copies are posted once the order is paid or released on credit; a refunded line
    # is not sent.
    lines_to_dispatch, copies = db.session.execute(
        select(func.count(OrderLine.id), func.coalesce(func.sum(OrderLine.quantity), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            standing.may_deliver_clause(),
            OrderLine.format_kind == FormatKind.PRINT,
            OrderLine.dispatched_at.is_(None),
            OrderLine.refunded_at.is_(None),
        )
    ).one()

    return Dashboard(
        months=months,
        reports=sorted(reports.values(), key=lambda r: (-sum(r.revenue.values()), r.title)),
        revenue=revenue,
        subscriber_orders=subscriber_orders,
        paying_orders=paying_orders,
        top_by_revenue=top(lambda pence, count: pence.desc()),
        top_by_orders=top(lambda pence, count: count.desc()),
        invoices_awaiting=invoices,
        invoices_awaiting_pence=int(invoices_pence),
        oldest_invoices=list(oldest),
        lines_to_dispatch=lines_to_dispatch,
        copies_to_dispatch=int(copies),
    )
