"""Receipts: the receipt of a paid (or free) order, issued and emailed with its PDF.

Services flush; the caller commits once.
"""

from datetime import date

from portal.documents import services as documents
from portal.orders.models import Order
from portal.payments import finance_contacts


def pdf_attachment(document) -> tuple[str, str, bytes]:
    """An issued document as an email attachment: (filename, content type, bytes)."""
    return (document.filename, "application/pdf", document.pdf)


def send_receipt(order: Order, today: date) -> None:
    """Issue the receipt of a paid (or free) order and email it, PDF attached, to the buyer and
    (an invoice order's) finance contact."""
    receipt = documents.issue_receipt(order, today)
    finance_contacts.email_buyer_and_finance(
        "receipt", order, today, attachments=[pdf_attachment(receipt)], receipt=receipt
    )
