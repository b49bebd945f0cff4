"""The buyer switching an unpaid order between paying by card and paying on invoice.

To invoice: any Checkout Session still open is expired through Stripe first (a session that
turns out to be paid is recorded, and the switch refused), then the order takes the purchase-order
details, the credit decision of ``approval.credit_for``, and its VAT invoice (or waits for
approval first, like an invoice order placed so). To card: only while no invoice has been issued
(an order still waiting for approval), since an issued invoice can be undone only by a credit
note; the order takes its printed copies again and the caller opens the payment page.

Each switch locks the order first, so two at once (or a switch and a payment) take turns and the
second sees the first's outcome. Services flush; the view commits once, or rolls back on a
refusal.
"""

from datetime import date

from portal import pricing
from portal.documents import services as documents
from portal.documents.models import DocumentKind
from portal.downloads import jobs as download_jobs
from portal.email import send_email
from portal.extensions import db
from portal.orders import approval, states, stock
from portal.orders import services as orders
from portal.orders.access import order_link
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.payments import invoices
from portal.payments import services as card


class SwitchRefused(Exception):
    """The order cannot switch now; ``str(error)`` says why, for the buyer. Nothing changed."""


class PaidMeanwhile(SwitchRefused):
    """Expiring the card session found it paid: the payment is recorded (commit it), and the
    order stays a card order."""


#: Why an order waiting for a card payment cannot switch to invoice, as the buyer is told.
_CARD_NOT_STOPPED = {
    card.StopReason.UNREACHABLE: (
        "We could not reach our card processor to close your payment page, so nothing "
        "has changed. Try again in a few minutes."
    ),
    card.StopReason.PAID: "Your card payment for this order has arrived, so it is paid.",
    card.StopReason.PROCESSING: (
        "A card payment for this order is still being processed, so how it is paid "
        "cannot change. Its page will show the payment once it arrives."
    ),
}


def _refusal(order: Order) -> str | None:
    if order.state is OrderState.CANCELLED:
        return "This order is cancelled, so how it is paid cannot change."
    if order.state in (OrderState.PAID, OrderState.FULFILLED):
        return "This order is paid already, so how it is paid cannot change."
    return None


def may_switch_to_invoice(order: Order) -> bool:
    return order.state is OrderState.PENDING_PAYMENT


def may_switch_to_card(order: Order) -> bool:
    return order.state is OrderState.AWAITING_APPROVAL


def switch_to_invoice(
    order: Order,
    details: orders.InvoiceDetails,
    person: pricing.Person,
    by_user_id: int | None,
    today: date,
) -> None:
    """Switch an unpaid card order to paying on invoice against ``details``, for ``person``
    (the order's buyer as pricing sees them). Raises SwitchRefused (PaidMeanwhile when the card
    payment turned out to have arrived)."""
    states.lock_order(order)
    if refused := _refusal(order):
        raise SwitchRefused(refused)
    if order.state is not OrderState.PENDING_PAYMENT:
        raise SwitchRefused("This order is paid on invoice already.")
    _close_card_sessions(order)
    items = [stock.Item(line.report_format, line.quantity) for line in order.lines]
    waits = approval.waits_for_approval(person, PaymentMethod.INVOICE, items)
    credit = approval.credit_for(person, order.email, PaymentMethod.INVOICE)
    for name, value in details.as_order_fields().items():
        setattr(order, name, value)
    order.payment_method = PaymentMethod.INVOICE
    order.credit_terms = credit.value
    states.to_invoice(order, waits, by_user_id, "The buyer switched to paying on invoice")
    if waits:  # an unverified buyer's printed copies are taken only once approved
        stock.give_back(order)
        send_email("order_confirmation", order.email, order=order, link=order_link(order))
        db.session.flush()
        return
    if credit.released:
        approval.release(order, by_user_id, orders.released_note(credit))
        download_jobs.stamp_copies_after_commit(order)
    invoices.issue_invoice_for(order, today)
    db.session.flush()


def _close_card_sessions(order: Order) -> None:
    """Stop the order's card payment (``card.stop_card_payment``). Raises SwitchRefused when it
    cannot, PaidMeanwhile when the payment was made."""
    try:
        card.stop_card_payment(order)
    except card.CardPaymentNotStopped as stopped:
        refused = PaidMeanwhile if stopped.reason is card.StopReason.PAID else SwitchRefused
        raise refused(_CARD_NOT_STOPPED[stopped.reason]) from stopped


def switch_to_card(order: Order, by_user_id: int | None) -> None:
    """Switch an invoice order that is still waiting for approval (no invoice issued) to paying
    by card: it takes its printed copies now, as a card order does while it is paid. The caller
    then opens the payment page (and rolls everything back if it cannot). Raises
    SwitchRefused."""
    states.lock_order(order)
    if refused := _refusal(order):
        raise SwitchRefused(refused)
    if order.state is OrderState.PENDING_PAYMENT:
        raise SwitchRefused("This order is paid by card already.")
    if any(d.kind is DocumentKind.INVOICE for d in documents.documents_for(order)):
        raise SwitchRefused(
            "This order's VAT invoice has been issued, so it is paid on invoice. Pay the "
            "invoice by bank transfer, or contact us to cancel the order."
        )
    try:
        stock.reserve([stock.Item(line.report_format, line.quantity) for line in order.lines])
    except stock.OutOfStock as out:
        raise SwitchRefused(
            f"There are not enough printed copies of “{out.report_format.report.title}” left "
            "to pay by card now. Your order is unchanged."
        ) from out
    order.payment_method = PaymentMethod.CARD
    order.credit_terms = ""
    for name in orders.InvoiceDetails.FIELDS:
        setattr(order, name, "")
    states.to_card(order, by_user_id, "The buyer switched to paying by card")
    db.session.flush()
