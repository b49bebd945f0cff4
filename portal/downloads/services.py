"""Serving report files to the people entitled to them."""

from typing import BinaryIO

from portal import pricing
from portal.orders.models import OrderLine
from portal.storage import get_storage


def may_download(line: OrderLine, user) -> bool:
    """Whether ``user`` may download the PDF of ``line`` (the gate asks the pricing rules)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return pricing.may_download_line(
        format_kind=line.format_kind,
        order_state=line.order.state,
        is_owner=line.order.user_id == user.id,
        is_admin=bool(user.is_admin),
    )


def open_report_pdf(line: OrderLine) -> BinaryIO | None:
    """The report's PDF for a line, or None when no file has been uploaded yet."""
    key = line.report_format.report.pdf_file_key
    storage = get_storage()
    if key is None or not storage.exists(key):
        return None
    return storage.open(key)
