"""People who sign in: customers, subscribers' staff and administrators."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db
from portal.secret_box import seal, unseal


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalised (trimmed, lower-case) so one address is one account.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Replaced with the password (reset or change): a sign-in waiting for its second factor
    # names it, so a password change meanwhile ends that pending sign-in.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sign-in lockout: wrong passwords in a row, and until when the account refuses sign-in.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in (TOTP): the shared secret, sealed with TOTP_ENCRYPTION_KEY (read and
    # set it as ``totp_secret``), and when it was confirmed (None: not set up).
    totp_secret_sealed: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last time step accepted, so one code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Second-factor lockout: wrong codes in a row, and until when the code step refuses every code.
    failed_second_factors: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    second_factor_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When an administrator confirmed being one by the link emailed to them (None: not yet, or not
    # an administrator); until then the administration pages and their set-up stay closed.
    admin_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the account was closed and the person erased (portal/data_rights/erasure.py): the row
    # stays, under a pseudonym, because orders and documents point at it.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def totp_secret(self) -> str | None:
        """The TOTP secret in plain text; raises ``SecretUnreadable`` when the configured keys
        cannot open it (never taken for "no secret")."""
        return unseal(self.totp_secret_sealed) if self.totp_secret_sealed else None

    @totp_secret.setter
    def totp_secret(self, secret: str | None) -> None:
        self.totp_secret_sealed = seal(secret) if secret else None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    # The secret of the signed-in session this object was loaded for or signed in on (not a
    # column): the session and "remember me" cookies carry it, never the user id, so ending the
    # session's row signs out every copy of them (portal/accounts/signed_in.py).
    signed_in_token = None
    # How many lines their basket held when this object was loaded for a request (not a column):
    # the header's "Basket (2)" (portal/basket/current.py).
    basket_items = 0

    def get_id(self) -> str | None:
        return self.signed_in_token

    def __eq__(self, other: object) -> bool:
        # One person is one row, whichever session each object was loaded for.
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    __hash__ = UserMixin.__hash__

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignedInSession(db.Model):
    """One browser's signed-in session. Its cookies carry a secret whose hash is kept here; the
    session works while the row is live (not ended, seen within the life of its cookie)."""

    __tablename__ = "signed_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the cookie's secret: a copy of the database does not give sessions away.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written at most once a minute, not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Signed in with "remember me": lives as long as that cookie, not the session cookie.
    remembered: Mapped[bool] = mapped_column(Boolean, default=False)
    # "Firefox on Windows": what the person sees to recognise the device.
    browser: Mapped[str] = mapped_column(String(100), default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
