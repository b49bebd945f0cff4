"""What has become of orders' money, as columns the finance exports join: the documents issued
for each order, when and how much was paid, and how much was refunded or credited.

One definition, for the orders export (the documents register reads the same tables, per
document rather than per order):

- **paid**: card payments Stripe confirmed, plus the bank transfer recorded against an invoice;
  the paid date is the first of them, a London date;
- **refunded**: money given back (refunds that succeeded);
- **credited**: credit notes that gave no money back (credited against the invoice, or owed to
  the buyer after a refund that failed): credit notes issued for a refund that succeeded are in
  *refunded* already, so *order total - refunded - credited* is what the order came to.

These are read from the tables (``checkout_attempts``, ``invoice_payments``, ``refunds``,
``documents``), a fixed number of joins whatever the number of orders, so an export can stream
them a batch at a time with its other columns.
"""

from datetime import UTC, date, datetime

from sqlalchemy import DateTime, Select, and_, case, func, select, type_coerce
from sqlalchemy.orm import aliased

from portal.clock import LONDON
from portal.documents.models import Document, DocumentKind
from portal.payments.models import (
    AttemptStatus,
    CheckoutAttempt,
    InvoicePayment,
    Refund,
    RefundStatus,
)

#: Between the numbers of an order's credit notes, in one cell.
NUMBER_SEPARATOR = "; "


#: The columns ``with_order_money`` adds to a query, in this order.
MONEY_COLUMNS = (
    "invoice_number",
    "receipt_number",
    "credit_note_numbers",
    "invoice_paid_on",
    "card_paid_at",
    "paid_pence",
    "refunded_pence",
    "credited_pence",
)


def with_order_money(query: Select, order_id, order_ids: Select) -> Select:
    """``query`` (which reads orders, ``order_id`` being their id column) with the columns of
    ``MONEY_COLUMNS`` added at its end, for the orders among ``order_ids`` (a SELECT of order
    ids: what the query reads, so the sums are made for those orders only).

    Numbers are None where there is no such document (``credit_note_numbers`` are joined with
    ``NUMBER_SEPARATOR``, in no set order: see ``credit_note_numbers``); ``invoice_paid_on`` is a
    London date and ``card_paid_at`` a UTC time as stored (naive), or None (see ``paid_on``);
    amounts are pence, 0 when there is nothing. Four outer joins to grouped subqueries, whatever
    the number of orders."""
    ids = order_ids.scalar_subquery()
    refund_of_note = and_(
        Refund.credit_note_id == Document.id, Refund.status == RefundStatus.SUCCEEDED
    )
    documents = (
        select(
            Document.order_id,
            func.max(case((Document.kind == DocumentKind.INVOICE, Document.number))).label(
                "invoice_number"
            ),
            func.max(case((Document.kind == DocumentKind.RECEIPT, Document.number))).label(
                "receipt_number"
            ),
            func.aggregate_strings(
                case((Document.kind == DocumentKind.CREDIT_NOTE, Document.number)),
                NUMBER_SEPARATOR,
            ).label("credit_note_numbers"),
            func.sum(
                case(
                    (
                        (Document.kind == DocumentKind.CREDIT_NOTE) & Refund.id.is_(None),
                        -Document.total_pence,
                    ),
                    else_=0,
                )
            ).label("credited_pence"),
        )
        .outerjoin(Refund, refund_of_note)
        .where(Document.order_id.in_(ids))
        .group_by(Document.order_id)
        .subquery("order_documents")
    )
    cards = (
        select(
            CheckoutAttempt.order_id,
            func.min(CheckoutAttempt.paid_at).label("paid_at"),
            func.sum(func.coalesce(CheckoutAttempt.amount_paid_pence, 0)).label("paid_pence"),
        )
        .where(CheckoutAttempt.status == AttemptStatus.PAID, CheckoutAttempt.order_id.in_(ids))
        .group_by(CheckoutAttempt.order_id)
        .subquery("order_card_payments")
    )
    refunds = (
        select(Refund.order_id, func.sum(Refund.amount_pence).label("refunded_pence"))
        .where(Refund.status == RefundStatus.SUCCEEDED, Refund.order_id.in_(ids))
        .group_by(Refund.order_id)
        .subquery("order_refunds")
    )
    transfers = aliased(InvoicePayment, name="order_transfer")
    return (
        query.add_columns(
            documents.c.invoice_number,
            documents.c.receipt_number,
            documents.c.credit_note_numbers,
            transfers.paid_on,
            # Read as stored (naive UTC): no conversion on each of the order's lines.
            type_coerce(cards.c.paid_at, DateTime()),
            func.coalesce(transfers.amount_pence, 0) + func.coalesce(cards.c.paid_pence, 0),
            func.coalesce(refunds.c.refunded_pence, 0),
            func.coalesce(documents.c.credited_pence, 0),
        )
        .outerjoin(documents, documents.c.order_id == order_id)
        .outerjoin(cards, cards.c.order_id == order_id)
        .outerjoin(transfers, transfers.order_id == order_id)
        .outerjoin(refunds, refunds.c.order_id == order_id)
    )


def paid_on(invoice_paid_on: date | None, card_paid_at: datetime | None) -> date | None:
    """The London date the order's money first arrived (None when it has not)."""
    days = [invoice_paid_on] if invoice_paid_on is not None else []
    if card_paid_at is not None:
        moment = card_paid_at if card_paid_at.tzinfo else card_paid_at.replace(tzinfo=UTC)
        days.append(moment.astimezone(LONDON).date())
    return min(days) if days else None


def credit_note_numbers(joined: str | None) -> str:
    """The credit-note numbers of an order in the order they were issued (the database joins
    them in no promised order)."""
    if not joined:
        return ""
    return NUMBER_SEPARATOR.join(sorted(joined.split(NUMBER_SEPARATOR)))
