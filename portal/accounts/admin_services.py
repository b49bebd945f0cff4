"""What administrators do to user accounts: find them, and grant or take away administration."""

from sqlalchemy import or_, select

from portal.accounts.models import User
from portal.admin import audit
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
    user.is_admin = is_admin
    db.session.flush()
    audit.record(
        actor,
        "user.make_admin" if is_admin else "user.remove_admin",
        "user",
        user.id,
        before={"is_admin": not is_admin},
        after={"is_admin": is_admin},
        note=user.email,
    )
    return True
