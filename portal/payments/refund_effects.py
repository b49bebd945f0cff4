"""What a refund does once it is made: its copies counted on their lines (printed ones never
posted back in stock, and those free with a subscription back in the organisation's allowance),
the order complete when nothing is left to post, the line in its history, and its credit note
(none for free copies given back, which moved no money).

Services flush; the caller commits once.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from portal.clock import long_date, today_in_london
from portal.documents import services as documents
from portal.documents.models import Document, DocumentKind
from portal.money import format_pence
from portal.orders import states, stock
from portal.orders.models import Order, OrderLine, OrderState
from portal.payments import refund_lines
from portal.payments.models import Refund, RefundMethod
from portal.pricing import FormatKind

log = logging.getLogger(__name__)


def give_back_lines(order: Order, refund: Refund) -> None:
    """Count the refund's copies on their lines; printed ones never posted go back in stock,
    and those of them that were free with a subscription back in the organisation's allowance."""
    for refunded in refund.lines:
        line = refunded.order_line
        before = line.refunded_quantity
        line.refunded_quantity = min(before + refunded.quantity, line.quantity)
        if line.refunded_quantity >= line.quantity and line.refunded_at is None:
            line.refunded_at = refund.confirmed_at
        if line.dispatched_at is None:
            _not_posted(order, line, before, refunded.quantity)


def close_every_line(order: Order, when: datetime | None) -> None:
    """Everything paid has gone back: every line still open closes (losing access), and the
    printed copies of those never posted are given back like refunded ones, free copies
    included."""
    for line in order.lines:
        if line.refunded_at is not None:
            continue
        line.refunded_at = when
        if line.format_kind == FormatKind.PRINT and line.dispatched_at is None:
            before = line.refunded_quantity
            line.refunded_quantity = line.quantity
            _not_posted(order, line, before, line.quantity - before)


def _not_posted(order: Order, line: OrderLine, already: int, copies: int) -> None:
    """``copies`` copies of ``line`` after the first ``already`` (in the order refunds take
    them) are given back before being posted: back in stock while the order holds its copies,
    and those that came from the organisation's free copies back in its allowance."""
    if stock.has_taken_stock(order):
        stock.give_back_copies(line, copies)
    if line.format_kind == FormatKind.PRINT:
        line.free_copies_returned = min(
            refund_lines.subscriber_copies_of_first(line, already + copies)
            - refund_lines.subscriber_copies_of_first(line, already)
            + line.free_copies_returned,
            line.subscriber_quantity,
        )


def complete_when_nothing_is_left_to_post(order: Order, refund: Refund) -> None:
    if order.state is not OrderState.PAID or not refund.lines:
        return
    waiting = [
        line
        for line in order.lines
        if line.format_kind == FormatKind.PRINT
        and line.dispatched_at is None
        and line.refunded_quantity < line.quantity
    ]
    if not waiting:
        states.mark_fulfilled(
            order, refund.requested_by_user_id, "Nothing left to post: the copies were refunded"
        )


def history_note(refund: Refund) -> str:
    amount = format_pence(refund.amount_pence)
    if refund.amount_pence == 0:
        note = "Free printed copies given back before posting"
    elif refund.method is RefundMethod.CREDIT:
        note = f"Credit of {amount} against the invoice"
    elif refund.method is RefundMethod.BANK_TRANSFER:
        note = (
            f"Refund of {amount} by bank transfer on {long_date(refund.refunded_on)}, "
            f"reference {refund.bank_reference}"
        )
    else:
        note = f"Refund of {amount}"
    return note + (f": {refund.reason}" if refund.reason else "")


def credit_note(
    order: Order, refund: Refund, refundable_pence: Callable[[Order], int]
) -> Document | None:
    """The credit note of a refund just made, naming its lines, against the order's invoice
    (or else its receipt); None when there is nothing to correct. When it cannot be issued the
    order is flagged for an administrator: the money has gone back all the same."""
    if refund.amount_pence == 0:
        return None  # free copies given back: no money, nothing on any document to correct
    document = documents.first_of_kind(order, DocumentKind.INVOICE) or documents.first_of_kind(
        order, DocumentKind.RECEIPT
    )
    if order.state is OrderState.CANCELLED and refundable_pence(order) == 0:
        # Everything that reached a cancelled order has gone back: the flag asking for the
        # refund is settled (a credit note that cannot be issued below flags the order again).
        order.attention = ""
    if order.state is OrderState.CANCELLED and (
        document is None or documents.left_to_credit(document) <= 0
    ):
        # A late payment on a cancelled order was never receipted, and cancelling credited the
        # invoice in full already: there is nothing more to correct.
        return None
    try:
        if document is None:
            raise documents.DocumentRefused(f"order {order.reference} has no receipt")
        note = documents.issue_credit_note(
            document,
            refund.amount_pence,
            today_in_london(),
            refund.reason or "Refund",
            refund_lines.printed_lines(refund.lines, refund.postage_pence),
        )
    except documents.DocumentRefused as error:
        # The money has gone back all the same: record it, and leave the paperwork to a person.
        log.warning("no credit note for refund %s: %s", refund.id, error)
        order.attention = (
            f"Refund of {format_pence(refund.amount_pence)}"
            + (f" (Stripe {refund.stripe_refund_id})" if refund.stripe_refund_id else "")
            + f" was made but no credit note could be issued: {error}."
        )
        return None
    refund.credit_note_id = note.id
    return note
