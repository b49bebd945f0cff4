"""The session side of signing in, shared by the password step and the two-factor step.

After a correct password, a person with two-factor sign-in is not signed in yet: the session holds
a short-lived note of who they are (``PENDING_KEY``) until they give a code. Completing sign-in
renews the session, so nothing from before it survives except a guest's basket.
"""

import time

from flask import redirect, request, session, url_for
from flask_login import login_user

from portal.accounts import services, signed_in
from portal.accounts.models import User
from portal.accounts.redirects import safe_next
from portal.accounts.second_factor import (  # noqa: F401  (used through this module too)
    SECOND_FACTOR_KEY,
    has_second_factor,
    is_verified_administrator,
    mark_second_factor,
)
from portal.basket import services as baskets
from portal.basket.current import SESSION_KEY as BASKET_KEY
from portal.extensions import db

PENDING_KEY = "two_factor_pending"
# Set when the session was signed in with a second factor (or one was just set up): /admin needs it.
PENDING_SECONDS = 5 * 60


def complete_sign_in(user: User, *, remember: bool, next_page: str | None, second_factor: bool):
    """Sign ``user`` in on a fresh session and send them on to a safe ``next`` (or their account).

    A new session at sign-in, recorded on the server (``signed_in``): nothing chosen before it
    (by this person or planted by someone else) survives into the signed-in session, except what
    the guest had put in a basket, which joins the account's basket.
    """
    guest_basket_id = session.get(BASKET_KEY)
    session.clear()
    # The cookies carry this session's secret, so signing out can end it on the server.
    signed_in.start(
        user, request.user_agent.string, request.remote_addr or "", remember=bool(remember)
    )
    login_user(user, remember=remember)
    if second_factor:
        session[SECOND_FACTOR_KEY] = int(time.time())
    services.record_sign_in(user)
    baskets.join_guest_basket(guest_basket_id, user.id)
    db.session.commit()
    return redirect(safe_next(next_page) or url_for("accounts.account"))


def begin_second_factor(user: User, *, remember: bool, next_page: str | None):
    """Remember who gave the right password, for a few minutes, and ask for their code."""
    session[PENDING_KEY] = {
        "user": user.id,
        # The session token changes with the password: a reset meanwhile ends the pending sign-in.
        "token": user.session_token,
        "until": int(time.time()) + PENDING_SECONDS,
        "remember": bool(remember),
        "next": safe_next(next_page) or "",
    }
    return redirect(url_for("accounts.sign_in_two_factor"))


def pending_sign_in() -> dict | None:
    """The pending sign-in if there is one still in time, else None (and it is forgotten)."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if int(pending.get("until", 0)) < time.time():
        session.pop(PENDING_KEY, None)
        return None
    return pending


def pending_user(pending: dict) -> User | None:
    user = db.session.get(User, pending.get("user"))
    if user is None or user.session_token != pending.get("token"):
        return None
    return user
