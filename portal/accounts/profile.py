"""A person's own details: their name, the organisation they give, and their email address.

A new email address is used only once its owner follows the link sent to it; until then the old
address stays in force (for sign-in, subscriber prices and every email). Whether another account
has the new address is never revealed: the person asking gets the same answer either way, and
the owner of that address is told someone tried.
"""

from flask import current_app
from werkzeug.security import check_password_hash

from portal import audit
from portal.accounts.models import User
from portal.accounts.services import (
    InvalidToken,
    _load,
    _serializer,
    _user_named_in,
    find_user_by_email,
    normalise_email,
)
from portal.clock import utcnow
from portal.email import send_email
from portal.extensions import db
from portal.public_url import external_url

_CHANGE_EMAIL_SALT = "accounts.change-email"


def update_details(user: User, name: str, organisation_name: str) -> bool:
    """Change the person's name and the organisation they give; False when nothing changed."""
    before = audit.snapshot(user, "name", "organisation_name")
    user.name, user.organisation_name = name.strip(), organisation_name.strip()
    after = audit.snapshot(user, "name", "organisation_name")
    if before == after:
        return False
    db.session.flush()
    audit.record(user, "account.update_details", "user", user.id, before=before, after=after)
    return True


def email_change_token(user: User, new_email: str) -> str:
    """A link's token naming the account, the address it has now and the one it moves to: once
    the address changes, every link issued before stops working."""
    return _serializer(_CHANGE_EMAIL_SALT).dumps(
        {"user": user.id, "from": user.email, "to": new_email}
    )


class WrongPassword(Exception):
    """The password given to confirm an email change is not the account's."""


def request_email_change(user: User, password: str, new_email: str) -> str:
    """Ask to move the account to ``new_email``; return the address, normalised.

    The password must be the account's (whoever borrowed a signed-in browser cannot take the
    account away). The new address gets a link to confirm it; if another account already has
    it, that account's owner gets a note instead, so the asker learns nothing either way.
    Nothing about the account changes until the link is followed.
    """
    if not check_password_hash(user.password_hash, password):
        raise WrongPassword()
    new_email = normalise_email(new_email)
    owner = find_user_by_email(new_email)
    if owner is not None:
        if owner.id != user.id:
            send_email("email_change_taken", owner.email, user=owner)
        return new_email
    link = external_url("accounts.confirm_email_change", token=email_change_token(user, new_email))
    hours = current_app.config["EMAIL_VERIFICATION_MAX_AGE"] // 3600
    send_email("confirm_email_change", new_email, user=user, link=link, hours=hours)
    return new_email


def confirm_email_change(token: str) -> User:
    """Follow a change-of-address link: the account's address becomes the new one, verified (the
    link reached it). Raises InvalidToken for a bad, stale or used link, or when another account
    has taken the address meanwhile. The old address is told, in case it was not its owner."""
    data = _load(_CHANGE_EMAIL_SALT, token, current_app.config["EMAIL_VERIFICATION_MAX_AGE"])
    user = _user_named_in(data)
    new_email = data.get("to")
    if user is None or user.email != data.get("from") or not isinstance(new_email, str):
        raise InvalidToken()
    if find_user_by_email(new_email) is not None:
        raise InvalidToken()
    old_email = user.email
    user.email = new_email
    user.email_verified_at = utcnow()
    db.session.flush()
    audit.record(
        user,
        "account.change_email",
        "user",
        user.id,
        before={"email": old_email},
        after={"email": new_email},
    )
    send_email("email_changed", old_email, user=user, old_email=old_email)
    return user
