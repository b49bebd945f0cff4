"""What administrators do about an order's downloads. Services flush; the view commits once."""

from portal import audit
from portal.accounts.models import User
from portal.downloads import services as downloads
from portal.orders.models import Order, OrderLine
from portal.pricing import FormatKind


class DownloadActionRefused(Exception):
    """The action does not apply to that line; nothing was changed."""


def reset_download_count(order: Order, line_id: int, by: User) -> OrderLine:
    """Start counting a PDF line's downloads afresh, with an audit entry."""
    line = next((x for x in order.lines if x.id == line_id), None)
    if line is None or line.format_kind != FormatKind.PDF:
        raise DownloadActionRefused("Only a PDF line of this order has a download count to reset.")
    before = audit.snapshot(line, "downloads_counted_from")
    downloads.reset_count(line)
    audit.record(
        by,
        "order.reset_downloads",
        "order",
        order.reference,
        before={"line": line.id, **before},
        after={"line": line.id, **audit.snapshot(line, "downloads_counted_from")},
    )
    return line
