"""Rate limits on the forms that guess passwords, send email or start a payment.

The limits are counted per client address (``RATELIMIT_STORAGE_URI``: in memory on a laptop,
Redis or memcached when several app servers must share the count). Only POSTs are limited: reading
a page costs an attacker nothing that a limit would protect.
"""

import math
import time

from flask import Flask, current_app
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from portal.errors import render_error

limiter = Limiter(key_func=get_remote_address)

# Password guessing: a person who mistypes a few times never meets these.
SIGN_IN = "10 per minute;50 per hour"
# Each of these sends an email: the limits stop the portal being used to flood someone's inbox.
REGISTER = "5 per minute;20 per hour"
FORGOTTEN_PASSWORD = "5 per minute;20 per hour"  # noqa: S105 (a rate, not a password)
RESEND_VERIFICATION = "3 per minute;10 per hour"
# Each of these asks Stripe for a payment page: the limits blunt card-testing and runaway clients.
PLACE_ORDER = "10 per minute;50 per hour"
PAY = "10 per minute;50 per hour"


def post_limit(limits: str):
    """A view decorator applying ``limits`` (``"10 per minute;50 per hour"``) to POSTs only."""
    return limiter.limit(limits, methods=["POST"])


@limiter.request_filter
def _limits_switched_off() -> bool:
    # Read on each request, so one test can switch limits on for the app every test shares.
    return not current_app.config.get("RATELIMIT_APPLY", True)


def minutes_to_wait(seconds: float) -> int:
    """Whole minutes until a limit lets requests through again, rounded up, never less than one."""
    return max(1, math.ceil(seconds / 60))


def _too_many_requests(error: RateLimitExceeded):
    breached = limiter.current_limit
    # Without the breached window (a storage hiccup), the longest window we set is the honest wait.
    seconds = breached.window[0] - time.time() if breached is not None else 3600
    minutes = minutes_to_wait(seconds)
    body, status = render_error(
        429,
        "Too many attempts",
        f"Too many attempts. Try again in {minutes} minute{'' if minutes == 1 else 's'}.",
    )
    return body, status, {"Retry-After": str(max(1, math.ceil(seconds)))}


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
