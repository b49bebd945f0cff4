"""Where an order stands: what is owed on it and what has been delivered, two separate facts.

An invoice order released on credit terms can be delivered in full and still owe its whole
invoice; a paid order can be owed nothing and still have copies to post. This module derives
both from the order and the money recorded against it, in the words the pages use. It is pure:
the money facts (``Money``) are gathered by the caller, so the order page, the administrators'
page and the exports all read the same answer (``portal.payments.owed`` gathers them, for one
order or for many at once, by one definition).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_

from portal import pricing
from portal.clock import london_date, long_date
from portal.money import format_pence
from portal.orders.models import Order, OrderLine, OrderState, PaymentMethod
from portal.pricing import FormatKind


@dataclass(frozen=True)
class Money:
    """The money recorded against an order, all in pence, and the documents issued for it
    (``portal.payments.owed`` says how each figure is gathered)."""

    invoiced: bool = False  # a VAT invoice has been issued
    paid_pence: int = 0  # received, by card or bank transfer
    refunded_pence: int = 0  # paid back to the buyer
    credited_pence: int = 0  # credit notes that gave no money back
    paid_on: date | None = None  # the London day money first arrived
    invoice_number: str = ""
    receipt_number: str = ""
    credit_note_numbers: tuple[str, ...] = ()  # in the order they were issued
    refund_owed_pence: int = 0  # card refunds that failed after they were made, not repaid


# What is owed
INVOICED = "Invoiced"
NOT_INVOICED = "Not invoiced yet"
AWAITING_CARD = "Waiting for card payment"
PAID = "Paid"
PART_REFUNDED = "Part-refunded"
REFUND_OWED = "Refund owed"
REFUNDED = "Refunded"
PART_CREDITED = "Part-credited"
CREDITED = "Credited"
NOTHING_TO_PAY = "Nothing to pay"
NOTHING_OWED = "Nothing owed"

# What has been delivered
NOT_RELEASED = "Not released"
COMPLETE = "Complete"
DOWNLOADABLE = "Downloadable"
TO_POST = "Waiting to be posted"
PART_DISPATCHED = "Part dispatched"
DISPATCHED = "Dispatched"
NOTHING_DELIVERED = "Nothing delivered"


@dataclass(frozen=True)
class Standing:
    owed: str  # one of the labels above
    owed_detail: str  # a sentence: how much, and why
    outstanding_pence: int  # still to be paid (0 when nothing is)
    delivered: str
    delivered_detail: str

    @property
    def owed_colour(self) -> str:
        return _COLOURS.get(self.owed, "grey")

    @property
    def delivered_colour(self) -> str:
        return _COLOURS.get(self.delivered, "grey")


_COLOURS = {
    INVOICED: "yellow",
    NOT_INVOICED: "yellow",
    AWAITING_CARD: "yellow",
    PART_CREDITED: "yellow",
    PAID: "green",
    NOTHING_TO_PAY: "green",
    PART_REFUNDED: "blue",
    REFUND_OWED: "red",
    REFUNDED: "grey",
    CREDITED: "grey",
    NOTHING_OWED: "grey",
    NOT_RELEASED: "yellow",
    TO_POST: "blue",
    DOWNLOADABLE: "blue",
    PART_DISPATCHED: "blue",
    DISPATCHED: "green",
    COMPLETE: "green",
    NOTHING_DELIVERED: "grey",
}


def may_deliver(order: Order) -> bool:
    """Whether the order's PDFs may be downloaded and its printed copies posted now: paid (or
    free), or an invoice order released before payment (credit terms, approved credit)."""
    if order.state in pricing.PAID_STATES:
        return True
    return order.state is OrderState.AWAITING_INVOICE_PAYMENT and order.released


def may_deliver_clause():
    """``may_deliver`` as a condition on ``Order`` rows, for queries (the dispatch queue, the
    dashboard): paid, or an invoice order released before payment. A complete order has nothing
    left to post, so it is left out."""
    return or_(
        Order.state == OrderState.PAID,
        and_(
            Order.state == OrderState.AWAITING_INVOICE_PAYMENT,
            Order.downloads_released_at.is_not(None),
        ),
    )


def to_post(order: Order) -> list[OrderLine]:
    """Printed lines not yet posted and not refunded."""
    return [
        line
        for line in order.lines
        if line.format_kind == FormatKind.PRINT
        and line.dispatched_at is None
        and line.refunded_at is None
    ]


def standing(order: Order, money: Money) -> Standing:
    """What is owed on ``order`` and what has been delivered, from the order and ``money``."""
    owed, owed_detail, outstanding = _owed(order, money)
    delivered, delivered_detail = _delivered(order)
    return Standing(owed, owed_detail, outstanding, delivered, delivered_detail)


def _owed(order: Order, money: Money) -> tuple[str, str, int]:
    total = order.total_pence
    kept = money.paid_pence - money.refunded_pence
    if order.payment_method is PaymentMethod.FREE or total == 0:
        return NOTHING_TO_PAY, "This order cost nothing.", 0
    if money.paid_pence:
        if money.refund_owed_pence:
            return (
                REFUND_OWED,
                f"A refund of {_pounds(money.refund_owed_pence)} did not reach the card: "
                "it is owed to the buyer until it is repaid.",
                0,
            )
        if money.refunded_pence >= money.paid_pence:
            return REFUNDED, f"{_pounds(money.paid_pence)} paid and refunded in full.", 0
        if money.refunded_pence:
            return (
                PART_REFUNDED,
                f"{_pounds(money.paid_pence)} paid; {_pounds(money.refunded_pence)} refunded.",
                0,
            )
        return PAID, f"{_pounds(kept)} paid.", 0
    if money.invoiced:
        due = max(total - money.credited_pence, 0)
        if money.credited_pence >= total:
            return CREDITED, f"The invoice for {_pounds(total)} was credited in full.", 0
        if order.state is OrderState.CANCELLED:
            return NOTHING_OWED, "The order was cancelled.", 0
        if money.credited_pence:
            return (
                PART_CREDITED,
                f"{_pounds(money.credited_pence)} of the invoice credited; {_pounds(due)} to pay.",
                due,
            )
        return INVOICED, f"{_pounds(total)} to pay against the invoice.", due
    if order.state is OrderState.CANCELLED:
        return NOTHING_OWED, "The order was cancelled before it was paid.", 0
    if order.state is OrderState.PENDING_PAYMENT:
        return AWAITING_CARD, f"{_pounds(total)} to pay by card.", total
    return NOT_INVOICED, "The invoice is sent once the order is approved.", 0


def _delivered(order: Order) -> tuple[str, str]:
    live = [line for line in order.lines if line.refunded_at is None]
    pdfs = [line for line in live if line.format_kind == FormatKind.PDF]
    printed = [line for line in live if line.format_kind == FormatKind.PRINT]
    posted = [line for line in printed if line.dispatched_at is not None]
    copies_posted = sum(line.quantity for line in posted)
    # A printed line may have had some of its copies refunded before it was posted.
    copies_to_post = sum(
        line.quantity - (line.refunded_quantity or 0)
        for line in printed
        if line.dispatched_at is None
    )
    posted_text = ""
    if posted:
        last = max(line.dispatched_at for line in posted)
        posted_text = f"{_copies(copies_posted)} posted (last on {long_date(london_date(last))})."
    if order.state is OrderState.CANCELLED or not may_deliver(order):
        if posted:
            return DISPATCHED if not copies_to_post else PART_DISPATCHED, posted_text
        if order.state is OrderState.CANCELLED:
            return NOTHING_DELIVERED, "The order was cancelled."
        return NOT_RELEASED, _why_not_released(order)
    parts = []
    if pdfs:
        parts.append("PDFs can be downloaded." if len(pdfs) > 1 else "The PDF can be downloaded.")
    if posted_text:
        parts.append(posted_text)
    if copies_to_post:
        parts.append(f"{_copies(copies_to_post)} to post.")
    detail = " ".join(parts)
    if not copies_to_post:
        return COMPLETE, detail or "Nothing to deliver."
    if posted:
        return PART_DISPATCHED, detail
    return (DOWNLOADABLE if pdfs else TO_POST), detail


def _why_not_released(order: Order) -> str:
    if order.state is OrderState.PENDING_PAYMENT:
        return "Released once the card payment is confirmed."
    if order.state is OrderState.AWAITING_APPROVAL:
        return "Released once we have approved the order."
    return "Released once the invoice is paid, or sooner if we approve credit."


def _pounds(pence: int) -> str:
    return format_pence(pence)


def _copies(n: int) -> str:
    return f"{n} printed cop{'y' if n == 1 else 'ies'}"
