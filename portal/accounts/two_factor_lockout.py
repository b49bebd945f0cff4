"""The wrong-code lockout of two-factor sign-in, kept on the account rather than in the session.

Whoever reaches the code step already has the password, so the count must not live anywhere they
control: a session cookie can be replayed with its count at zero. Each wrong code (an app code or
a recovery code, at sign-in, when a remembered session is asked for a code, or on the pages that
need a code) is counted on the user's row under a row lock, so guesses sent at once each count.
``SECOND_FACTOR_LOCKOUT_FAILURES`` in a row lock the code step of that account for
``SECOND_FACTOR_LOCKOUT_MINUTES``: every code is refused, the right one too, whatever session
asks. The holder is emailed once per lock (someone has their password); a right code starts the
count again. Every wrong code of an administrator is written to the audit log with the address it
came from. Services flush; the caller commits even when the answer is "no", so the count stays.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from portal import audit
from portal.accounts.models import User
from portal.clock import london_datetime, utcnow
from portal.email import send_email
from portal.extensions import db
from portal.public_url import external_url


@dataclass
class SecondFactorLocked(Exception):
    """The account's code step is locked until ``until`` (UTC)."""

    until: datetime

    @property
    def message(self) -> str:
        return (
            "Too many wrong security codes have been entered for this account. "
            f"Try again after {london_datetime(self.until)}."
        )


def locked_until(user: User) -> datetime | None:
    """When the account's code step opens again, if it is locked now; else None."""
    until = user.second_factor_locked_until
    return until if until is not None and until > utcnow() else None


def refuse_if_locked(user: User, *, address: str = "") -> None:
    """Raise ``SecondFactorLocked`` while the code step is locked (noting the attempt for an
    administrator); do nothing otherwise."""
    until = locked_until(user)
    if until is not None:
        _audit_wrong_code(user, address, locked=True)
        raise SecondFactorLocked(until)


def record_wrong_code(user: User, *, address: str = "") -> None:
    """Count a wrong code; raise ``SecondFactorLocked`` when it is the one that locks (or a lock
    began meanwhile in another request). A wrong code while locked neither counts nor extends."""
    # Re-read under a row lock: concurrent guesses must each count, not overwrite one another.
    db.session.refresh(
        user, ["failed_second_factors", "second_factor_locked_until"], with_for_update=True
    )
    now = utcnow()
    if locked_until(user) is not None:
        _audit_wrong_code(user, address, locked=True)
        raise SecondFactorLocked(user.second_factor_locked_until)
    user.failed_second_factors = (user.failed_second_factors or 0) + 1
    locking = user.failed_second_factors >= current_app.config["SECOND_FACTOR_LOCKOUT_FAILURES"]
    if locking:
        minutes = current_app.config["SECOND_FACTOR_LOCKOUT_MINUTES"]
        user.second_factor_locked_until = now + timedelta(minutes=minutes)
        # The lock starts a fresh count: after it ends, another run of guesses is needed.
        user.failed_second_factors = 0
        send_email(
            "two_factor_locked",
            user.email,
            user=user,
            failures=current_app.config["SECOND_FACTOR_LOCKOUT_FAILURES"],
            minutes=minutes,
            reset_link=external_url("accounts.forgotten_password"),
        )
    db.session.flush()
    _audit_wrong_code(user, address, locked=locking)
    if locking:
        raise SecondFactorLocked(user.second_factor_locked_until)


def record_right_code(user: User) -> None:
    """A right code starts the count of wrong ones again."""
    if user.failed_second_factors or user.second_factor_locked_until is not None:
        user.failed_second_factors = 0
        user.second_factor_locked_until = None
        db.session.flush()


def _audit_wrong_code(user: User, address: str, *, locked: bool) -> None:
    if user.is_admin:
        audit.record(
            user,
            "user.two_factor_wrong_code",
            "user",
            user.id,
            after={"address": address, "locked": locked},
            note=user.email,
        )
