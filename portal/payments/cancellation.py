"""Cancelling an order, by an administrator or by its buyer, and crediting its invoice in full.

An issued document never changes: cancelling an order whose VAT invoice was issued issues a
credit note for whatever of the invoice is still uncredited, from the gap-free credit-note
sequence, and emails it to the buyer and the finance contact (whose own daily cap applies). A
card payment page still open is expired first, so nobody pays an order being cancelled. The
printed copies the order took go back in stock.

Services flush; the caller commits once (and rolls back when one of these refuses).
"""

from datetime import date

from portal import audit, pricing
from portal.accounts.models import User
from portal.documents import services as documents
from portal.documents.models import Document, DocumentKind
from portal.downloads import services as downloads
from portal.extensions import db
from portal.money import format_pence
from portal.orders import services as orders
from portal.orders import states
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.payments import finance_contacts, refunds, services
from portal.payments.receipts import pdf_attachment

#: The states a buyer may cancel their own order from: nothing has been paid.
UNPAID_STATES = (
    OrderState.PENDING_PAYMENT,
    OrderState.AWAITING_APPROVAL,
    OrderState.AWAITING_INVOICE_PAYMENT,
)


#: Why an order waiting for a card payment cannot be cancelled, as the person is told.
_CARD_NOT_STOPPED = {
    services.StopReason.UNREACHABLE: (
        "The card payment page could not be closed, because our card processor could "
        "not be reached. Nothing has changed: try again in a few minutes."
    ),
    services.StopReason.PAID: "This order has just been paid, so it cannot be cancelled.",
    services.StopReason.PROCESSING: (
        "A payment for this order is being processed, so it cannot be cancelled now."
    ),
}


class CancelRefused(Exception):
    """The order cannot be cancelled now; ``message`` says why. Nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def refusal(order: Order) -> str | None:
    """Why ``order`` cannot be cancelled by anyone, or None when it can: it is already
    cancelled or complete, or printed copies of it have been posted."""
    if order.state is OrderState.CANCELLED:
        return "This order cannot be cancelled: it is already cancelled."
    if OrderState.CANCELLED not in states.ALLOWED[order.state]:
        return "This order is complete, so it cannot be cancelled."
    if any(line.dispatched_at is not None for line in order.lines):
        return "Printed copies of this order have been posted, so it cannot be cancelled."
    return None


def buyer_refusal(order: Order) -> str | None:
    """Why the buyer may not cancel ``order`` themselves, or None when they may: only while
    nothing is paid, nothing downloaded and nothing posted (after that, an administrator
    refunds instead)."""
    if refused := refusal(order):
        return refused
    if order.state in pricing.PAID_STATES or order.state not in UNPAID_STATES:
        return "This order has been paid, so it cannot be cancelled here. Contact us for a refund."
    if downloads.was_downloaded(order):
        return "A report in this order has been downloaded, so it cannot be cancelled."
    return None


def may_cancel_as_buyer(order: Order) -> bool:
    """Whether the order page offers its buyer the cancel control (exactly when
    ``cancel_by_buyer`` would take it)."""
    return buyer_refusal(order) is None


def cancel_order(order: Order, by_user_id: int | None, note: str, today: date) -> Document | None:
    """Cancel ``order``: lock it, check it may be cancelled (``refusal``), expire a card payment
    page still open, cancel it through the state machine, put its printed copies back in stock,
    and credit its VAT invoice in full when one was issued (``credit_whole_invoice``). Returns
    that credit note, or None.

    Raises CancelRefused, changing nothing, when the order may not be cancelled, when a card
    payment arrives or is under way as its page is closed, or when Stripe cannot be reached to
    close it.
    """
    states.lock_order(order)
    if refused := refusal(order):
        raise CancelRefused(refused)
    if order.payment_method is PaymentMethod.CARD and order.state is OrderState.PENDING_PAYMENT:
        try:
            services.stop_card_payment(order)
        except services.CardPaymentNotStopped as stopped:
            raise CancelRefused(_CARD_NOT_STOPPED[stopped.reason]) from stopped
    was_paid = order.state in pricing.PAID_STATES
    orders.cancel_order(order, by_user_id, note)
    credit_note = credit_whole_invoice(order, by_user_id, today, f"Order cancelled: {note}")
    if was_paid and (left := refunds.refundable_pence(order)) > 0:
        # Cancelling gives no money back by itself: the refund page takes what is left.
        order.attention = (
            f"Cancelled after {format_pence(left)} was paid and not refunded. Refund it."
        )
    db.session.flush()
    return credit_note


BUYER_CANCELLED = "Cancelled by the buyer"


def cancel_by_buyer(order: Order, by: User | None, today: date) -> Document | None:
    """The buyer cancels their own unpaid order (see ``buyer_refusal``, ``cancel_order``), signed
    in as ``by`` or, as a guest, with the order's link. The audit log records it, by the account
    or else by the order's email address."""
    states.lock_order(order)
    if refused := buyer_refusal(order):
        raise CancelRefused(refused)
    before = audit.snapshot(order, "state")
    credit_note = cancel_order(order, by.id if by else None, BUYER_CANCELLED, today)
    buyer = by or audit.Actor(order.email)
    record_cancel(buyer, "order.cancel_by_buyer", order, before, credit_note, BUYER_CANCELLED)
    return credit_note


def record_cancel(
    by, action: str, order: Order, before: dict, credit_note: Document | None, note: str = ""
) -> None:
    """The audit entry of a cancellation just made: the state before and after, and the credit
    note it issued."""
    after = audit.snapshot(order, "state")
    if credit_note is not None:
        after["credit_note"] = credit_note.number
    audit.record(by, action, "order", order.reference, before=before, after=after, note=note)


def credit_whole_invoice(
    order: Order, by_user_id: int | None, today: date, reason: str
) -> Document | None:
    """Credit what is left of the order's VAT invoice with one credit note dated ``today``,
    note it in the order's history and email it, PDF attached, to the buyer and the finance
    contact. Returns the credit note; None when no invoice was issued or it is all credited
    already (then nothing is written or sent)."""
    states.lock_order(order)
    invoice = documents.first_of_kind(order, DocumentKind.INVOICE)
    if invoice is None:
        return None
    left = documents.left_to_credit(invoice)
    if left <= 0:
        return None
    credit_note = documents.issue_credit_note(invoice, left, today, reason)
    states.add_note(
        order,
        by_user_id,
        f"Credit note {credit_note.number} for {format_pence(left)} cancels "
        f"invoice {invoice.number}",
    )
    finance_contacts.email_buyer_and_finance(
        "credit_note",
        order,
        today,
        attachments=[pdf_attachment(credit_note)],
        credit_note=credit_note,
        invoice=invoice,
        amount_pence=left,
        reason=reason,
    )
    db.session.flush()
    return credit_note
