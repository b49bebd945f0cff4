"""What has become of orders' money, for the orders export: the documents issued for each order,
when and how much was paid, and how much was refunded or credited.

One definition (the documents register reads the same tables, per document rather than per
order):

- **paid**: card payments Stripe confirmed, plus the bank transfer recorded against an invoice;
  the paid date is the first of them, a London date;
- **refunded**: money given back (refunds that succeeded);
- **credited**: credit notes that gave no money back (credited against the invoice, or owed to
  the buyer after a refund that failed): credit notes issued for a refund that succeeded are in
  *refunded* already, so *order total - refunded - credited* is what the order came to.

They are read by one query of plain rows (``money_rows``), every document, card payment, bank
transfer and refund of the orders asked about in order-id order, and added up in Python
(``money_by_order``) as an export streams its own rows in the same order: no aggregate for the
database to plan, so the time grows with the rows whatever the planner knows of the tables.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import groupby

from sqlalchemy import Date, DateTime, Integer, Select, String, cast, literal, null, select
from sqlalchemy import type_coerce as coerce

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
_CARD, _TRANSFER, _REFUND = "card", "transfer", "refund"


@dataclass
class OrderMoney:
    """What became of one order's money; amounts in pence."""

    invoice_number: str = ""
    receipt_number: str = ""
    credit_note_numbers: list[str] = field(default_factory=list)
    paid_on: date | None = None  # London
    paid_pence: int = 0
    refunded_pence: int = 0
    credited_pence: int = 0


#: An order with nothing paid, refunded, credited or issued.
NOTHING = OrderMoney()


def money_rows(order_ids: Select) -> Select:
    """Every document, confirmed card payment, bank transfer and successful refund of the orders
    among ``order_ids`` (a SELECT of order ids), one row each, in order-id order: ``order_id``,
    ``what`` (a document's kind, or card, transfer, refund), ``number``, ``day``, ``moment``
    (UTC, as stored), ``pence`` and ``link`` (a document's id; the credit note of a refund).

    Each is a plain read of one table (no join the planner could get wrong without statistics):
    a credit note and the refund that gave its money back meet in ``money_by_order``."""
    ids = order_ids.scalar_subquery()
    no_text, no_day = cast(null(), String), cast(null(), Date)
    no_moment, no_link = cast(null(), DateTime), cast(null(), Integer)
    documents = select(
        Document.order_id.label("order_id"),
        coerce(Document.kind, String).label("what"),
        Document.number.label("number"),
        no_day.label("day"),
        no_moment.label("moment"),
        Document.total_pence.label("pence"),
        Document.id.label("link"),
    ).where(Document.order_id.in_(ids))
    cards = select(
        CheckoutAttempt.order_id,
        literal(_CARD, String),
        no_text,
        no_day,
        coerce(CheckoutAttempt.paid_at, DateTime),
        CheckoutAttempt.amount_paid_pence,
        no_link,
    ).where(CheckoutAttempt.status == AttemptStatus.PAID, CheckoutAttempt.order_id.in_(ids))
    transfers = select(
        InvoicePayment.order_id,
        literal(_TRANSFER, String),
        no_text,
        InvoicePayment.paid_on,
        no_moment,
        InvoicePayment.amount_pence,
        no_link,
    ).where(InvoicePayment.order_id.in_(ids))
    refunds = select(
        Refund.order_id,
        literal(_REFUND, String),
        no_text,
        no_day,
        no_moment,
        Refund.amount_pence,
        Refund.credit_note_id,
    ).where(Refund.status == RefundStatus.SUCCEEDED, Refund.order_id.in_(ids))
    every = documents.union_all(cards, transfers, refunds).subquery("order_money")
    return select(every).order_by(every.c.order_id, every.c.what, every.c.number)


def money_by_order(rows: Iterable) -> Iterator[tuple[int, OrderMoney]]:
    """``(order id, OrderMoney)`` for each order in ``rows`` (from ``money_rows``), in order."""
    for order_id, events in groupby(rows, key=lambda row: row[0]):
        money = OrderMoney()
        credit_notes: dict[int, int] = {}  # id -> amount credited
        refunded_notes: set[int | None] = set()  # credit notes whose money went back
        for _, what, number, day, moment, pence, link in events:
            if what == DocumentKind.INVOICE:
                money.invoice_number = number
            elif what == DocumentKind.RECEIPT:
                money.receipt_number = number
            elif what == DocumentKind.CREDIT_NOTE:
                money.credit_note_numbers.append(number)
                credit_notes[link] = -pence  # a credit note's total is negative
            elif what == _REFUND:
                money.refunded_pence += pence
                refunded_notes.add(link)
            else:  # money in: a card payment or a bank transfer
                money.paid_pence += pence or 0
                arrived = day if what == _TRANSFER else london_day(moment)
                if arrived is not None and (money.paid_on is None or arrived < money.paid_on):
                    money.paid_on = arrived
        money.credited_pence = sum(
            amount for note, amount in credit_notes.items() if note not in refunded_notes
        )
        yield order_id, money


def london_day(moment: datetime | None) -> date | None:
    """The London date of a UTC moment (naive, as stored, or aware)."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LONDON).date()
