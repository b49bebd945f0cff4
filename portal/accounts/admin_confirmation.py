"""Administrators made from plain accounts confirm it by a link emailed to them.

Whoever holds a plain account's password (the owner, or someone who stole it) could otherwise
set up their own second factor the moment the account is made an administrator, and so hold an
administrator's powers with the password alone. The link goes to the account's address, which the
password does not give. Until it is followed the administration pages stay closed and so does
setting up the second factor they lead to. Accounts made administrators from the start (the first
one, typed in at the console) have nothing to confirm. Services flush; the caller commits.
"""

from flask import current_app

from portal import audit
from portal.accounts.models import User

# The signed-link helpers of this feature's own emailed links (verification, reset).
from portal.accounts.services import InvalidToken, _load, _serializer, _user_named_in
from portal.clock import utcnow
from portal.email import send_email
from portal.extensions import db
from portal.public_url import external_url

_SALT = "accounts.confirm-administrator"


def needs_confirmation(user: User) -> bool:
    """Whether ``user`` is an administrator who has not yet confirmed it by the emailed link."""
    return bool(user.is_admin) and user.admin_confirmed_at is None


def send_confirmation(user: User) -> None:
    """Email ``user`` a signed link, working for ``ADMIN_CONFIRMATION_MAX_AGE`` seconds, that
    confirms they are an administrator."""
    token = _serializer(_SALT).dumps({"user": user.id, "email": user.email})
    link = external_url("accounts.confirm_administrator_link", token=token)
    hours = current_app.config["ADMIN_CONFIRMATION_MAX_AGE"] // 3600
    send_email("confirm_administrator", user.email, user=user, link=link, hours=hours)


def confirm(token: str) -> User:
    """Confirm the administrator a link names; raises ``InvalidToken`` for a bad or stale link,
    one for another address, or one for someone who is no longer an administrator. Following a
    link twice is harmless."""
    data = _load(_SALT, token, current_app.config["ADMIN_CONFIRMATION_MAX_AGE"])
    user = _user_named_in(data)
    if user is None or user.email != data.get("email") or not user.is_admin:
        raise InvalidToken()
    if user.admin_confirmed_at is None:
        user.admin_confirmed_at = utcnow()
        db.session.flush()
        audit.record(user, "user.confirm_admin", "user", user.id, note=user.email)
    return user
