"""Paying on invoice: issuing the VAT invoice when the order is placed, recording the bank
transfer when it arrives, approving credit (releasing the order before payment), and reminding
late payers.

Services flush; the caller commits once.
"""

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from portal.clock import long_date
from portal.documents import services as documents
from portal.documents.models import DocumentKind
from portal.downloads import jobs as download_jobs
from portal.extensions import db
from portal.orders import approval
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.payments import finance_contacts, settlement
from portal.payments.models import InvoicePayment
from portal.payments.receipts import pdf_attachment

#: Reminders start this many days after the invoice date, then repeat every REMINDER_EVERY days.
FIRST_REMINDER_AFTER = 30
REMINDER_EVERY = 14


class AlreadyPaid(Exception):
    """The invoice has been paid already (or the order no longer awaits payment)."""


def issue_invoice_for(order: Order, today: date) -> None:
    """Issue the VAT invoice of a newly placed invoice order and email it, PDF attached, to the
    buyer and the finance contact."""
    invoice = documents.issue_invoice(order, today)
    due = invoice.issued_on + timedelta(days=current_app.config["INVOICE_PAYMENT_DAYS"])
    finance_contacts.email_buyer_and_finance(
        "invoice", order, today, attachments=[pdf_attachment(invoice)], invoice=invoice, due_on=due
    )


def send_copy_with_po_number(order: Order, today: date):
    """Once an order placed with "PO to follow" has its number: a copy of its issued invoice
    with the number, marked "Copy - PO number added on <date>", emailed to the buyer and the
    finance contact. None when no invoice has been issued yet (it will carry the number)."""
    invoice = _invoice_of(order)
    if invoice is None:
        return None
    copy = documents.copy_of_invoice(
        invoice, today, f"Copy \N{EM DASH} PO number added on {long_date(today)}"
    )
    finance_contacts.email_buyer_and_finance(
        "invoice_copy",
        order,
        today,
        attachments=[(copy.filename, "application/pdf", copy.pdf)],
        invoice=invoice,
        copy=copy,
    )
    return copy


def mark_invoice_paid(order: Order, paid_on: date, reference: str, by_user_id: int | None) -> None:
    """Record the bank transfer that pays an invoice: the order is paid, its downloads open, the
    receipt is sent, and the change is in the order's history. Paying twice raises AlreadyPaid.
    """
    if order.payment_method is not PaymentMethod.INVOICE or (
        order.state is not OrderState.AWAITING_INVOICE_PAYMENT
    ):
        raise AlreadyPaid()
    already = db.session.scalar(select(InvoicePayment).where(InvoicePayment.order_id == order.id))
    if already is not None:
        raise AlreadyPaid()
    db.session.add(
        InvoicePayment(
            order_id=order.id,
            paid_on=paid_on,
            reference=reference.strip(),
            amount_pence=_owed(order),
            recorded_by_user_id=by_user_id,
        )
    )
    settlement.settle(
        order, f"Invoice paid on {long_date(paid_on)}, reference {reference}", by_user_id, paid_on
    )


def _owed(order: Order) -> int:
    """What the order's invoice asks for now: its total less what credit notes took off it."""
    invoice = _invoice_of(order)
    return documents.left_to_credit(invoice) if invoice is not None else order.total_pence


def release_downloads_early(order: Order, by_user_id: int | None) -> None:
    """Approve credit for an unpaid invoice order (an administrator's call): its PDFs may be
    downloaded now and its printed copies join the dispatch queue."""
    if order.state is not OrderState.AWAITING_INVOICE_PAYMENT:
        raise AlreadyPaid()
    if approval.release(order, by_user_id, approval.CREDIT_APPROVED):
        download_jobs.stamp_copies_after_commit(order)
    db.session.flush()


def _invoice_of(order: Order):
    return next((d for d in documents.documents_for(order) if d.kind is DocumentKind.INVOICE), None)


def reminder_due(invoiced_on: date, last_reminded_on: date | None, today: date) -> bool:
    """Whether an unpaid invoice gets a reminder today: first 30 days after the invoice date,
    then every 14 days after the last reminder (a missed day is caught up the next day)."""
    if today < invoiced_on + timedelta(days=FIRST_REMINDER_AFTER):
        return False
    if last_reminded_on is None:
        return True
    return today >= last_reminded_on + timedelta(days=REMINDER_EVERY)


def send_reminders(today: date) -> list[str]:
    """Email a reminder, invoice attached, for every unpaid invoice that is due one today.
    Returns the references reminded. Running it twice the same day sends nothing more."""
    reminded = []
    unpaid = db.session.scalars(
        select(Order).where(Order.state == OrderState.AWAITING_INVOICE_PAYMENT).order_by(Order.id)
    )
    for order in unpaid:
        invoice = _invoice_of(order)
        if invoice is None or not reminder_due(invoice.issued_on, order.last_reminded_on, today):
            continue
        finance_contacts.email_buyer_and_finance(
            "invoice_reminder",
            order,
            today,
            attachments=[pdf_attachment(invoice)],
            invoice=invoice,
            days=(today - invoice.issued_on).days,
        )
        order.last_reminded_on = today
        reminded.append(order.reference)
    db.session.flush()
    return reminded
