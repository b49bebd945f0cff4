"""Sending the outbox: claim a due email, hand it to the mail server, record what happened.

``send_due`` is the one way an email leaves. The background job the after-commit hook in
``portal.email`` asks for calls it for the emails a transaction has just written (see
``portal.email.jobs``); the worker's sweep and ``flask send-outbox`` call it for everything due,
retries included. Each email moves through its own short transactions on a session of its own:

1. **claim** it (queued → sending) and commit, before talking to the mail server, so no database
   lock is held while the network is slow;
2. send it through Flask-Mailman with the configured backend;
3. record the outcome: sent (its stored copy loses its links, see ``without_links``), or back
   to queued with a later ``next_attempt_at`` (given up after
   ``MAX_ATTEMPTS``; the row stays for administrators to see).

Claiming is a conditional ``UPDATE``: it changes the row only while the email is still due, and the
sender proceeds only if it changed exactly one row. Two senders racing for the same email (two
``send-outbox`` processes, two workers, or a sweep and a job) both issue it; the
second waits for the first's row lock, re-reads the row, finds it no longer due and changes none.

Delivery is at least once, and as near once as SMTP allows: a sender that dies after the mail
server accepted an email but before recording it leaves a claim that lapses after
``CLAIM_LEASE`` (seconds, not minutes, so the person's later emails wait little behind it), and
the email is sent again, with the same ``Message-ID`` (stored on the row before the first
attempt), so that receiving systems can drop the second copy. docs/deploy.md says why SMTP
cannot give exactly once.
"""

import logging
import re
import smtplib
import socket
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid

from flask import current_app
from flask_mailman import EmailMultiAlternatives
from flask_mailman.backends.smtp import EmailBackend as SMTPBackend
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased, selectinload

from portal.clock import utcnow
from portal.email.models import OutboxEmail, OutboxStatus
from portal.extensions import db, mail

log = logging.getLogger(__name__)

#: Longer than any one send can take (connecting, then each SMTP command, each within
#: MAIL_TIMEOUT, 10 seconds), so a claim older than this belongs to a sender that died, and
#: another sender may take the email over. ``OUTBOX_CLAIM_SECONDS`` may change it.
CLAIM_LEASE = timedelta(seconds=60)


def claim_lease() -> timedelta:
    seconds = current_app.config.get("OUTBOX_CLAIM_SECONDS")
    return timedelta(seconds=seconds) if seconds else CLAIM_LEASE


#: The wait after the first, second… failed attempt; the last one repeats.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
)
#: After this many failed attempts (about a day of trying) an email is given up.
MAX_ATTEMPTS = 10
_ERROR_LENGTH = 2000

# Failures that say the mail server cannot be reached at all: the rest of a pass would only wait
# for the same timeout, email after email, so the pass stops and the next one tries again.
_UNREACHABLE = (
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
)


@dataclass
class SendCounts:
    """What one pass of ``send_due`` did."""

    sent: int = 0
    retrying: int = 0  # failed, queued again for later
    given_up: int = 0
    # The last failure's type and message, if any: for a job's error, not part of the counts.
    last_error: str = field(default="", compare=False)

    @property
    def failed(self) -> int:
        return self.retrying + self.given_up

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.given_up} given up"


@dataclass
class _Claimed:
    """An email claimed by this sender: everything needed to send it, read inside the claim."""

    id: int
    claimed_at: datetime
    attempts: int  # including this one
    message_id: str
    to_address: str
    subject: str
    body_text: str
    body_html: str
    attachments: list[tuple[str, bytes, str]]  # (filename, data, content type)


def new_message_id() -> str:
    """A new, unique ``Message-ID`` in the sender's domain (``<…@socitm.example>``)."""
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or ""
    domain = sender.rpartition("@")[2].strip(" >") or "localhost"
    return make_msgid(domain=domain)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait before trying again an email that has failed ``attempts`` times."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def send_due(
    limit: int = 100,
    now: datetime | None = None,
    *,
    only_ids: Collection[int] | None = None,
    retry_now: bool = False,
) -> SendCounts:
    """Send up to ``limit`` due emails, oldest first, and return what happened.

    Due means queued with ``next_attempt_at`` reached, or claimed by a sender whose claim has
    lapsed. A person's emails leave in the order they were written: an email waits while an older
    one to the same address is still queued or being sent. ``only_ids`` restricts the pass to
    those emails (the after-commit send, or a background job). With ``retry_now`` those emails
    are tried now whatever their next attempt time, given up or not (a job retrying them, or an
    administrator asking for another try). ``now`` defaults to the clock, read for each email.
    Safe to run in several processes at once: each email is sent by one of them.
    """
    counts = SendCounts()
    if only_ids is not None:
        only_ids = list(only_ids)
        if not only_ids:
            return counts
        limit = min(limit, len(only_ids))
    # Bounded, so a row that keeps escaping its claim can never keep a pass going for ever.
    for _ in range(limit):
        moment = now or utcnow()
        claimed = _claim_next(moment, only_ids, retry_now=retry_now and only_ids is not None)
        if claimed is None:
            break
        if claimed is _LOST_RACE:
            continue
        error = _send(claimed)
        if error is None:
            _record_sent(claimed, moment)
            counts.sent += 1
            continue
        counts.last_error = _error_text(error)
        if _record_failure(claimed, moment, error) is OutboxStatus.GIVEN_UP:
            counts.given_up += 1
        else:
            counts.retrying += 1
        if isinstance(error, _UNREACHABLE):
            break
    return counts


def mail_connection():
    """A connection to the mail backend that ``MAIL_BACKEND`` names, read from the configuration
    now rather than when the app started (Flask-Mailman reads it once, in ``init_app``)."""
    config = current_app.config
    backend = mail.import_backend(config.get("MAIL_BACKEND") or "smtp")
    if isinstance(backend, type) and issubclass(backend, SMTPBackend):
        return mail.get_connection(
            backend=backend,
            host=config.get("MAIL_SERVER", "localhost"),
            port=config.get("MAIL_PORT", 25),
            username=config.get("MAIL_USERNAME"),
            password=config.get("MAIL_PASSWORD"),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=bool(config.get("MAIL_USE_SSL")),
            timeout=config.get("MAIL_TIMEOUT"),
        )
    return mail.get_connection(backend=backend)


def _session() -> Session:
    # A session of its own: the after-commit hook runs while the request's session is finishing
    # its commit and may not use it. "create_savepoint" matches db.session's: inside the tests'
    # outer transaction a commit here ends a savepoint, in production it is a plain commit.
    return Session(bind=db.engine, join_transaction_mode="create_savepoint", expire_on_commit=False)


def _due(now: datetime, *, retry_now: bool = False):
    if retry_now:
        waiting = OutboxEmail.status.in_([OutboxStatus.QUEUED, OutboxStatus.GIVEN_UP])
    else:
        waiting = and_(
            OutboxEmail.status == OutboxStatus.QUEUED, OutboxEmail.next_attempt_at <= now
        )
    return or_(
        waiting,
        and_(
            OutboxEmail.status == OutboxStatus.SENDING,
            OutboxEmail.claimed_at < now - claim_lease(),
        ),
    )


def _first_in_line():
    """No older email to the same address is still waiting or being sent."""
    older = aliased(OutboxEmail)
    return ~exists().where(
        older.to_address == OutboxEmail.to_address,
        older.id < OutboxEmail.id,
        older.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]),
    )


_LOST_RACE = object()


def _claim_next(now: datetime, only_ids: list[int] | None, *, retry_now: bool = False):
    """Claim the oldest due email and commit the claim: the ``_Claimed`` email, None when nothing
    is due, or ``_LOST_RACE`` when another sender changed it between choosing and claiming."""
    conditions = [_due(now, retry_now=retry_now), _first_in_line()]
    if only_ids is not None:
        conditions.append(OutboxEmail.id.in_(only_ids))
    with _session() as session, session.begin():
        # SKIP LOCKED (PostgreSQL; SQLite has no row locks and runs one writer at a time) lets a
        # second sender pass over the row the first is claiming instead of queueing behind it.
        candidate = session.scalar(
            select(OutboxEmail.id)
            .where(*conditions)
            .order_by(OutboxEmail.id)
            .limit(1)
            .with_for_update(skip_locked=True, of=OutboxEmail)
        )
        if candidate is None:
            return None
        # The guard that makes claiming safe on every database: the row changes only while it is
        # still due, and we go on only if it did.
        claimed = session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == candidate, *conditions)
            .values(
                status=OutboxStatus.SENDING,
                claimed_at=now,
                attempts=OutboxEmail.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            return _LOST_RACE
        email = session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.id == candidate)
            .options(selectinload(OutboxEmail.attachments))
        ).one()
        if not email.message_id:  # written before Message-IDs were stored
            email.message_id = new_message_id()
        return _Claimed(
            id=email.id,
            claimed_at=now,
            attempts=email.attempts,
            message_id=email.message_id,
            to_address=email.to_address,
            subject=email.subject,
            body_text=email.body_text,
            body_html=email.body_html,
            attachments=[(a.filename, a.data, a.content_type) for a in email.attachments],
        )


def _send(claimed: _Claimed) -> Exception | None:
    """Hand the email to the mail backend; the exception if it could not, else None."""
    connection = None
    try:
        connection = mail_connection()
        message = EmailMultiAlternatives(
            subject=claimed.subject,
            body=claimed.body_text,
            from_email=current_app.config["MAIL_DEFAULT_SENDER"],
            to=[claimed.to_address],
            connection=connection,
            headers={"Message-ID": claimed.message_id},
        )
        message.attach_alternative(claimed.body_html, "text/html")
        for filename, data, content_type in claimed.attachments:
            message.attach(filename, data, content_type)
        if message.send() != 1:
            raise RuntimeError("the mail backend did not accept the email")
    except Exception as error:
        # Whatever the backend raises (refused, timed out, unreachable, bad address), the email
        # stays in the outbox to be tried again.
        log.warning("could not send email %s: %s", claimed.id, error)
        return error
    finally:
        if connection is not None:
            _close(connection)
    return None


def _close(connection) -> None:
    # The SMTP backend closes its connection after a send that worked, but not after one the
    # server refused, nor after a failed STARTTLS or login: close it here in every case.
    smtp = getattr(connection, "connection", None)
    try:
        connection.close()
    except Exception:
        if smtp is not None:
            smtp.close()  # QUIT failed as well: just drop the socket


def _ours(claimed: _Claimed):
    # Only while our claim still stands: if it lapsed and another sender took the email over,
    # that sender records the outcome.
    return and_(
        OutboxEmail.id == claimed.id,
        OutboxEmail.status == OutboxStatus.SENDING,
        OutboxEmail.claimed_at == claimed.claimed_at,
    )


#: Stands in for every web address in a sent email's stored copy.
LINK_REMOVED = "[link removed after sending]"
_WEB_ADDRESS = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def without_links(body: str) -> str:
    """``body`` with every web address replaced by ``LINK_REMOVED``.

    Links in emails carry the tokens that verify an address, reset a password or open an order;
    once the email has left, the outbox's copy must not be a second way in. Every address goes,
    not only those known to carry a token: a template added later cannot keep one by mistake, and
    the public pages the others point to are no loss to a reader of the outbox.
    """
    return _WEB_ADDRESS.sub(LINK_REMOVED, body)


def _record_sent(claimed: _Claimed, now: datetime) -> None:
    # The one place an email becomes sent, so the one place its stored links are removed.
    with _session() as session, session.begin():
        session.execute(
            update(OutboxEmail)
            .where(_ours(claimed))
            .values(
                status=OutboxStatus.SENT,
                sent_at=now,
                claimed_at=None,
                body_text=without_links(claimed.body_text),
                body_html=without_links(claimed.body_html),
            )
            .execution_options(synchronize_session=False)
        )


def _error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:_ERROR_LENGTH]


def _record_failure(claimed: _Claimed, now: datetime, error: Exception) -> OutboxStatus:
    status = OutboxStatus.GIVEN_UP if claimed.attempts >= MAX_ATTEMPTS else OutboxStatus.QUEUED
    with _session() as session, session.begin():
        session.execute(
            update(OutboxEmail)
            .where(_ours(claimed))
            .values(
                status=status,
                claimed_at=None,
                next_attempt_at=now + retry_delay(claimed.attempts),
                last_error=_error_text(error),
            )
            .execution_options(synchronize_session=False)
        )
    if status is OutboxStatus.GIVEN_UP:
        log.error("gave up email %s after %s attempts: %s", claimed.id, claimed.attempts, error)
    return status
