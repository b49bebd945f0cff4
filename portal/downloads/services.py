"""Downloads of report PDFs: who may take one, the personalised copy each line gets (stamped
once, then kept), the limit per line, and the record of every download.

Services flush; the view commits.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from flask import Response, current_app
from sqlalchemy import func, select

from portal import pricing
from portal.accounts.second_factor import is_verified_administrator
from portal.clock import london_date, long_date, utcnow
from portal.downloads.models import Download
from portal.extensions import db
from portal.orders.access import owns, placed_in_browser, token_opens
from portal.orders.models import OrderLine
from portal.storage import COPIES_FOLDER, get_storage

log = logging.getLogger(__name__)

ADMIN, ACCOUNT, BROWSER, LINK = "admin", "account", "browser", "link"


@dataclass(frozen=True)
class Access:
    """How the asker comes to a line: ``via`` (admin, account, browser, link), or None when they
    have no claim on it at all; ``allowed`` says whether the line may be downloaded now, and
    ``reason`` why not (for the page that tells its owner)."""

    via: str | None
    allowed: bool
    reason: str = ""

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
    elif placed_in_browser(order, placed_here):
        via = BROWSER
    elif token_opens(order, token):
        via = LINK
    else:
        via = None
    decision = pricing.may_download_line(
        format_kind=line.format_kind,
        order_state=order.state,
        is_owner=via in (ACCOUNT, BROWSER, LINK),
        is_admin=via == ADMIN,
        released_early=order.downloads_released_at is not None,
        refunded=line.refunded_at is not None,
    )
    return Access(via, decision.allowed, decision.reason)


def may_download(line: OrderLine, user, placed_here=(), token: str | None = None) -> bool:
    return access(line, user, placed_here, token).allowed


def limit_of(line: OrderLine) -> int:
    return line.report_format.download_limit


#: How long after a counted download the same person, from the same address, may resume it
#: (ask for the rest of the file from a later byte) without it counting again.
RESUME_WINDOW = timedelta(hours=1)


class Handover(Enum):
    """What a download response gives its asker: the file from its first byte (or a link that
    serves any part of it), the rest of the file from a later byte, or nothing at all."""

    WHOLE = "whole"
    REST = "rest"
    NOTHING = "nothing"


#: Answers that carry none of the file: "not modified", a failed precondition, a range past
#: the end. Any other answer is taken to hand over the whole file.
_SENDS_NOTHING = frozenset({304, 412, 416})


def handover(response: Response) -> Handover:
    """What ``response`` (from a storage backend's ``send``) hands over, read from the response
    itself, so that whatever the Range, If-Range or validators of the request, the decision
    follows the bytes actually sent.

    Only a single range that starts after byte 0 is the rest of a file. A pre-signed redirect to
    the object store, and a file handed to the front web server (X-Accel-Redirect, X-Sendfile),
    serve whatever range their holder asks for later, so they are the whole file.
    """
    if response.status_code in _SENDS_NOTHING:
        return Handover.NOTHING
    if response.status_code == 206:
        served = response.content_range
        if served is not None and served.start is not None and served.start > 0:
            return Handover.REST
    return Handover.WHOLE


@dataclass(frozen=True)
class Asker:
    """Who is downloading: how they come to the line, their account (None for a guest), and
    where from."""

    via: str
    user_id: int | None
    ip_address: str
    user_agent: str = ""


def asker_for(via: str, user, ip_address: str | None, user_agent: str | None) -> Asker:
    """Who is downloading, as the limit sees them: their account when signed in (None for a
    guest, whose downloads are told apart by address alone), the client's address and browser."""
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    return Asker(
        via=via,
        user_id=user.id if signed_in else None,
        ip_address=ip_address or "",
        user_agent=user_agent or "",
    )


def admit_response(line: OrderLine, asker: Asker, response: Response) -> bool:
    """Whether ``response`` may go to ``asker``: the limit (``admit``) decides on what the
    response would hand over (``handover``: the whole file, the rest of it, or nothing),
    whatever the request's Range said, and records the download when it counts. A refused
    response is closed, as it may hold the file open."""
    if admit(line, asker, handover(response)):
        return True
    response.close()
    return False


def downloads_used(line: OrderLine) -> int:
    """Downloads counted against the line's limit (administrators' own do not count)."""
    query = select(func.count(Download.id)).where(
        Download.order_line_id == line.id, Download.via != ADMIN
    )
    if line.downloads_counted_from is not None:
        query = query.where(Download.at >= line.downloads_counted_from)
    return db.session.scalar(query) or 0


def was_downloaded(order) -> bool:
    """Whether anyone but an administrator has downloaded a report of ``order``."""
    line_ids = [line.id for line in order.lines]
    return bool(line_ids) and (
        db.session.scalar(
            select(Download.id)
            .where(Download.order_line_id.in_(line_ids), Download.via != ADMIN)
            .limit(1)
        )
        is not None
    )


def used_up(line: OrderLine, via: str) -> bool:
    """Whether the line's downloads are used up for this asker (never for an administrator):
    then nothing more of it is served. ``admit`` decides again under the line's lock."""
    return via != ADMIN and downloads_used(line) >= limit_of(line)


def admit(line: OrderLine, asker: Asker, handed: Handover) -> bool:
    """The download limit: whether ``asker`` may have what the response hands over, recording
    it when it counts. The one rule for every download, with a byte range or without:

    - an administrator with a second factor is never limited, and their downloads are recorded
      but never counted;
    - once a line's downloads are used up, nothing more of it is served, a resumed download
      included (an administrator can reset the count);
    - the whole file (no range, a range from byte 0, several ranges, a redirect to the store)
      is a new download and counts;
    - the rest of the file from a later byte is the continuation of a download and does not
      count again only when the same person (the same account, or a guest) downloaded the line
      from the same address within ``RESUME_WINDOW``; otherwise it counts like any other;
    - an answer that sends nothing (not modified, a range past the end) is not a download.

    The line's row is locked until the request commits, so parallel downloads of one line are
    counted one after another and the count can never pass the limit.
    """
    now = utcnow()
    db.session.execute(select(OrderLine.id).where(OrderLine.id == line.id).with_for_update())
    if asker.via != ADMIN:
        if used_up(line, asker.via):
            return False
        if handed is Handover.NOTHING:
            return True
        if handed is Handover.REST and _continues_a_download(line, asker, now):
            return True
    elif handed is Handover.NOTHING:
        return True
    _record(line, asker, now)
    return True


def _continues_a_download(line: OrderLine, asker: Asker, now: datetime) -> bool:
    """Whether the same person downloaded ``line`` from the same address within the window."""
    return (
        db.session.scalar(
            select(Download.id)
            .where(
                Download.order_line_id == line.id,
                Download.user_id.is_(None)
                if asker.user_id is None
                else Download.user_id == asker.user_id,
                Download.ip_address == _address(asker.ip_address),
                Download.at >= now - RESUME_WINDOW,
                Download.at <= now,
            )
            .limit(1)
        )
        is not None
    )


def _address(ip: str) -> str:
    return (ip or "")[:45]


def reset_count(line: OrderLine, when: datetime | None = None) -> None:
    """Start counting the line's downloads afresh (an administrator's decision)."""
    line.downloads_counted_from = when or utcnow()
    db.session.flush()


def _record(line: OrderLine, asker: Asker, now: datetime) -> None:
    db.session.add(
        Download(
            order_line_id=line.id,
            user_id=asker.user_id,
            via=asker.via,
            at=now,
            ip_address=_address(asker.ip_address),
            user_agent=(asker.user_agent or "")[:300],
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
    key = f"{COPIES_FOLDER}/line-{line.id}.pdf"
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
        ).allowed
        and line.report_format.report.pdf_file_key is not None
    )


def download_name(line: OrderLine) -> str:
    return f"{line.report_format.report.slug}-{line.order.reference}.pdf"


def offload_mode() -> str:
    return current_app.config.get("DOWNLOAD_OFFLOAD", "")
