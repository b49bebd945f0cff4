"""The outbox for administrators (``/admin/emails``): reading it, and sending a held email now.
Sending itself lives in ``portal.email.sending``."""

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from portal import audit
from portal.email import release_held
from portal.email.models import OutboxEmail, OutboxStatus
from portal.extensions import db

PER_PAGE = 50


@dataclass(frozen=True)
class EmailPage:
    """One page of the outbox, newest first."""

    emails: list[OutboxEmail]
    page: int  # the page shown: the one asked for, kept between the first and the last
    pages: int  # at least 1, even when there are no emails
    total: int


def recent_emails(
    status: OutboxStatus | None = None, page: int = 1, per_page: int = PER_PAGE
) -> EmailPage:
    """The page ``page`` of the outbox's emails, newest first, only those in ``status`` if given.

    A page beyond the last shows the last, and one below 1 the first, so a hand-edited address
    never fails.
    """
    query = select(OutboxEmail)
    if status is not None:
        query = query.where(OutboxEmail.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    emails = db.session.scalars(
        query.order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return EmailPage(emails=list(emails), page=page, pages=pages, total=total)


class NotHeld(Exception):
    """The email is not held (sent, queued, or not there at all): nothing to send by hand."""


def send_held_email(email_id: int, by) -> None:
    """Send now the held email ``email_id`` (after the commit), as the administrator ``by``
    decides, and write that to the audit log. Its address is not confirmed by it: further
    emails to an unconfirmed finance contact are still capped."""
    if not release_held(email_id=email_id):
        raise NotHeld()
    audit.record(by, "outbox.send_held", "outbox_email", email_id, after={"status": "queued"})


def stuck_count() -> int:
    """Emails that need a look: queued after failing at least once, or given up."""
    stuck = or_(
        (OutboxEmail.status == OutboxStatus.QUEUED) & (OutboxEmail.attempts > 0),
        OutboxEmail.status == OutboxStatus.GIVEN_UP,
    )
    return db.session.scalar(select(func.count()).select_from(OutboxEmail).where(stuck)) or 0
