"""What administrators read about orders: the list (filtered, searched, sorted, a page at a
time), everything about one order, and the printed copies waiting to be posted.

Each runs a fixed number of queries, whatever the number of orders or lines, so the screens stay
fast with 100,000 orders: rows show only what was loaded up front, never a per-row query.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import defer, selectinload

from portal.accounts.models import User
from portal.catalogue.models import Report, ReportFormat
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
SORTS = {
    "newest": (Order.created_at.desc(), Order.id.desc()),
    "oldest": (Order.created_at.asc(), Order.id.asc()),
    "total": (Order.total_pence.desc(), Order.id.desc()),
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


def find_orders(
    filters: OrderFilters, sort: str = "newest", page: int = 1
) -> tuple[list[Order], bool]:
    """One page of orders matching ``filters``, sorted, and whether there is a next page.

    One query, whatever the number of orders: the list shows only the order's own columns.
    A Stripe id (``cs_…`` or ``pi_…``) is looked up through the order's checkout attempts.
    """
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
    rows = db.session.scalars(
        query.order_by(*SORTS.get(sort, SORTS["newest"]))
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    return list(rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE


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


def report_choices() -> list[tuple[int, str]]:
    """Every report (published or not), for the list's report filter."""
    return list(db.session.execute(select(Report.id, Report.title).order_by(Report.title)))


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
