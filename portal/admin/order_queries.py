"""What administrators read about orders: the list (filtered, searched, sorted, a page at a
time), everything about one order, and the printed copies waiting to be posted.

Each runs a fixed number of queries, whatever the number of orders or lines, so the screens stay
fast with 100,000 orders: rows show only what was loaded up front, never a per-row query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import defer, selectinload

from portal.accounts.models import User
from portal.catalogue.models import ReportFormat
from portal.clock import LONDON
from portal.content import services as content
from portal.content.models import OrderAgreement
from portal.documents.models import Document
from portal.downloads import services as downloads
from portal.downloads.models import Download
from portal.email.models import OutboxEmail
from portal.extensions import db
from portal.orders import standing
from portal.orders.models import Order, OrderLine, OrderState, PaymentMethod
from portal.payments.models import CheckoutAttempt, InvoicePayment, Refund
from portal.pricing import FormatKind

PAGE_SIZE = 50
#: Each sort: the column orders are sorted by (then by id, the same way), and whether downwards.
SORTS = {
    "newest": (Order.created_at, True),
    "oldest": (Order.created_at, False),
    "total": (Order.total_pence, True),
}
_STRIPE_PREFIXES = ("cs_", "pi_")

# ---------------------------------------------------------------------------------------------
# Finding orders


@dataclass(frozen=True)
class OrderFilters:
    state: OrderState | None = None
    payment_method: PaymentMethod | None = None
    placed_from: date | None = None
    placed_to: date | None = None
    report_id: int | None = None
    organisation: str = ""
    subscriber: bool | None = None  # True: subscriber orders; False: paying orders
    q: str = ""


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), LONDON).astimezone(UTC)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class Place:
    """Where a page of the list begins or ends: the sort value and id of the order at its edge,
    as the page's links carry it (``?after=`` or ``?before=``), so each page has an address of
    its own and works without JavaScript."""

    value: int  # the sort column's value; a timestamp as microseconds since 1970 (UTC)
    order_id: int

    @classmethod
    def of(cls, order: Order, column) -> Place:
        value = getattr(order, column.key)
        if isinstance(value, datetime):
            value = (value - _EPOCH) // timedelta(microseconds=1)
        return cls(int(value), order.id)

    @classmethod
    def parse(cls, text: str) -> Place | None:
        """``<value>_<id>`` as links write it; None for anything else."""
        value, _, order_id = text.partition("_")
        numbers = (value.removeprefix("-"), order_id)
        if not all(n.isascii() and n.isdigit() and len(n) < 19 for n in numbers):
            return None
        return cls(int(value), _within(int(order_id), -_LARGEST_NUMBER, _LARGEST_NUMBER))

    def sort_value(self, column):
        """The value as ``column`` holds it (one out of its range: the nearest it can hold)."""
        if column.key == "created_at":
            micros = _within(self.value, _EARLIEST_TIMESTAMP, _LATEST_TIMESTAMP)
            return _EPOCH + timedelta(microseconds=micros)
        return _within(self.value, -_LARGEST_NUMBER, _LARGEST_NUMBER)

    def __str__(self) -> str:
        return f"{self.value}_{self.order_id}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Microseconds from 1970 to either end of the years a timestamp can hold (a day inside them).
_EARLIEST_TIMESTAMP, _LATEST_TIMESTAMP = (
    (datetime(year, month, day, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
    for year, month, day in ((1, 1, 2), (9999, 12, 30))
)
_LARGEST_NUMBER = 2**31 - 1  # ids and amounts are 32-bit integers


def _within(value: int, lowest: int, highest: int) -> int:
    return max(lowest, min(value, highest))


@dataclass(frozen=True)
class OrderPage:
    """One page of the list, and where the pages either side of it start, if there are any."""

    orders: list[Order]
    previous: Place | None
    following: Place | None


def find_orders(
    filters: OrderFilters,
    sort: str = "newest",
    after: Place | None = None,
    before: Place | None = None,
) -> OrderPage:
    """The page of orders matching ``filters``, sorted, that follows the order at ``after`` (or
    comes just before the one at ``before``; with neither, the first page).

    One query, whatever the number of orders, and as quick for the thousandth page as for the
    first: it starts from the place in the sort's index rather than counting past the orders
    before it. The list shows only the order's own columns. A Stripe id (``cs_…`` or ``pi_…``)
    is looked up through the order's checkout attempts.
    """
    column, downwards = SORTS.get(sort, SORTS["newest"])
    backwards = before is not None
    place = before if backwards else after
    query = _filtered(filters)
    if place is not None:
        edge = tuple_(column, Order.id)
        value = tuple_(literal(place.sort_value(column), column.type), literal(place.order_id))
        query = query.where(edge > value if downwards == backwards else edge < value)
    keys = (column, Order.id)
    # Read backwards from ``before`` (then turned round), forwards otherwise.
    ascending = downwards == backwards
    query = query.order_by(*(key.asc() if ascending else key.desc() for key in keys))
    rows = list(db.session.scalars(query.limit(PAGE_SIZE + 1)))
    beyond = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if backwards:
        rows.reverse()
        earlier, later = beyond, True
    else:
        earlier, later = place is not None, beyond
    return OrderPage(
        orders=rows,
        previous=Place.of(rows[0], column) if rows and earlier else None,
        following=Place.of(rows[-1], column) if rows and later else None,
    )


def _filtered(filters: OrderFilters):
    query = select(Order).where(Order.reference.is_not(None))
    if filters.state is not None:
        query = query.where(Order.state == filters.state)
    if filters.payment_method is not None:
        query = query.where(Order.payment_method == filters.payment_method)
    if filters.placed_from is not None:
        query = query.where(Order.created_at >= _london_midnight(filters.placed_from))
    if filters.placed_to is not None:
        query = query.where(
            Order.created_at < _london_midnight(filters.placed_to + timedelta(days=1))
        )
    if filters.report_id is not None:
        query = query.where(
            exists()
            .where(OrderLine.order_id == Order.id)
            .where(OrderLine.report_format_id == ReportFormat.id)
            .where(ReportFormat.report_id == filters.report_id)
        )
    if filters.organisation:
        query = query.where(Order.organisation_name.ilike(_like(filters.organisation), escape="\\"))
    if filters.subscriber is True:
        query = query.where(Order.subscriber_organisation_id.is_not(None))
    elif filters.subscriber is False:
        query = query.where(Order.subscriber_organisation_id.is_(None))
    if filters.q:
        query = query.where(_matches(filters.q))
    return query


def _matches(q: str):
    if q.startswith(_STRIPE_PREFIXES):
        # Only a Stripe id needs the attempts table; everything else is on the order itself.
        return exists().where(
            CheckoutAttempt.order_id == Order.id,
            or_(
                CheckoutAttempt.stripe_session_id == q,
                CheckoutAttempt.stripe_payment_intent_id == q,
            ),
        )
    pattern = _like(q)
    return or_(
        Order.reference.ilike(pattern, escape="\\"),
        Order.email.ilike(pattern, escape="\\"),
        Order.name.ilike(pattern, escape="\\"),
        Order.organisation_name.ilike(pattern, escape="\\"),
        Order.po_number.ilike(pattern, escape="\\"),
    )


def find_order(reference: str) -> Order | None:
    """The order with this reference, its lines (with their formats) and history loaded."""
    if len(reference) > 20:
        return None
    return db.session.scalar(
        select(Order)
        .where(Order.reference == reference)
        .options(
            selectinload(Order.lines).selectinload(OrderLine.report_format),
            selectinload(Order.events),
        )
    )


# ---------------------------------------------------------------------------------------------
# Everything about one order


@dataclass(frozen=True)
class LineDownloads:
    counted: int  # downloads counted against the limit (since any reset; not administrators')
    limit: int
    last_at: datetime | None


@dataclass
class OrderRecord:
    """Everything the order page shows beyond the order and its lines."""

    order: Order
    attempts: list[CheckoutAttempt] = field(default_factory=list)
    invoice_payment: InvoicePayment | None = None
    refunds: list[Refund] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    downloads: dict[int, LineDownloads] = field(default_factory=dict)
    emails: list[OutboxEmail] = field(default_factory=list)
    actors: dict[int, str] = field(default_factory=dict)  # user id → email, for the timeline
    agreements: list[OrderAgreement] = field(default_factory=list)  # terms and licence accepted


def order_record(order: Order) -> OrderRecord:
    """The payments, refunds, documents, downloads, emails and timeline actors of ``order``
    (loaded by ``find_order``), in a fixed number of queries."""
    oid = order.id
    record = OrderRecord(order)
    record.agreements = content.agreements_of(oid)
    record.attempts = list(
        db.session.scalars(
            select(CheckoutAttempt)
            .where(CheckoutAttempt.order_id == oid)
            .order_by(CheckoutAttempt.id)
        )
    )
    record.invoice_payment = db.session.scalar(
        select(InvoicePayment).where(InvoicePayment.order_id == oid)
    )
    record.refunds = list(
        db.session.scalars(select(Refund).where(Refund.order_id == oid).order_by(Refund.id))
    )
    # The PDFs stay in the database: the page only links to them.
    record.documents = list(
        db.session.scalars(
            select(Document)
            .where(Document.order_id == oid)
            .options(defer(Document.pdf))
            .order_by(Document.id)
        )
    )
    counted = or_(
        OrderLine.downloads_counted_from.is_(None),
        Download.at >= OrderLine.downloads_counted_from,
    )
    rows = db.session.execute(
        select(
            Download.order_line_id,
            func.count(case((counted & (Download.via != downloads.ADMIN), 1))),
            func.max(Download.at),
        )
        .join(OrderLine, OrderLine.id == Download.order_line_id)
        .where(OrderLine.order_id == oid)
        .group_by(Download.order_line_id)
    ).all()
    seen = {line_id: (count, last) for line_id, count, last in rows}
    for line in order.lines:
        if line.format_kind == FormatKind.PDF:
            count, last = seen.get(line.id, (0, None))
            record.downloads[line.id] = LineDownloads(
                count, line.report_format.download_limit, last
            )
    record.emails = list(
        db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.order_id == oid)
            .options(defer(OutboxEmail.body_text), defer(OutboxEmail.body_html))
            .order_by(OutboxEmail.id)
        )
    )
    actor_ids = {e.actor_user_id for e in order.events if e.actor_user_id is not None}
    if actor_ids:
        record.actors = dict(
            db.session.execute(select(User.id, User.email).where(User.id.in_(actor_ids))).all()
        )
    return record


# ---------------------------------------------------------------------------------------------
# Dispatch


def dispatch_queue() -> list[Order]:
    """Orders with printed copies still to post that may be posted (paid, or released on
    credit before payment), oldest first (two queries in all)."""
    waiting = exists().where(
        OrderLine.order_id == Order.id,
        OrderLine.format_kind == FormatKind.PRINT,
        OrderLine.dispatched_at.is_(None),
        OrderLine.refunded_at.is_(None),
    )
    return list(
        db.session.scalars(
            select(Order)
            .where(standing.may_deliver_clause(), waiting)
            .options(selectinload(Order.lines))
            .order_by(Order.created_at, Order.id)
        )
    )
