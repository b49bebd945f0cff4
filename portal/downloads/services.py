"""Downloads of report PDFs: who may take one, the personalised copy each line gets (stamped
once, then kept), the limit per line, and the record of every download.

Services flush; the view commits.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from portal import pricing
from portal.accounts.second_factor import is_verified_administrator
from portal.clock import london_date, long_date, utcnow
from portal.downloads.models import Download
from portal.extensions import db
from portal.orders.access import owns, token_opens
from portal.orders.models import OrderLine, OrderState
from portal.storage import get_storage

log = logging.getLogger(__name__)

ADMIN, ACCOUNT, BROWSER, LINK = "admin", "account", "browser", "link"


@dataclass(frozen=True)
class Access:
    """How the asker comes to a line: ``via`` (admin, account, browser, link), or None when they
    have no claim on it at all; ``allowed`` says whether the line may be downloaded now."""

    via: str | None
    allowed: bool

    @property
    def is_admin(self) -> bool:
        return self.via == ADMIN


def access(line: OrderLine, user, placed_here=(), token: str | None = None) -> Access:
    """The asker's access to ``line``; the rules themselves are in the pricing module."""
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    order = line.order
    if is_verified_administrator(user):
        via = ADMIN
    elif signed_in and owns(order, user):
        via = ACCOUNT
    elif order.id in placed_here:
        via = BROWSER
    elif token_opens(order, token):
        via = LINK
    else:
        via = None
    allowed = pricing.may_download_line(
        format_kind=line.format_kind,
        order_state=order.state,
        is_owner=via in (ACCOUNT, BROWSER, LINK),
        is_admin=via == ADMIN,
        released_early=order.downloads_released_at is not None,
        refunded=line.refunded_at is not None,
    )
    return Access(via, allowed)


def may_download(line: OrderLine, user, placed_here=(), token: str | None = None) -> bool:
    return access(line, user, placed_here, token).allowed


def why_unavailable(line: OrderLine) -> str:
    """Why the owner of a line cannot download it (for the page that tells them)."""
    if line.refunded_at is not None:
        return "This report was refunded, so it can no longer be downloaded."
    if line.order.state is OrderState.CANCELLED:
        return "This order was cancelled, so its reports can no longer be downloaded."
    if line.order.state is OrderState.AWAITING_INVOICE_PAYMENT:
        return "You can download this report once the invoice is paid."
    if line.order.state is OrderState.PENDING_PAYMENT:
        return "You can download this report once your payment is confirmed."
    return "This item is not a download."


def limit_of(line: OrderLine) -> int:
    return line.report_format.download_limit


def downloads_used(line: OrderLine) -> int:
    """Downloads counted against the line's limit (administrators' own do not count)."""
    query = select(func.count(Download.id)).where(
        Download.order_line_id == line.id, Download.via != ADMIN
    )
    if line.downloads_counted_from is not None:
        query = query.where(Download.at >= line.downloads_counted_from)
    return db.session.scalar(query) or 0


def over_limit(line: OrderLine, via: str) -> bool:
    return via != ADMIN and downloads_used(line) >= limit_of(line)


def reset_count(line: OrderLine, when: datetime | None = None) -> None:
    """Start counting the line's downloads afresh (an administrator's decision)."""
    line.downloads_counted_from = when or utcnow()
    db.session.flush()


def record(line: OrderLine, via: str, user_id: int | None, ip: str, user_agent: str) -> None:
    db.session.add(
        Download(
            order_line_id=line.id,
            user_id=user_id,
            via=via,
            ip_address=(ip or "")[:45],
            user_agent=(user_agent or "")[:300],
        )
    )
    db.session.flush()


class FileUnavailable(Exception):
    """The report's file is missing or unreadable, so no copy can be made."""


def licence_line(line: OrderLine) -> str:
    order = line.order
    who = ", ".join(part for part in (order.name, order.organisation_name) if part)
    ordered_on = long_date(london_date(order.created_at))
    return f"Licensed to {who} · order {order.reference} · {ordered_on}"


def personalised_copy(line: OrderLine) -> str:
    """The storage key of the line's stamped copy, stamping it now if this is the first download.

    Every page of the copy carries the licence line, and its metadata names the licensee. The
    copy is kept, so later downloads cost no stamping. Usually a background job has made it
    already (``portal.downloads.jobs``). The line's row stays locked until the caller commits,
    so the job and a download (or two downloads) racing for a new copy stamp it once: the
    second waits for the first, then finds the copy made. Raises FileUnavailable.
    """
    storage = get_storage()
    if _copy_kept(line, storage):
        return line.stamped_file_key
    # Lock the line's row alone (the line may have been loaded joined to its order and report,
    # and PostgreSQL cannot lock the nullable side of an outer join), then read its copy afresh.
    db.session.execute(select(OrderLine.id).where(OrderLine.id == line.id).with_for_update())
    db.session.refresh(line, ["stamped_file_key"])
    if _copy_kept(line, storage):
        return line.stamped_file_key
    report = line.report_format.report
    source_key = report.pdf_file_key
    if source_key is None or not storage.exists(source_key):
        log.error("report %s has no file (line %s)", report.slug, line.id)
        raise FileUnavailable()
    key = f"stamped/line-{line.id}.pdf"
    from portal.downloads.stamp import StampError

    try:
        with storage.open(source_key) as source, storage.writer(key) as target:
            stamp_pdf(
                source,
                target,
                licence_line=licence_line(line),
                licensee=", ".join(p for p in (line.order.name, line.order.organisation_name) if p),
                title=report.title,
            )
    except StampError:
        log.exception("report %s could not be stamped (line %s)", report.slug, line.id)
        raise FileUnavailable() from None
    line.stamped_file_key = key
    db.session.flush()
    return key


def stamp_pdf(source, target, **stamping) -> int:
    """``portal.downloads.stamp.stamp_pdf``, imported on the first stamping: pypdf and ReportLab
    stay out of a web server's memory until a copy has to be made."""
    from portal.downloads.stamp import stamp_pdf as stamp

    return stamp(source, target, **stamping)


def _copy_kept(line: OrderLine, storage) -> bool:
    return bool(line.stamped_file_key) and storage.exists(line.stamped_file_key)


def may_be_stamped(line: OrderLine) -> bool:
    """Whether a copy of ``line`` is worth stamping ahead of its first download: a PDF line its
    owner may download now, whose report has a file."""
    order = line.order
    return (
        pricing.may_download_line(
            format_kind=line.format_kind,
            order_state=order.state,
            is_owner=True,
            is_admin=False,
            released_early=order.downloads_released_at is not None,
            refunded=line.refunded_at is not None,
        )
        and line.report_format.report.pdf_file_key is not None
    )


def download_name(line: OrderLine) -> str:
    return f"{line.report_format.report.slug}-{line.order.reference}.pdf"


def offload_mode() -> str:
    return current_app.config.get("DOWNLOAD_OFFLOAD", "")
