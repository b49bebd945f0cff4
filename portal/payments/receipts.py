"""Receipts: the receipt of a paid (or free) order, issued and emailed with its PDF.

Services flush; the caller commits once.
"""

from datetime import date

from portal.documents import services as documents
from portal.email import send_email
from portal.orders.access import order_link
from portal.orders.models import Order


def pdf_attachment(document) -> tuple[str, str, bytes]:
    """An issued document as an email attachment: (filename, content type, bytes)."""
    return (document.filename, "application/pdf", document.pdf)


def send_receipt(order: Order, today: date) -> None:
    """Issue the receipt of a paid (or free) order and email it, PDF attached."""
    receipt = documents.issue_receipt(order, today)
    send_email(
        "receipt",
        order.email,
        attachments=[pdf_attachment(receipt)],
        order=order,
        receipt=receipt,
        link=order_link(order),
    )
