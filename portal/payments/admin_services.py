"""What administrators do about an order's invoice: record the bank transfer that pays it, or
approve credit (release the order before it is paid), and which of those the order's state
allows.

Each action locks the order and checks its state first, raising InvoiceActionRefused before
changing anything; each writes an audit entry in the same transaction. Services flush; the view
commits once.
"""

from datetime import date

from portal import audit
from portal.accounts.models import User
from portal.orders import states
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.payments import invoices


class InvoiceActionRefused(Exception):
    """The action does not make sense in the order's current state; nothing was changed."""


def may_mark_invoice_paid(order: Order) -> bool:
    return (
        order.payment_method is PaymentMethod.INVOICE
        and order.state is OrderState.AWAITING_INVOICE_PAYMENT
    )


def may_release_downloads(order: Order) -> bool:
    return (
        order.state is OrderState.AWAITING_INVOICE_PAYMENT and order.downloads_released_at is None
    )


def mark_invoice_paid(order: Order, paid_on: date, reference: str, by: User) -> None:
    """Record the bank transfer paying the order's invoice (see ``invoices.mark_invoice_paid``)."""
    states.lock_order(order)
    if not may_mark_invoice_paid(order):
        raise InvoiceActionRefused("Only an invoice order waiting for payment can be marked paid.")
    before = audit.snapshot(order, "state")
    try:
        invoices.mark_invoice_paid(order, paid_on, reference, by.id)
    except invoices.AlreadyPaid as refused:
        raise InvoiceActionRefused("This invoice has already been paid.") from refused
    audit.record(
        by,
        "order.mark_invoice_paid",
        "order",
        order.reference,
        before=before,
        after={**audit.snapshot(order, "state"), "paid_on": paid_on, "reference": reference},
    )


def release_downloads(order: Order, by: User) -> None:
    """Approve credit: release an unpaid invoice order before payment (its PDFs may be
    downloaded, its printed copies posted)."""
    states.lock_order(order)
    if not may_release_downloads(order):
        raise InvoiceActionRefused(
            "Credit can be approved only for an unpaid invoice order not yet released."
        )
    invoices.release_downloads_early(order, by.id)
    audit.record(
        by,
        "order.release_downloads",
        "order",
        order.reference,
        before={"downloads_released_at": None},
        after=audit.snapshot(order, "downloads_released_at"),
    )


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
        raise InvoiceActionRefused(
            "A purchase order number can be added only to an invoice order placed with "
            "PO to follow."
        )
    if not po_number:
        raise InvoiceActionRefused("Enter the purchase order number.")
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
