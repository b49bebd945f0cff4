"""Stamping personalised copies in the background, as soon as an order's PDFs may be downloaded,
so the buyer's first download is served at once (see ``portal.jobs``).

The download still stamps the copy itself when it finds none (the job has not run yet, or
failed): nothing depends on the job but speed.
"""

from portal.catalogue.models import FormatKind
from portal.downloads import services
from portal.extensions import db
from portal.jobs import app_context, enqueue_after_commit
from portal.orders.models import Order, OrderLine


class CopyNotStamped(Exception):
    """The line's copy could not be made (its report's file is missing or damaged)."""


def stamp_copies_after_commit(order: Order) -> None:
    """Once the current transaction commits, stamp the copies of ``order``'s PDF lines in the
    background. Called where an order's downloads open: paid, free, or released early."""
    for line in order.lines:
        if line.format_kind == FormatKind.PDF.value:
            enqueue_after_commit(stamp_line_copy, line.id)


def stamp_line_copy(line_id: int) -> str:
    """Make the personalised copy of order line ``line_id`` if it may be downloaded and has
    none yet. Idempotent: a copy made earlier (by this job or by a download) is kept."""
    with app_context():
        line = db.session.get(OrderLine, line_id)
        if line is None or not services.may_be_stamped(line):
            return "nothing to stamp"
        try:
            key = services.personalised_copy(line)
        except services.FileUnavailable:
            db.session.rollback()
            raise CopyNotStamped(
                f"order line {line_id}: the report's file is missing or damaged"
            ) from None
        db.session.commit()
        return key
