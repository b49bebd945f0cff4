"""Telling staff about a Stripe webhook event the portal was refused for good: Stripe says its
object does not exist, or the key may not read it. The event is acknowledged (asking again
would fail again, for the three days Stripe retries), the reason logged and emailed."""

import logging

from flask import current_app

from portal.email import send_email
from portal.payments import gateway

log = logging.getLogger(__name__)


def unreadable_event(event: gateway.Event, error) -> None:
    """Tell staff that Stripe refused to let the portal read the object of ``event``; the
    event is kept as received, and nothing else changes."""
    status = getattr(error, "http_status", None)
    reason = str(getattr(error, "user_message", None) or error or "").strip()[:300]
    log.error(
        "Stripe event %s (%s, %s %s) cannot be read: %s %s",
        event.id, event.type, event.object_type, event.object_id, status, reason,
    )  # fmt: skip
    send_email(
        "stripe_event_unreadable",
        current_app.config["SUPPORT_EMAIL"],
        event=event,
        status=status,
        reason=reason or "Stripe gave no reason",
        limited=False,
    )
