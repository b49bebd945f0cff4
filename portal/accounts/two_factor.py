"""Two-factor sign-in: a time-based code from an authenticator app (TOTP), or a recovery code.

Services flush; the view commits, even after a wrong code (the count of wrong codes must stay).
The secret lives on the user, sealed with ``TOTP_ENCRYPTION_KEY`` (``portal.secret_box``);
recovery codes are kept only as password hashes, so a copy of the database gives neither away.
A code is accepted once: the time step it belongs to is remembered and no earlier or equal step
is accepted again. Every check of a code someone may be guessing goes through the account's
wrong-code lockout (``two_factor_lockout``).
"""

import hmac
import re
import secrets
from datetime import datetime

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.accounts import two_factor_lockout as lockout
from portal.accounts.models import RecoveryCode, User
from portal.accounts.two_factor_lockout import SecondFactorLocked
from portal.clock import utcnow
from portal.extensions import db
from portal.secret_box import SecretUnreadable, needs_resealing

__all__ = ["SecondFactorLocked", "SecretUnreadable"]

ISSUER = "Socitm Insight reports"
RECOVERY_CODE_COUNT = 10
# A code may come from the step before or after the server's (clocks drift; people type slowly).
VALID_WINDOW = 1
# No 0/o, 1/l/i: recovery codes are often read off paper.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_TOTP_SHAPE = re.compile(r"\d{6}")


class TwoFactorRequired(Exception):
    """Administrators may not turn two-factor sign-in off."""


def is_enabled(user: User) -> bool:
    """Whether this person signs in with a second factor.

    Read from the confirmation alone, never from whether the secret can be opened: a secret the
    configured key cannot read must stop sign-in with a clear error, not turn the second factor
    off (or let someone set up a new one with the password alone).
    """
    return user.totp_enabled_at is not None


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads (as a QR code or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> str:
    """The address as an inline SVG QR code: no script, no inline style (the CSP allows neither)."""
    return segno.make(uri, error="m").svg_inline(
        scale=4, border=4, dark="#0b0c0c", light="#ffffff", title="QR code for your app"
    )


def start_setup(user: User) -> str:
    """The secret to show for setting up, made on first asking and kept until confirmed.

    Kept rather than remade on every visit, so reloading the page does not invalidate what the
    person has just scanned. It does nothing at sign-in until ``confirm_setup`` succeeds.
    """
    if is_enabled(user):
        raise ValueError("two-factor sign-in is already set up")
    if not user.totp_secret_sealed:
        user.totp_secret = pyotp.random_base32()
        db.session.flush()
    return user.totp_secret


def _normalise_totp(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "")


def _matching_step(secret: str, code: str, when: datetime) -> int | None:
    """The time step (within the window) whose code is ``code``, or None."""
    code = _normalise_totp(code)
    if not _TOTP_SHAPE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(when)
    for candidate in range(step - VALID_WINDOW, step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _unused_step(user: User, code: str, when: datetime | None) -> int | None:
    """The step of a current app code not used before (nor any later step used), else None."""
    if not user.totp_secret_sealed:
        return None
    step = _matching_step(user.totp_secret, code, when or utcnow())
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return None
    return step


def _record_step(user: User, step: int) -> None:
    user.totp_last_step = step
    if needs_resealing(user.totp_secret_sealed):
        # Sealed with an older key: seal it again with the first, so rotation finishes by itself.
        user.totp_secret = user.totp_secret
    db.session.flush()


def check_totp(user: User, code: str, when: datetime | None = None) -> bool:
    """Accept a current app code once: a code from a step already used is refused.

    Not counted by the lockout: for setting up, where the secret was only just shown. A code
    that someone may be guessing goes through ``check_app_code`` or ``check_second_factor``.
    """
    step = _unused_step(user, code, when)
    if step is None:
        return False
    _record_step(user, step)
    return True


def _counted(user: User, accepted: bool, address: str) -> bool:
    if accepted:
        lockout.record_right_code(user)
    else:
        lockout.record_wrong_code(user, address=address)
    return accepted


def check_app_code(
    user: User, code: str, when: datetime | None = None, *, address: str = ""
) -> bool:
    """A current app code, through the lockout: raises ``SecondFactorLocked`` while locked (or
    when this wrong code locks); a wrong code is counted."""
    lockout.refuse_if_locked(user, address=address)
    return _counted(user, check_totp(user, code, when), address)


def _normalise_recovery(code: str) -> str:
    return re.sub(r"[\s-]", "", (code or "").lower())


def _hash(code: str) -> str:
    return generate_password_hash(code, method=current_app.config["PASSWORD_HASH_METHOD"])


def new_recovery_codes(user: User) -> list[str]:
    """Replace the person's recovery codes with fresh ones; the plain codes are returned once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    db.session.flush()
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def use_recovery_code(user: User, code: str) -> bool:
    """Accept an unused recovery code and mark it used, so it never works again."""
    code = _normalise_recovery(code)
    if len(code) != _RECOVERY_LENGTH:
        return False
    unused = db.session.scalars(
        select(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .with_for_update()
    ).all()
    for recovery in unused:
        if check_password_hash(recovery.code_hash, code):
            recovery.used_at = utcnow()
            db.session.flush()
            return True
    return False


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def check_second_factor(
    user: User, code: str, when: datetime | None = None, *, address: str = ""
) -> bool:
    """A current app code, or else an unused recovery code, through the lockout: raises
    ``SecondFactorLocked`` while locked (or when this wrong code locks); a wrong code is counted.
    ``address`` is where the attempt came from, for the audit log of administrators' attempts.
    """
    if not is_enabled(user):
        return False
    lockout.refuse_if_locked(user, address=address)
    if _TOTP_SHAPE.fullmatch(_normalise_totp(code)):
        accepted = check_totp(user, code, when)
    else:
        accepted = use_recovery_code(user, code)
    return _counted(user, accepted, address)


def confirm_setup(user: User, code: str, when: datetime | None = None) -> list[str] | None:
    """Turn two-factor sign-in on once the person proves their app gives the right code.

    Returns the new recovery codes, or None (nothing changed) when the code is wrong.
    """
    if is_enabled(user) or not user.totp_secret_sealed or not check_totp(user, code, when):
        return None
    user.totp_enabled_at = utcnow()
    db.session.flush()
    return new_recovery_codes(user)


def turn_off(
    user: User, password: str, code: str, when: datetime | None = None, *, address: str = ""
) -> bool:
    """Stop asking for a second factor, given the password and a current app code.

    Refused for administrators, who must keep it. False (nothing changed) when either is wrong;
    a wrong code counts towards the lockout, and while it lasts ``SecondFactorLocked`` is raised.
    """
    if user.is_admin:
        raise TwoFactorRequired()
    lockout.refuse_if_locked(user, address=address)
    password_ok = check_password_hash(user.password_hash, password or "")
    # Both are checked either way, so the answer does not say which one was wrong.
    step = _unused_step(user, code, when)
    if step is None:
        lockout.record_wrong_code(user, address=address)
    if not password_ok or step is None:
        return False
    lockout.record_right_code(user)
    _record_step(user, step)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()
    return True
