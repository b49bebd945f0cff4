"""What administrators do to user accounts: find them, and grant or take away administration;
and the console's way to make the first administrator."""

from sqlalchemy import or_, select

from portal import audit
from portal.accounts import admin_confirmation
from portal.accounts.models import User
from portal.accounts.services import find_user_by_email, hash_password, normalise_email
from portal.clock import utcnow
from portal.extensions import db

PAGE_SIZE = 50


class AdministratorChangeRefused(ValueError):
    """The change to who administers the portal is not allowed; the message says why."""


def find_users(search: str = "", *, page: int = 1) -> tuple[list[User], bool]:
    """Users whose address or name contains ``search`` (any case), by address; and whether there
    is a next page."""
    query = select(User)
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern += "%"
        query = query.where(
            or_(
                User.email.like(pattern, escape="\\"),
                User.name.ilike(pattern, escape="\\"),
            )
        )
    rows = db.session.scalars(
        query.order_by(User.email).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    return list(rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE


def set_administrator(actor: User, user: User, is_admin: bool) -> bool:
    """Make ``user`` an administrator, or take that away; False when nothing changed.

    Nobody may take away their own administration, so the portal always keeps at least the
    administrator who is making changes and nobody locks themselves out by a slip.
    """
    if not is_admin and user.id == actor.id:
        raise AdministratorChangeRefused(
            "You cannot remove your own administrator rights: ask another administrator"
        )
    if user.is_admin == is_admin:
        return False
    if is_admin:
        _promote(actor, user)
        return True
    user.is_admin = False
    # Made an administrator again later, they confirm again.
    user.admin_confirmed_at = None
    db.session.flush()
    audit.record(
        actor,
        "user.remove_admin",
        "user",
        user.id,
        before={"is_admin": True},
        after={"is_admin": False},
        note=user.email,
    )
    return True


def _promote(actor: User | None, user: User) -> None:
    """Make a plain account an administrator who must confirm it by the emailed link."""
    user.is_admin = True
    user.admin_confirmed_at = None
    db.session.flush()
    audit.record(
        actor,
        "user.make_admin",
        "user",
        user.id,
        before={"is_admin": False},
        after={"is_admin": True},
        note=user.email if actor is not None else f"{user.email}, by create-admin at the console",
    )
    admin_confirmation.send_confirmation(user)


def create_admin(email: str, name: str, password: str) -> tuple[User, bool]:
    """Make ``email`` an administrator at the console; returns the user and whether the account
    was created.

    A new account is created verified and confirmed: its password was typed by the operator at
    the console, and it never existed as a plain account someone else might hold. An existing
    plain account is promoted like any other: its holder is emailed a link to confirm (built from
    ``PUBLIC_URL``, so the console can send it too). Either way the audit log records it.
    """
    user = find_user_by_email(email)
    if user is not None:
        if not user.is_admin:
            _promote(None, user)
        return user, False
    user = User(
        email=normalise_email(email),
        name=name,
        organisation_name="Socitm",
        password_hash=hash_password(password),
        email_verified_at=utcnow(),
        is_admin=True,
        admin_confirmed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        None,
        "user.create_admin",
        "user",
        user.id,
        after={"is_admin": True},
        note=f"{user.email}, by create-admin at the console",
    )
    return user, True
