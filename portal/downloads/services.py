"""Serving report files to the people entitled to them."""

from typing import BinaryIO

from portal import pricing
from portal.orders.access import owns, token_opens
from portal.orders.models import OrderLine
from portal.storage import get_storage


def may_download(
    line: OrderLine, user, placed_here: list[int] = (), token: str | None = None
) -> bool:
    """Whether the asker may download the PDF of ``line`` (the gate asks the pricing rules): the
    order's owner signed in, or a guest with the order's signed link or in the browser that
    placed it; administrators always."""
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    return pricing.may_download_line(
        format_kind=line.format_kind,
        order_state=line.order.state,
        is_owner=(signed_in and owns(line.order, user))
        or line.order.id in placed_here
        or token_opens(line.order, token),
        is_admin=signed_in and bool(user.is_admin),
        released_early=line.order.downloads_released_at is not None,
    )


def open_report_pdf(line: OrderLine) -> BinaryIO | None:
    """The report's PDF for a line, or None when no file has been uploaded yet."""
    key = line.report_format.report.pdf_file_key
    storage = get_storage()
    if key is None or not storage.exists(key):
        return None
    return storage.open(key)
