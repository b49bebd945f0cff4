"""What became of orders' money: the one definition of what was paid, refunded and credited on
an order, and of the documents issued for it, read by the order pages for one order
(``money_of``, ``standing_of``) and by the exports for many (``money_rows``, ``money_by_order``).

- **paid**: card payments Stripe confirmed, plus the bank transfer recorded against an invoice;
  the paid date is the London day the first of them arrived;
- **refunded**: money given back: refunds that succeeded, to the card or by bank transfer, and
  card refunds that failed after they were made once they are repaid (by bank transfer, or by a
  card refund repaying them, which is not counted again; a credit against an unpaid invoice
  moves no money);
- **credited**: credit notes that gave no money back: credited against the invoice (cancelling
  it, or for chosen lines), or owed to the buyer after a refund that failed. A credit note whose
  refund gave the money back is in *refunded* already, so *order total - refunded - credited* is
  what the order came to.

One query gives every order asked about as one row, in order-id order (``money_rows``): each
table is read on its own (documents, card payments, bank transfers, refunds with the credit
note each gave money back for, read by its key), stacked and added up by order, with no join
the planner could get wrong without statistics; ``money_by_order`` turns the rows into
``Money`` as they stream. An order with nothing recorded against it has no row (``NOTHING``).
"""

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy import type_coerce as coerce

from portal.clock import LondonClock
from portal.documents.models import Document, DocumentKind
from portal.extensions import db
from portal.orders.models import Order
from portal.orders.standing import Money, Standing, standing
from portal.payments.models import (
    AttemptStatus,
    CheckoutAttempt,
    InvoicePayment,
    Refund,
    RefundMethod,
    RefundStatus,
    owed_clause,
)

#: Between the numbers of an order's credit notes, in one cell or one sentence.
NUMBER_SEPARATOR = "; "

#: An order with nothing paid, refunded, credited or issued.
NOTHING = Money()

_CARD, _TRANSFER, _REFUND, _OWED = "card", "transfer", "refund", "owed"


def money_rows(first_id, last_id) -> Select:
    """The money of the orders whose ids are ``first_id`` to ``last_id`` (values, or scalar
    subqueries), one row per order that has any, in order-id order: ``order_id``,
    ``paid_pence``, ``first_card`` (the first confirmed card payment, UTC as stored),
    ``first_transfer`` (a London date), ``refunded_pence``, ``credited_pence``,
    ``invoice_number``, ``receipt_number``, ``credit_note_numbers`` (joined by
    ``NUMBER_SEPARATOR``, in no particular order) and ``refund_owed_pence`` (card refunds that
    failed after they were made, not yet repaid). ``money_by_order`` reads them.

    A range of ids rather than a list: the index on each table's order id reads it in one
    pass, and an export of the orders placed on some days asks for the range their ids span,
    passing over the few others as it streams."""
    no_text, no_day, no_moment = cast(null(), String), cast(null(), Date), cast(null(), DateTime)
    kind = coerce(Document.kind, String)
    documents = select(
        Document.order_id.label("order_id"),
        kind.label("what"),
        Document.number.label("number"),
        no_day.label("day"),
        no_moment.label("moment"),
        # A credit note's total is negative: what it credits is minus that.
        case((kind == DocumentKind.CREDIT_NOTE.value, -Document.total_pence), else_=0).label(
            "pence"
        ),
    ).where(Document.order_id.between(first_id, last_id))
    cards = select(
        CheckoutAttempt.order_id,
        literal(_CARD, String),
        no_text,
        no_day,
        coerce(CheckoutAttempt.paid_at, DateTime),
        func.coalesce(CheckoutAttempt.amount_paid_pence, 0),
    ).where(
        CheckoutAttempt.status == AttemptStatus.PAID,
        CheckoutAttempt.order_id.between(first_id, last_id),
    )
    transfers = select(
        InvoicePayment.order_id,
        literal(_TRANSFER, String),
        no_text,
        InvoicePayment.paid_on,
        no_moment,
        InvoicePayment.amount_pence,
    ).where(InvoicePayment.order_id.between(first_id, last_id))
    # Money given back: its amount is refunded, and its credit note (read by its key) no longer
    # counts as credited.
    given_back = (
        select(
            Refund.order_id,
            literal(_REFUND, String),
            no_text,
            no_day,
            no_moment,
            Refund.amount_pence,
        )
        .add_columns(
            select(Document.total_pence)
            .where(Document.id == Refund.credit_note_id)
            .scalar_subquery()
            .label("note_total")
        )
        .where(
            # One that failed after it was made gives money back once it is repaid (a card
            # refund repaying it is counted there, not again on its own).
            or_(Refund.status == RefundStatus.SUCCEEDED, Refund.repaid_on.is_not(None)),
            Refund.method != RefundMethod.CREDIT,
            Refund.repays_refund_id.is_(None),
            Refund.order_id.between(first_id, last_id),
        )
    )
    # Card refunds that failed after they were made, not yet repaid: owed to the buyer.
    owed_back = select(
        Refund.order_id,
        literal(_OWED, String),
        no_text,
        no_day,
        no_moment,
        Refund.amount_pence,
    ).where(owed_clause(), Refund.order_id.between(first_id, last_id))
    no_note = cast(null(), Integer)
    every = documents.add_columns(no_note.label("note_total")).union_all(
        cards.add_columns(no_note),
        transfers.add_columns(no_note),
        given_back,
        owed_back.add_columns(no_note),
    )
    money = every.subquery("order_money")
    what, pence = money.c.what, money.c.pence

    def total(*kinds: str):
        return func.coalesce(func.sum(case((what.in_(kinds), pence), else_=0)), 0)

    def first_number(document_kind: DocumentKind):
        return func.min(case((what == document_kind.value, money.c.number)))

    # Each credit note whose money went back is taken off again (its total is negative).
    given_back_notes = func.coalesce(func.sum(money.c.note_total), 0)
    credited = total(DocumentKind.CREDIT_NOTE.value) + given_back_notes
    return (
        select(
            money.c.order_id,
            total(_CARD, _TRANSFER),
            func.min(money.c.moment),
            func.min(money.c.day),
            total(_REFUND),
            credited,
            first_number(DocumentKind.INVOICE),
            first_number(DocumentKind.RECEIPT),
            func.aggregate_strings(
                case((what == DocumentKind.CREDIT_NOTE.value, money.c.number)), NUMBER_SEPARATOR
            ),
            total(_OWED),
        )
        .group_by(money.c.order_id)
        .order_by(money.c.order_id)
    )


def money_by_order(rows: Iterable[Sequence]) -> Iterator[tuple[int, Money]]:
    """``(order id, Money)`` for each row of ``money_rows``, in the same order."""
    london = LondonClock()
    for row in rows:
        order_id, paid, card, transfer, refunded, credited, invoice, receipt, notes, owing = row
        arrived = london(card).date() if card is not None else None
        if transfer is not None and (arrived is None or transfer < arrived):
            arrived = transfer
        numbers = () if not notes else tuple(sorted(notes.split(NUMBER_SEPARATOR)))
        yield (
            order_id,
            Money(
                invoiced=invoice is not None,
                paid_pence=int(paid),
                refunded_pence=int(refunded),
                credited_pence=int(credited),
                paid_on=arrived,
                invoice_number=invoice or "",
                receipt_number=receipt or "",
                credit_note_numbers=numbers,
                refund_owed_pence=int(owing),
            ),
        )


def money_of(order: Order) -> Money:
    """The money recorded against ``order`` (one query)."""
    rows = db.session.execute(money_rows(order.id, order.id))
    return next((money for _, money in money_by_order(rows)), NOTHING)


def standing_of(order: Order) -> Standing:
    """What is owed on ``order`` and what has been delivered (``portal.orders.standing``)."""
    return standing(order, money_of(order))
