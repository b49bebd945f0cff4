"""The one place that sends mail.

``send_email`` renders ``templates/email/<name>/{subject.txt,body.txt,body.html}`` and queues the
message on the database session; it leaves only after that session commits, so an email never
announces a change that was rolled back. The backend comes from ``MAIL_BACKEND``: ``console`` on a
laptop, ``locmem`` in tests (``mail.outbox``), ``smtp`` in production.
"""

import logging

from flask import Flask, current_app, render_template
from flask_mailman import EmailMultiAlternatives
from sqlalchemy import event

from portal.extensions import db

log = logging.getLogger(__name__)
_PENDING = "outgoing_mail"


def send_email(name: str, to: str, **context) -> None:
    """Render the email ``name`` for ``to`` and send it once the current transaction commits."""
    subject = render_template(f"email/{name}/subject.txt", **context).strip()
    body = render_template(f"email/{name}/body.txt", **context)
    html = render_template(f"email/{name}/body.html", **context)
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=current_app.config["MAIL_DEFAULT_SENDER"], to=[to]
    )
    message.attach_alternative(html, "text/html")
    db.session.info.setdefault(_PENDING, []).append(message)


def _send_pending(session) -> None:
    for message in session.info.pop(_PENDING, []):
        try:
            message.send()
        except Exception:
            # The change is committed; a failed send is logged and must not turn into an error page.
            log.exception("could not send email %r to %s", message.subject, message.to)


def _discard_pending(session) -> None:
    session.info.pop(_PENDING, None)


def init_app(app: Flask) -> None:
    if not event.contains(db.session, "after_commit", _send_pending):
        event.listen(db.session, "after_commit", _send_pending)
        event.listen(db.session, "after_rollback", _discard_pending)
