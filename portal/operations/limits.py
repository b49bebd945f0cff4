"""Rate limits on the forms that guess passwords, send email or start a payment.

The limits are counted per client address (``RATELIMIT_STORAGE_URI``: in memory on a laptop,
Redis or memcached when several app servers must share the count). Only POSTs are limited: reading
a page costs an attacker nothing that a limit would protect.

Emails to an address someone typed are counted as well, per recipient and per requester, in the
same store (``emails_typed_address``, used by ``portal.email.send_email``).
"""

import functools
import hashlib
import hmac
import logging
import math
import time

from flask import Flask, current_app, flash, g, has_request_context
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from portal.operations.errors import render_error

log = logging.getLogger(__name__)
limiter = Limiter(key_func=get_remote_address)

# Password guessing: a person who mistypes a few times never meets these.
SIGN_IN = "10 per minute;50 per hour"
# Each of these sends an email: the limits stop the portal being used to flood someone's inbox.
REGISTER = "5 per minute;20 per hour"
FORGOTTEN_PASSWORD = "5 per minute;20 per hour"  # noqa: S105 (a rate, not a password)
RESEND_VERIFICATION = "3 per minute;10 per hour"
SEND_ORDER_LINK = "3 per minute;10 per hour"
INSIGHT_REQUEST = "5 per minute;20 per hour"  # each emails Socitm's subscriptions team
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


# Emails to an address someone typed into a form (registration, forgotten password, a guest's
# order, a new order link, an administrator's resend). The per-POST limits above are counted per
# client address, so many clients (a botnet, a proxy pool) could still aim at one inbox: these
# count the emails themselves, per recipient and per requester, whichever route sends them.
TO_ONE_ADDRESS = "5 per hour;20 per day"
FROM_ONE_REQUESTER = "20 per hour;100 per day"

#: What a route may say when an email was not sent, where saying so reveals nothing.
TOO_MANY_EMAILS = (
    "We have sent several emails to {address} recently, so we have not sent another. "
    "Check that inbox (and its spam folder), or try again later."
)
_EMAILS_TYPED_ADDRESS = "emails_typed_address"
_REQUEST_FLAG = "email_limits_apply"
_WITHHELD = "emails_withheld"
# Counting goes on in memory when the shared store cannot be reached, as the per-POST limits do.
_fallback = MovingWindowRateLimiter(MemoryStorage())


def emails_typed_address(view):
    """Mark ``view`` as a route that emails an address someone typed.

    Inside its requests every email ``portal.email.send_email`` writes is counted against its
    recipient and against the requester (client address, and account when signed in), unless
    it goes to the signed-in person's own verified address; one over
    either limit is not written, and ``withheld()`` names its recipient so the view can say so
    where saying so reveals nothing. The mark is also the registry a test checks every POST route
    against, so a new route that emails a typed address cannot go unlimited unnoticed.
    """

    @functools.wraps(view)
    def limited(*args, **kwargs):
        setattr(g, _REQUEST_FLAG, True)
        return view(*args, **kwargs)

    setattr(limited, _EMAILS_TYPED_ADDRESS, True)
    return limited


def is_emailing_typed_address(view) -> bool:
    """Whether ``view`` (as registered on the app) carries the ``emails_typed_address`` mark."""
    return bool(getattr(view, _EMAILS_TYPED_ADDRESS, False))


def email_limits_apply() -> bool:
    """Whether the current request is one of the marked routes, with limits switched on."""
    return (
        has_request_context()
        and bool(g.get(_REQUEST_FLAG))
        and bool(current_app.config.get("RATELIMIT_APPLY", True))
    )


def throttle_key(address: str) -> str:
    """The address as the limits count it: lower case, without a ``+tag`` (which reaches the
    same inbox), keyed with the secret so the store never holds the address itself."""
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{local}@{domain}".encode(), hashlib.sha256).hexdigest()[:32]


def _requesters() -> list[tuple[str, str]]:
    keys = [("email-from-client", get_remote_address() or "unknown")]
    if current_user and current_user.is_authenticated:
        keys.append(("email-from-account", str(current_user.id)))
    return keys


def _own_verified_address(address: str) -> bool:
    # Its owner is signed in and has proved the inbox is theirs: theirs to fill.
    user = current_user
    return bool(
        user
        and user.is_authenticated
        and user.email_verified
        and user.email.lower() == address.strip().lower()
    )


def _counted(addresses) -> list[tuple[RateLimitItem, str, str]]:
    addresses = [address for address in addresses if not _own_verified_address(address)]
    if not addresses:
        return []
    counted = [
        (item, "email-to", throttle_key(address))
        for address in addresses
        for item in parse_many(TO_ONE_ADDRESS)
    ]
    counted += [
        (item, kind, key) for kind, key in _requesters() for item in parse_many(FROM_ONE_REQUESTER)
    ]
    return counted


def _each_within(counted, *, take: bool) -> bool:
    try:
        strategy = limiter.limiter
        return _within(strategy, counted, take=take)
    except Exception:
        # The shared store is down: count in this process rather than fail the request.
        log.warning("rate-limit storage unreachable: counting emails in memory")
        return _within(_fallback, counted, take=take)


def _within(strategy, counted, *, take: bool) -> bool:
    if not all(strategy.test(item, kind, key) for item, kind, key in counted):
        return False
    if take:
        for item, kind, key in counted:
            strategy.hit(item, kind, key)
    return True


def may_email(address: str) -> bool:
    """Count one email to ``address`` from this requester, or return False (counting nothing)
    when the address or the requester has had as many as the limits allow."""
    if _each_within(_counted([address]), take=True):
        return True
    g.setdefault(_WITHHELD, []).append(address)
    return False


def would_refuse(addresses) -> bool:
    """Whether emails to ``addresses`` from this requester would be refused now, counting
    nothing: for a form that would rather say so before acting (checkout)."""
    if not email_limits_apply():
        return False
    return not _each_within(_counted(addresses), take=False)


def withheld() -> list[str]:
    """Recipients of emails this request did not write because of the limits."""
    return list(g.get(_WITHHELD, [])) if has_request_context() else []


def flash_sent(address: str, sent: str) -> None:
    """Tell the person the email to ``address`` went (``sent``), or that the limits held it
    back (where saying so reveals nothing)."""
    if withheld():
        flash(TOO_MANY_EMAILS.format(address=address), "info")
    else:
        flash(sent, "success")
