"""Printed stock and the rules on taking it: what may be ordered at all (a report still for
sale), how many copies one order and one address in a day may take, taking copies out of stock
atomically and putting them back, and what unpaid orders hold.

Services flush; the caller commits once (and rolls back when one of these refuses).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.catalogue.cache import STOCK_ONLY
from portal.catalogue.models import Report, ReportFormat
from portal.clock import LONDON
from portal.extensions import db
from portal.orders.models import Order, OrderLine, OrderState
from portal.pricing import FormatKind

#: Unpaid orders that have taken printed copies out of stock and hold them until paid,
#: cancelled, or (card) their payment time runs out.
HOLDING_STATES = (OrderState.PENDING_PAYMENT, OrderState.AWAITING_INVOICE_PAYMENT)
#: Orders whose printed copies are wanted but not taken yet.
WAITING_STATES = (OrderState.AWAITING_APPROVAL,)


@dataclass(frozen=True)
class Item:
    report_format: ReportFormat
    quantity: int


class OutOfStock(Exception):
    def __init__(self, report_format: ReportFormat):
        super().__init__(f"not enough printed copies of format {report_format.id}")
        self.report_format = report_format


class NotForSale(Exception):
    """A format of a report withdrawn from sale (unpublished), or no longer in the catalogue."""

    def __init__(self, report_format: ReportFormat):
        super().__init__(f"format {report_format.id} is not for sale")
        self.report_format = report_format


class CopyLimitReached(Exception):
    """More printed copies of a format than one order, or one address in a day, may take;
    ``str(error)`` is the message for the person."""

    def __init__(self, report_format: ReportFormat, limit: int, already: int | None = None):
        title = report_format.report.title
        if already is None:
            message = f"You can order up to {limit} printed copies of “{title}” in one order."
        else:
            message = (
                f"You can order up to {limit} printed copies of “{title}” a day "
                f"({already} already ordered today)."
            )
        super().__init__(f"{message} For more, contact us.")
        self.report_format = report_format
        self.limit = limit
        self.already = already


def printed_copies(items: list[Item]) -> dict[int, tuple[ReportFormat, int]]:
    """Each printed format among ``items`` with the copies wanted of it, keyed by format id."""
    wanted: dict[int, tuple[ReportFormat, int]] = {}
    for item in items:
        if item.report_format.kind is FormatKind.PRINT:
            format_id = item.report_format.id
            earlier = wanted.get(format_id, (item.report_format, 0))[1]
            wanted[format_id] = (item.report_format, earlier + item.quantity)
    return wanted


def formats_for_sale(format_ids: list[int]) -> set[int]:
    """Which of these formats are for sale now: their report is published (read from the
    database, never the catalogue cache: a basket may hold a format since before its report was
    withdrawn)."""
    if not format_ids:
        return set()
    return set(
        db.session.scalars(
            select(ReportFormat.id)
            .join(Report, Report.id == ReportFormat.report_id)
            .where(ReportFormat.id.in_(set(format_ids)), Report.is_published.is_(True))
        )
    )


def check_for_sale(items: list[Item]) -> None:
    """Raise NotForSale for the first item whose report is not for sale now."""
    on_sale = formats_for_sale([item.report_format.id for item in items])
    for item in items:
        if item.report_format.id not in on_sale:
            raise NotForSale(item.report_format)


def london_day(today: date) -> tuple[datetime, datetime]:
    """The UTC moments a London calendar day starts and ends (23 or 25 hours when the clocks
    change)."""
    start = datetime.combine(today, time(0), LONDON).astimezone(UTC)
    end = datetime.combine(today + timedelta(days=1), time(0), LONDON).astimezone(UTC)
    return start, end


def copies_ordered_on(email: str, today: date, format_ids: list[int]) -> dict[int, int]:
    """Printed copies of each format in the orders of ``email`` (any case) placed on the London
    day ``today`` and not cancelled, whether paid, unpaid or waiting for approval."""
    if not format_ids:
        return {}
    start, end = london_day(today)
    rows = db.session.execute(
        select(OrderLine.report_format_id, func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            func.lower(Order.email) == email.strip().lower(),
            Order.created_at >= start,
            Order.created_at < end,
            Order.state != OrderState.CANCELLED,
            OrderLine.report_format_id.in_(format_ids),
        )
        .group_by(OrderLine.report_format_id)
    ).all()
    ordered = dict.fromkeys(format_ids, 0)
    ordered.update({format_id: int(total or 0) for format_id, total in rows})
    return ordered


def check_copy_limits(email: str, items: list[Item], today: date) -> None:
    """Raise CopyLimitReached when the printed copies of a format in ``items`` are more than its
    ``max_copies_per_order``, or would take this address's copies of it ordered today past it."""
    wanted = printed_copies(items)
    for report_format, copies in wanted.values():
        if copies > report_format.max_copies_per_order:
            raise CopyLimitReached(report_format, report_format.max_copies_per_order)
    ordered = copies_ordered_on(email, today, list(wanted))
    for format_id, (report_format, copies) in wanted.items():
        if ordered[format_id] + copies > report_format.max_copies_per_order:
            raise CopyLimitReached(
                report_format, report_format.max_copies_per_order, ordered[format_id]
            )


def reserve(items: list[Item]) -> None:
    """Take the printed copies of ``items`` out of stock, atomically and in one statement
    whatever the number of lines: two orders can never take the last copy. Raises OutOfStock
    for the first format short of copies (the caller rolls back: formats that had enough may
    have been taken)."""
    wanted = printed_copies(items)
    if not wanted:
        return
    copies = {format_id: count for format_id, (_, count) in wanted.items()}
    taking = case(copies, value=ReportFormat.id)
    left = dict(
        db.session.execute(
            update(ReportFormat)
            .where(ReportFormat.id.in_(list(wanted)), ReportFormat.stock >= taking)
            .values(stock=ReportFormat.stock - taking)
            .returning(ReportFormat.id, ReportFormat.stock)
            .execution_options(synchronize_session=False, **STOCK_ONLY)
        ).all()
    )
    for format_id, (report_format, _) in wanted.items():
        if format_id not in left:
            raise OutOfStock(report_format)
        set_committed_value(report_format, "stock", left[format_id])


def has_taken_stock(order: Order) -> bool:
    """Whether the order's printed copies are out of stock on its account: from placing (or
    approval) until it is cancelled."""
    return order.state not in (*WAITING_STATES, OrderState.CANCELLED)


def give_back(order: Order) -> None:
    """Put the order's printed copies back in stock (those not refunded already: refunding
    them gave them back)."""
    for line in order.lines:
        give_back_copies(line, line.quantity - line.refunded_quantity)


def give_back_copies(line: OrderLine, copies: int) -> None:
    """Put ``copies`` printed copies of ``line`` back in stock (nothing for a PDF line)."""
    if line.format_kind == FormatKind.PRINT and copies > 0:
        db.session.execute(
            update(ReportFormat)
            .where(ReportFormat.id == line.report_format_id)
            .values(stock=ReportFormat.stock + copies)
            .execution_options(synchronize_session=False, **STOCK_ONLY)
        )


@dataclass(frozen=True)
class StockHeld:
    """A printed format's copies as administrators see them."""

    available: int  # in stock and free to order (the format's ``stock``)
    held: int  # taken by unpaid orders: back in stock if they are cancelled or expire
    waiting: int  # wanted by orders waiting for approval, not taken yet

    @property
    def on_the_shelf(self) -> int:
        return self.available + self.held


def stock_held(formats: list[ReportFormat]) -> dict[int, StockHeld]:
    """For each printed format: copies available, held by unpaid orders, and wanted by orders
    waiting for approval (one query)."""
    printed = [f for f in formats if f.kind is FormatKind.PRINT]
    if not printed:
        return {}
    counted = (*HOLDING_STATES, *WAITING_STATES)
    rows = db.session.execute(
        select(OrderLine.report_format_id, Order.state, func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.state.in_(counted),
            OrderLine.report_format_id.in_([f.id for f in printed]),
            # Copies posted before payment (released on credit) are no longer on the shelf.
            OrderLine.dispatched_at.is_(None),
        )
        .group_by(OrderLine.report_format_id, Order.state)
    ).all()
    held: dict[int, int] = {}
    waiting: dict[int, int] = {}
    for format_id, state, copies in rows:
        into = waiting if state in WAITING_STATES else held
        into[format_id] = into.get(format_id, 0) + int(copies or 0)
    return {f.id: StockHeld(f.stock or 0, held.get(f.id, 0), waiting.get(f.id, 0)) for f in printed}
