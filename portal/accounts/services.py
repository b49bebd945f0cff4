"""Accounts: registration, email verification, signing in, and passwords.

Services flush; the view commits once. Emails are queued with ``send_email`` and leave after the
commit. None of these functions reveals to the caller's *visitor* whether an address is registered:
the views give the same answer either way, and the services take the same time either way.
"""

import hmac
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.accounts import signed_in
from portal.accounts.models import RecoveryCode, User, new_session_token
from portal.clock import utcnow
from portal.email import send_email
from portal.extensions import db
from portal.public_url import external_url

_VERIFY_SALT = "accounts.verify-email"
_RESET_SALT = "accounts.reset-password"


def normalise_email(address: str) -> str:
    """One spelling per mailbox: trimmed and lower-case."""
    return address.strip().lower()


def find_user_by_email(address: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(address)))


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


# Checked when nobody has the address, so a wrong address costs as long as a wrong password.
_DUMMY_HASH_CACHE: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASH_CACHE:
        _DUMMY_HASH_CACHE[method] = generate_password_hash("not a real password", method=method)
    return _DUMMY_HASH_CACHE[method]


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def register_user(email: str, name: str, organisation_name: str, password: str) -> str:
    """Create an unverified account and send the verification email; return the registration's
    proof (``registration_proof``) for the registering browser to keep.

    When the address already has an account, nothing is created: the owner gets an email saying
    someone tried to register with it (so the visitor learns nothing). The password is hashed
    either way, so both take as long.
    """
    email = normalise_email(email)
    password_hash = hash_password(password)
    existing = find_user_by_email(email)
    if existing is not None:
        send_email("already_registered", existing.email, user=existing)
        return registration_proof(password_hash)
    user = User(
        email=email,
        name=name.strip(),
        organisation_name=organisation_name.strip(),
        password_hash=password_hash,
    )
    db.session.add(user)
    db.session.flush()
    send_verification_email(user)
    return registration_proof(password_hash)


def registration_proof(password_hash: str) -> str:
    """What the browser that chose a password keeps: a keyed digest of that password's hash.

    It matches an account only while the account holds the password chosen in that browser (a
    second registration of an address hashes its own password, which the account never holds),
    and it reveals nothing about whether the address had an account.
    """
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"registration:" + password_hash.encode(), "sha256").hexdigest()


def email_verification_token(user: User) -> str:
    return _serializer(_VERIFY_SALT).dumps({"user": user.id, "email": user.email})


def send_verification_email(user: User) -> None:
    """Email ``user`` a signed, expiring link that proves they own their address."""
    link = external_url("accounts.verify_email", token=email_verification_token(user))
    hours = current_app.config["EMAIL_VERIFICATION_MAX_AGE"] // 3600
    send_email("verify_email", user.email, user=user, link=link, hours=hours)


class InvalidToken(Exception):
    """A link that is tampered with, expired, already used, or for someone else."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _load(salt: str, token: str, max_age: int) -> dict:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidToken(expired=True) from None
    except BadSignature:
        raise InvalidToken() from None
    if not isinstance(data, dict):
        raise InvalidToken()
    return data


def _user_named_in(data: dict) -> User | None:
    user_id = data.get("user")
    # Only an id a row could have: JSON also carries booleans and integers no column can hold,
    # which the database driver would refuse with an error rather than find nobody.
    if type(user_id) is not int or not 0 < user_id < 2**63:
        return None
    return db.session.get(User, user_id)


def user_for_verification_token(token: str) -> User:
    """The account a verification link is for; raises InvalidToken for a bad or stale link.

    The token names the address as well as the account, so a link sent to an old address does not
    verify a new one.
    """
    data = _load(_VERIFY_SALT, token, current_app.config["EMAIL_VERIFICATION_MAX_AGE"])
    user = _user_named_in(data)
    if user is None or user.email != data.get("email"):
        raise InvalidToken()
    return user


def verification_needs_password(
    user: User, *, proof: str | None, signed_in_user_id: int | None
) -> bool:
    """Whether the person with the link must choose the password before the address is verified.

    The link proves the mailbox; the password on an unverified account was chosen by whoever
    registered, who may not own it (someone can register another person's address first). So the
    password survives verification only when the browser with the link also shows it chose the
    account's current password (it registered it: ``proof``) or knows it (it is signed in to the
    account). Otherwise the person chooses the password now, and every session started with the
    old one ends. A verified address needs nothing.
    """
    if user.email_verified_at is not None:
        return False
    if signed_in_user_id is not None and signed_in_user_id == user.id:
        return False
    expected = registration_proof(user.password_hash)
    return not (isinstance(proof, str) and hmac.compare_digest(proof, expected))


def verify_email(user: User) -> None:
    """Mark ``user``'s address verified (when ``verification_needs_password`` allows it).
    Verifying twice is harmless."""
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.flush()


def verify_email_with_password(user: User, password: str) -> None:
    """Verify ``user``'s address and replace the password with one the mailbox's owner chose,
    signing out every session started with the old one and ending any sign-in lockout.

    Two-factor sign-in set up meanwhile goes too: whoever knew the old password could have added
    their own authenticator app, which would keep the owner out (they can set it up again).
    """
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    signed_in.end_all(user)
    user.failed_sign_ins = 0
    user.locked_until = None
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    verify_email(user)


#: What a refused sign-in says, whatever the reason: wrong address, wrong password or a locked
#: account all read the same, so the answer never tells whether an address has an account.
SIGN_IN_REFUSED = (
    "Enter a correct email address and password. "
    "If you have tried several times, wait 15 minutes or reset your password"
)


def authenticate(email: str, password: str) -> User | None:
    """The user with this address and password, or None. Takes as long either way.

    Lockout: after ``SIGN_IN_LOCKOUT_FAILURES`` wrong passwords in a row the account refuses every
    sign-in, even with the right password, until ``locked_until`` (``SIGN_IN_LOCKOUT_MINUTES``
    later). Wrong passwords while locked do not extend the lock, and a password reset ends it, so
    nobody can keep someone else out of their account for good. The caller commits either way.
    """
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    # Checked even while locked, so a locked account answers as slowly as any other.
    password_ok = check_password_hash(user.password_hash, password)
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        return None
    if not password_ok:
        _count_wrong_password(user, now)
        return None
    if user.failed_sign_ins or user.locked_until is not None:
        user.failed_sign_ins = 0
        user.locked_until = None
        db.session.flush()
    return user


def _count_wrong_password(user: User, now: datetime) -> None:
    # Re-read under a row lock: concurrent guesses must each count, not overwrite one another.
    db.session.refresh(user, ["failed_sign_ins", "locked_until"], with_for_update=True)
    user.failed_sign_ins = (user.failed_sign_ins or 0) + 1
    if user.failed_sign_ins >= current_app.config["SIGN_IN_LOCKOUT_FAILURES"]:
        minutes = current_app.config["SIGN_IN_LOCKOUT_MINUTES"]
        user.locked_until = now + timedelta(minutes=minutes)
        # The lock starts a fresh count: after it ends, another run of guesses is needed.
        user.failed_sign_ins = 0
    db.session.flush()


def record_sign_in(user: User, when: datetime | None = None) -> None:
    user.last_signed_in_at = when or utcnow()
    db.session.flush()


def _password_fingerprint(user: User) -> str:
    # Part of the current hash (salted, so it reveals nothing): once the password changes, every
    # reset link issued before stops working, which makes each link single-use.
    return user.password_hash[-16:]


def password_reset_token(user: User) -> str:
    return _serializer(_RESET_SALT).dumps({"user": user.id, "pw": _password_fingerprint(user)})


def request_password_reset(email: str) -> None:
    """Email the address a single-use reset link when it has an account, or else a note that
    no account uses it.

    One email either way, so the request does the same work (and takes as long) whether or not
    the address has an account; the caller shows the same page either way.
    """
    user = find_user_by_email(email)
    if user is None:
        send_email("reset_no_account", normalise_email(email))
        return
    link = external_url("accounts.reset_password", token=password_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    send_email("reset_password", user.email, user=user, link=link, minutes=minutes)


def user_for_reset_token(token: str) -> User:
    """The user a reset link is for; raises InvalidToken if it is bad, expired or already used."""
    data = _load(_RESET_SALT, token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    user = _user_named_in(data)
    if user is None or not hmac.compare_digest(
        str(data.get("pw", "")), _password_fingerprint(user)
    ):
        raise InvalidToken()
    return user


def set_password(user: User, password: str, *, keep_token: str | None = None) -> None:
    """Replace the password, end every signed-in session of the person but the one whose secret
    is ``keep_token`` (if any), and tell them by email."""
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    signed_in.end_all(user, keep_token=keep_token)
    db.session.flush()
    send_email("password_changed", user.email, user=user)


def reset_password(token: str, password: str) -> User:
    """Use a reset link: set the new password; the link cannot be used again.

    The link reached the person's inbox, which proves they own the address, so it is verified too.
    """
    user = user_for_reset_token(token)
    set_password(user, password)
    # The link proves the person owns the account, so a sign-in lockout ends here too.
    user.failed_sign_ins = 0
    user.locked_until = None
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.session.flush()
    return user


def change_password(user: User, current_password: str, new_password: str) -> bool:
    """Change a signed-in person's password, ending their other sessions (the one it is changed
    in, ``user.get_id()``, stays); False (and nothing changed) if the current is wrong."""
    if not check_password_hash(user.password_hash, current_password):
        return False
    set_password(user, new_password, keep_token=user.get_id())
    return True
