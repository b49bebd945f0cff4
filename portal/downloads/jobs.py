"""Stamping personalised copies in the background, as soon as an order's PDFs may be downloaded,
so the buyer's first download is served at once (see ``portal.jobs``).

The download still stamps the copy itself when it finds none (the job has not run yet, or
failed): nothing depends on the job but speed.
"""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.catalogue.models import ReportFormat
from portal.downloads import services
from portal.extensions import db
from portal.jobs import app_context, enqueue_after_commit, job_timeout
from portal.orders.models import Order, OrderLine
from portal.pricing import FormatKind


class CopyNotStamped(Exception):
    """The line's copy could not be made (its report's file is missing or damaged)."""


def stamp_copies_after_commit(order: Order) -> None:
    """Once the current transaction commits, stamp the copies of ``order``'s PDF lines in the
    background. Called where an order's downloads open: paid, free, or released early."""
    line_ids = [line.id for line in order.lines if line.format_kind == FormatKind.PDF]
    if line_ids:
        # One job per order, whatever its number of PDF lines.
        enqueue_after_commit(stamp_line_copies, line_ids)


#: Stamping the largest report takes well under a minute.
@job_timeout(120)
def stamp_line_copies(line_ids: list[int]) -> list[str]:
    """Make the personalised copy of each order line in ``line_ids`` that may be downloaded and
    has none yet; the keys of the copies. Idempotent: a copy made earlier (by this job or by a
    download) is kept. Lines whose report's file is missing or damaged are skipped, and the job
    then fails naming them, so it is tried again and, in the end, shown to administrators."""
    with app_context():
        lines = db.session.scalars(
            select(OrderLine)
            .where(OrderLine.id.in_(line_ids))
            .options(
                joinedload(OrderLine.order),
                joinedload(OrderLine.report_format).joinedload(ReportFormat.report),
            )
            .order_by(OrderLine.id)
        ).all()
        stamped, unavailable = [], []
        for line in lines:
            if not services.may_be_stamped(line):
                continue
            try:
                stamped.append(services.personalised_copy(line))
            except services.FileUnavailable:
                db.session.rollback()
                unavailable.append(line.id)
            else:
                db.session.commit()
        if unavailable:
            raise CopyNotStamped(
                f"order lines {', '.join(map(str, unavailable))}: "
                "the report's file is missing or damaged"
            )
        return stamped


def stamp_line_copy(line_id: int) -> str:
    """The personalised copy of one order line (see ``stamp_line_copies``), or "nothing to
    stamp" when it may not be downloaded or its report has no file."""
    stamped = stamp_line_copies([line_id])
    return stamped[0] if stamped else "nothing to stamp"
