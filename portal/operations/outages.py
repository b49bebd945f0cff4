"""When a part the portal depends on fails (the database, file storage, Redis): answer 503 with
``Retry-After`` and a page that says what happened and, truthfully, whether anything was saved.

Whether anything was saved is known, not guessed: every commit in a request is noted (``saved``
below), so a fault after the order was committed never says "nothing has been saved", and a
fault before any commit never says it was. Someone back from paying at Stripe is told their
payment is safe with Stripe, which it is whatever happened here.
"""

import logging

import redis
from flask import Flask, g, has_request_context, render_template, request
from sqlalchemy import event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.operations.request_ids import request_id
from portal.storage import StorageUnavailable

log = logging.getLogger(__name__)

#: Seconds a browser (or Stripe, or a monitor) is asked to wait before trying again.
RETRY_AFTER_SECONDS = 30

_SAVED = "portal_saved_in_request"

#: What failed, as a person is told it.
WHAT_FAILED = {
    "database": "We cannot reach our database at the moment.",
    "storage": "We cannot read or write our files at the moment.",
    "redis": "A part of the service that runs work in the background is not answering.",
}

NOTHING_SAVED = "Nothing you sent on this page has been saved. Try again in a minute."
SOMETHING_SAVED = (
    "Part of what you sent was saved before the fault. When the service is back, look at your "
    "order or account page before trying again, so that nothing is done twice."
)
#: For someone sent back by Stripe after paying: their money is with Stripe whatever failed here.
PAYMENT_SAFE = (
    "If you have just paid by card, your payment is safe with our card processor: do not pay "
    "again. Your order will show the payment, and we will email your receipt, once we have "
    "recorded it."
)
#: The pages Stripe sends people back to.
_RETURN_FROM_PAYMENT = frozenset({"payments.success"})


@event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    if has_request_context():
        setattr(g, _SAVED, True)


def saved_in_request() -> bool:
    """Whether anything was committed to the database during this request."""
    return bool(g.get(_SAVED))


def outage_message() -> str:
    if request.endpoint in _RETURN_FROM_PAYMENT:
        return PAYMENT_SAFE
    return SOMETHING_SAVED if saved_in_request() else NOTHING_SAVED


def unavailable(part: str):
    """The 503 response for an outage of ``part`` (a key of WHAT_FAILED)."""
    log.error("%s unavailable on %s %s", part, request.method, request.path, exc_info=True)
    try:
        db.session.rollback()
    except Exception:  # the connection is gone already; the pool replaces it
        log.debug("rollback after the %s outage failed", part, exc_info=True)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    heading = "Sorry, the service is not available at the moment"
    message = f"{WHAT_FAILED[part]} {outage_message()}"
    if request.path.startswith("/stripe/") or request.accept_mimetypes.best == "application/json":
        return {"error": "unavailable", "retry_after": RETRY_AFTER_SECONDS}, 503, headers
    try:
        body = render_template("errors/error.html", status=503, heading=heading, message=message)
    except Exception:
        # The page's header reads who is signed in from the database: when that is what failed,
        # say the same in plain text.
        log.debug("could not render the outage page", exc_info=True)
        body = f"{heading}.\n{message}\nReference: {request_id()}\n"
        headers["Content-Type"] = "text/plain; charset=utf-8"
    return body, 503, headers


def init_app(app: Flask) -> None:
    app.register_error_handler(OperationalError, lambda error: unavailable("database"))
    app.register_error_handler(InterfaceError, lambda error: unavailable("database"))
    app.register_error_handler(PoolTimeout, lambda error: unavailable("database"))
    app.register_error_handler(StorageUnavailable, lambda error: unavailable("storage"))
    app.register_error_handler(redis.RedisError, lambda error: unavailable("redis"))
