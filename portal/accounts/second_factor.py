"""Whether this session has proved the second factor, and so whether an administrator may act
as one. Kept apart from the sign-in flow so that access checks can ask it cheaply."""

import time

from flask import session

SECOND_FACTOR_KEY = "second_factor_at"


def mark_second_factor() -> None:
    """Note that this signed-in session has proved the second factor."""
    session[SECOND_FACTOR_KEY] = int(time.time())


def has_second_factor() -> bool:
    return bool(session.get(SECOND_FACTOR_KEY))


def is_verified_administrator(user) -> bool:
    """Whether ``user``, in this session, may use administrators' powers: an administrator who
    has confirmed being one by the emailed link, has two-factor sign-in set up, and proved it when
    this session signed in."""
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_admin
        and user.admin_confirmed_at is not None
        and user.totp_enabled_at is not None
        and has_second_factor()
    )
