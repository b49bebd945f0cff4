"""What administrators do about an order's invoice and the emails that carry its documents:
approve credit (an invoice order that waits is released before it is paid; one that waited for
approval takes its printed copies and has its invoice issued first), record the bank transfer
that pays it, add a purchase-order number that was to follow, send its invoice or confirmation
again, cancel the order (crediting its invoice in full); and which of those the order's state
allows.

Each action locks the order and checks its state first, raising PaymentActionRefused before
changing anything; each writes an audit entry in the same transaction. Services flush; the view
commits once.
"""

from datetime import date

from portal import audit
from portal.accounts.models import User
from portal.downloads import jobs as download_jobs
from portal.email import send_email
from portal.extensions import db
from portal.orders import approval, states
from portal.orders.access import order_link
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.orders.stock import OutOfStock
from portal.payments import cancellation, invoices


class PaymentActionRefused(Exception):
    """The action does not make sense in the order's current state; nothing was changed."""


def may_approve_credit(order: Order) -> bool:
    """An invoice order that waits: for approval before it takes printed copies, or for its
    invoice's payment and not yet released."""
    return approval.is_waiting(order) or (
        order.state is OrderState.AWAITING_INVOICE_PAYMENT and order.downloads_released_at is None
    )


def may_resend_email(order: Order) -> bool:
    return order.state is not OrderState.CANCELLED


def may_cancel(order: Order) -> bool:
    """Before payment, or paid with nothing posted yet (a completed order stays as it is)."""
    return cancellation.refusal(order) is None


def may_mark_invoice_paid(order: Order) -> bool:
    return (
        order.payment_method is PaymentMethod.INVOICE
        and order.state is OrderState.AWAITING_INVOICE_PAYMENT
    )


def mark_invoice_paid(order: Order, paid_on: date, reference: str, by: User) -> None:
    """Record the bank transfer paying the order's invoice (see ``invoices.mark_invoice_paid``)."""
    states.lock_order(order)
    if not may_mark_invoice_paid(order):
        raise PaymentActionRefused("Only an invoice order waiting for payment can be marked paid.")
    before = audit.snapshot(order, "state")
    try:
        invoices.mark_invoice_paid(order, paid_on, reference, by.id)
    except invoices.AlreadyPaid as refused:
        raise PaymentActionRefused("This invoice has already been paid.") from refused
    audit.record(
        by,
        "order.mark_invoice_paid",
        "order",
        order.reference,
        before=before,
        after={**audit.snapshot(order, "state"), "paid_on": paid_on, "reference": reference},
    )


def approve_credit(order: Order, by: User, today: date) -> bool:
    """Approve credit for an invoice order that waits (``may_approve_credit``): it is released
    before its invoice is paid (its PDFs may be downloaded, its printed copies posted). An order
    still waiting for approval first takes its printed copies out of stock and has its VAT
    invoice issued and emailed (see ``approval.approve``); returns whether it did.

    Refused, changing nothing, when the order does not wait or there are not enough copies (the
    view rolls back).
    """
    states.lock_order(order)
    if not may_approve_credit(order):
        raise PaymentActionRefused(
            "Credit can be approved only for an unpaid invoice order not yet released."
        )
    before = audit.snapshot(order, "state", "downloads_released_at")
    invoiced = approval.is_waiting(order)
    if invoiced:
        try:
            approval.approve(order, by.id)
        except OutOfStock as out:
            raise PaymentActionRefused(
                f"Not enough printed copies of “{out.report_format.report.title}” are in stock "
                "to approve this order. Add stock in the catalogue, or cancel the order."
            ) from out
        invoices.issue_invoice_for(order, today)
        download_jobs.stamp_copies_after_commit(order)
    else:
        invoices.release_downloads_early(order, by.id)
    db.session.flush()
    audit.record(
        by,
        "order.approve_credit",
        "order",
        order.reference,
        before=before,
        after={**audit.snapshot(order, "state", "downloads_released_at"), "invoiced": invoiced},
    )
    return invoiced


def resend_email(order: Order, by: User, today: date) -> str:
    """Send again the invoice (invoice orders) or the order confirmation (others); returns the
    name of the email sent. The invoice is never issued twice: issuing returns the one there is.
    """
    if not may_resend_email(order):
        raise PaymentActionRefused("Emails are not sent again for a cancelled order.")
    if order.payment_method is PaymentMethod.INVOICE and not approval.is_waiting(order):
        invoices.issue_invoice_for(order, today)  # an order waiting for approval has none yet
        name = "invoice"
    else:
        send_email("order_confirmation", order.email, order=order, link=order_link(order))
        name = "order_confirmation"
    db.session.flush()
    audit.record(by, "order.resend_email", "order", order.reference, after={"email": name})
    return name


def may_add_po_number(order: Order) -> bool:
    """An invoice order whose purchase-order number was to follow, not cancelled."""
    return order.po_to_follow and order.state is not OrderState.CANCELLED


def add_po_number(order: Order, po_number: str, by: User, today: date) -> None:
    """Record the purchase-order number of an order placed with "PO to follow". When its
    invoice has been issued, a copy of it with the number, marked as such, is emailed to the
    buyer and the finance contact; the invoice itself never changes."""
    states.lock_order(order)
    po_number = po_number.strip()
    if not may_add_po_number(order):
        raise PaymentActionRefused(
            "A purchase order number can be added only to an invoice order placed with "
            "PO to follow."
        )
    if not po_number:
        raise PaymentActionRefused("Enter the purchase order number.")
    order.po_number = po_number
    states.add_note(order, by.id, f"Purchase order number added: {po_number}")
    copy = invoices.send_copy_with_po_number(order, today)
    audit.record(
        by,
        "order.add_po_number",
        "order",
        order.reference,
        before={"po_number": ""},
        after={"po_number": po_number, "invoice_copy": copy.id if copy else None},
    )


def cancel_order(order: Order, note: str, by: User, today: date) -> None:
    """Cancel the order, put its printed copies back in stock and credit its invoice in full
    (see ``may_cancel`` and ``cancellation.cancel_order``)."""
    states.lock_order(order)
    if not may_cancel(order):
        raise PaymentActionRefused(cancellation.refusal(order))
    before = audit.snapshot(order, "state")
    try:
        credit_note = cancellation.cancel_order(order, by.id, note, today)
    except cancellation.CancelRefused as refused:
        raise PaymentActionRefused(refused.message) from refused
    cancellation.record_cancel(by, "order.cancel", order, before, credit_note, note)
