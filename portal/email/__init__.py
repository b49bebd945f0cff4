"""Email: the one place that sends mail.

``send_email`` renders ``templates/email/<name>/{subject.txt,body.txt,body.html}`` and writes the
email to the outbox (``OutboxEmail``) on the current database session, so it is saved in the same
transaction as the change that caused it, or not at all. Once that transaction commits, the new
emails are handed to a background job (``portal.email.jobs.send_outbox_emails``): on the job
queue when Redis is configured, at once in this process when it is not. Any that cannot be sent
(the mail server is down) stay queued, and the worker's sweep (or ``flask send-outbox``) retries
them. An email therefore never announces a change that was rolled back, and none is lost. The
backend comes from ``MAIL_BACKEND``: ``console`` on a laptop, ``locmem`` in tests
(``mail.outbox``), ``smtp`` in production.

The package: ``models.py`` (the outbox's tables), ``sending.py`` (``send_due``, the one way an
email leaves), ``jobs.py`` (the background job and the worker's sweep), ``services.py`` (the
outbox as administrators see it), ``cli.py`` (``flask send-outbox``).
"""

import logging
from collections.abc import Sequence

from flask import Flask, render_template
from sqlalchemy import event, select, update

from portal.clock import utcnow
from portal.email.jobs import send_outbox_emails, sweep_outbox
from portal.email.models import OutboxAttachment, OutboxEmail, OutboxStatus
from portal.email.sending import new_message_id
from portal.extensions import after_commit, db
from portal.jobs import enqueue, register_sweep
from portal.operations import limits

log = logging.getLogger(__name__)

#: An attachment: (filename, content type, data).
Attachment = tuple[str, str, bytes]


def send_email(
    name: str,
    to: str,
    *,
    attachments: Sequence[Attachment] = (),
    order=None,
    limited: bool = True,
    held: str = "",
    **context,
) -> OutboxEmail | None:
    """Render the email ``name`` for ``to`` and put it in the outbox on the current session.

    It is sent after the session's transaction commits, and dropped with it if it rolls back.
    ``attachments`` are ``(filename, content_type, data)`` triples. ``order`` links the email to
    that order (for administrators) and is passed to the templates like the rest of ``context``.

    During a request to a route that emails a typed address (``limits.emails_typed_address``)
    the email counts against the limits on its recipient and requester; over them it is not
    written and None is returned (``limits.withheld()`` names the recipient). ``limited=False``
    leaves it out of that count, for recipients with limits of their own (finance contacts).
    ``held`` writes the email held, not to be sent, with that reason for administrators.
    """
    if limited and limits.email_limits_apply() and not limits.may_email(to):
        log.info("email %s not written: its recipient or requester is over the limits", name)
        return None
    if order is not None:
        context["order"] = order
        if order.id is None:
            db.session.flush()  # the order needs its id before the email can point to it
    email = OutboxEmail(
        template=name,
        to_address=to,
        subject=render_template(f"email/{name}/subject.txt", **context).strip(),
        body_text=render_template(f"email/{name}/body.txt", **context),
        body_html=render_template(f"email/{name}/body.html", **context),
        order_id=order.id if order is not None else None,
        message_id=new_message_id(),
        status=OutboxStatus.HELD if held else OutboxStatus.QUEUED,
        held_reason=held,
        attachments=[
            OutboxAttachment(filename=filename, content_type=content_type, data=bytes(data))
            for filename, content_type, data in attachments
        ],
    )
    db.session.add(email)
    return email


#: The longest a typed name (a person's, an organisation's) appears in an email.
NAME_LENGTH = 70


def short_name(value, length: int = NAME_LENGTH) -> str:
    """A name someone typed, as an email shows it: on one line, at most ``length`` characters,
    cut with an ellipsis. Whoever fills in a form chooses the name in the email it sends, to an
    address they may also choose: a long one would let them write their own message there."""
    text = " ".join(str(value or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def release_held(to: str | None = None, *, email_id: int | None = None) -> list[int]:
    """Queue again every held email to ``to``, or the held email ``email_id`` (the reason it
    was held no longer applies, or an administrator says so); they are sent after the commit
    like new ones. Returns their ids: none when nothing of the kind is held."""
    held = select(OutboxEmail.id).where(OutboxEmail.status == OutboxStatus.HELD)
    if to is not None:
        held = held.where(OutboxEmail.to_address == to)
    if email_id is not None:
        held = held.where(OutboxEmail.id == email_id)
    ids = list(db.session.scalars(held))
    if ids:
        db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id.in_(ids))
            .values(status=OutboxStatus.QUEUED, held_reason="", next_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        after_commit(_send_after_commit, *ids)
    return ids


def _remember_new_emails(session, flush_context) -> None:
    # Ids exist only once flushed; "new" still lists what this flush inserted.
    ids = [
        obj.id
        for obj in session.new
        if isinstance(obj, OutboxEmail) and obj.status is not OutboxStatus.HELD
    ]
    if ids:
        after_commit(_send_after_commit, *ids, session=session)


def _send_after_commit(ids: list[int]) -> None:
    # Ids from a savepoint rolled back inside a committed transaction may be among them: their
    # rows are gone, so nothing is sent for them.
    try:
        enqueue(send_outbox_emails, ids)
    except Exception:
        # The change and its emails are committed: the outbox sender will send them. A failure
        # here must not turn a completed request into an error page.
        log.exception("could not send emails %s after the commit; they stay queued", ids)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["short_name"] = short_name
    register_sweep(app, "outbox", sweep_outbox)  # retries on the outbox's own schedule
    if not event.contains(db.session, "after_flush", _remember_new_emails):
        event.listen(db.session, "after_flush", _remember_new_emails)
