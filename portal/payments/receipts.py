"""Receipts: the receipt of a paid (or free) order, issued and emailed with its PDF.

A receipt is for money received. Credits against an invoice before it was paid (the credit
notes of refunds by credit) are shown on it taken off, so its total is what was paid; money
given back after payment is on the credit notes alone.

Services flush; the caller commits once.
"""

from dataclasses import replace
from datetime import date

from sqlalchemy import select

from portal.documents import services as documents
from portal.documents.models import Document
from portal.documents.printed import Line
from portal.extensions import db
from portal.orders.models import Order, PaymentMethod
from portal.payments import finance_contacts, refund_lines
from portal.payments.models import Refund, RefundMethod, RefundStatus


def pdf_attachment(document) -> tuple[str, str, bytes]:
    """An issued document as an email attachment: (filename, content type, bytes)."""
    return (document.filename, "application/pdf", document.pdf)


def credited_before_payment(order: Order) -> tuple[Line, ...]:
    """The lines (positive amounts) of the credit notes issued against the order's unpaid
    invoice, each named after its credit note, oldest first."""
    if order.payment_method is not PaymentMethod.INVOICE:
        return ()  # only an invoice is credited before it is paid
    rows = db.session.execute(
        select(Refund, Document.number)
        .join(Document, Document.id == Refund.credit_note_id)
        .where(
            Refund.order_id == order.id,
            Refund.method == RefundMethod.CREDIT,
            Refund.status == RefundStatus.SUCCEEDED,
        )
        .order_by(Refund.id)
    ).all()
    return tuple(
        replace(line, description=f"Credit note {number}: {line.description}")
        for refund, number in rows
        for line in refund_lines.printed_lines(refund.lines, refund.postage_pence)
    )


def send_receipt(order: Order, today: date) -> None:
    """Issue the receipt of a paid (or free) order, for what was paid, and email it, PDF
    attached, to the buyer and (an invoice order's) finance contact."""
    receipt = documents.issue_receipt(order, today, credited_before_payment(order))
    finance_contacts.email_buyer_and_finance(
        "receipt", order, today, attachments=[pdf_attachment(receipt)], receipt=receipt
    )
