"""Signed-in sessions, kept on the server so that signing out means it.

Each sign-in (after the second factor, when there is one) starts a ``SignedInSession`` row and
gives the browser a random secret: flask-login keeps it in the session cookie and in the
"remember me" cookie in place of the user id (``User.get_id``). Every request looks the secret up
(one read by a unique index) and is signed in only while its row is live: not ended, and seen
within the life of its cookie. Signing out ends the row, so a copy of either cookie stops
working too; "sign out everywhere", a password change (the other sessions) and a password reset
(all of them) end several at once.

Services flush; the caller commits. Last seen is written at most once a minute, by
``touch`` after the request, never on every request.
"""

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, update

from portal.accounts.models import SignedInSession, User
from portal.basket.models import Basket, BasketLine
from portal.clock import utcnow
from portal.extensions import db

#: How stale "last seen" may get before a request writes it again.
LAST_SEEN_EVERY = timedelta(minutes=1)
_TOKEN_BYTES = 32
_MAX_TOKEN_LENGTH = 64
_USER_AGENT_READ = 512

# First match wins: Edge and Opera also say Chrome, Chrome also says Safari; iPhones say
# "like Mac OS X" and Android says Linux.
_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|CriOS)/")),
    ("Safari", re.compile(r"\bVersion/[\d.]+.*\bSafari/")),
)
_SYSTEMS = (
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)


def describe_browser(user_agent: str) -> str:
    """A person's own words for a device: "Firefox on Windows", or "Unknown browser"."""
    text = (user_agent or "")[:_USER_AGENT_READ]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(text)), None)
    if browser is None:
        return "Unknown browser"
    system = next((name for name, pattern in _SYSTEMS if pattern.search(text)), None)
    return f"{browser} on {system}" if system else browser


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _seconds(setting: timedelta | int) -> timedelta:
    return setting if isinstance(setting, timedelta) else timedelta(seconds=setting)


def _is_live():
    """Not ended, and seen within the life of the cookie that carries it: "remember me" lasts
    REMEMBER_COOKIE_DURATION, a browser session's cookie PERMANENT_SESSION_LIFETIME."""
    config = current_app.config
    now = utcnow()
    return and_(
        SignedInSession.ended_at.is_(None),
        or_(
            and_(
                SignedInSession.remembered.is_(True),
                SignedInSession.last_seen_at > now - _seconds(config["REMEMBER_COOKIE_DURATION"]),
            ),
            and_(
                SignedInSession.remembered.is_(False),
                SignedInSession.last_seen_at > now - _seconds(config["PERMANENT_SESSION_LIFETIME"]),
            ),
        ),
    )


def start(user: User, user_agent: str, ip_address: str, *, remember: bool = False) -> str:
    """Start a signed-in session for ``user`` and return its secret (also put on ``user``, so
    flask-login's ``login_user`` writes it into the cookies). ``remember``: the browser keeps a
    "remember me" cookie, so the session may outlive its session cookie."""
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    now = utcnow()
    # Browser and address are personal data: a session over (ended, or unused) for as long as
    # "remember me" lasts is no longer listed, so it is forgotten.
    over_since = now - _seconds(current_app.config["REMEMBER_COOKIE_DURATION"])
    db.session.execute(
        delete(SignedInSession).where(
            SignedInSession.user_id == user.id,
            func.coalesce(SignedInSession.ended_at, SignedInSession.last_seen_at) < over_since,
        )
    )
    db.session.add(
        SignedInSession(
            user_id=user.id,
            token_hash=_hash(token),
            created_at=now,
            last_seen_at=now,
            remembered=remember,
            browser=describe_browser(user_agent),
            ip_address=(ip_address or "")[:45],
        )
    )
    db.session.flush()
    user.signed_in_token = token
    return token


def load(token: str) -> tuple[User, SignedInSession] | None:
    """The person and live session a cookie's secret names, or None: signed out."""
    if not isinstance(token, str) or not 0 < len(token) <= _MAX_TOKEN_LENGTH:
        return None
    found = db.session.execute(
        select(User, SignedInSession, _basket_items())
        .join(SignedInSession, SignedInSession.user_id == User.id)
        .where(
            SignedInSession.token_hash == _hash(token),
            _is_live(),
        )
    ).first()
    if found is None:
        return None
    user, row, basket_items = found
    user.signed_in_token = token
    user.basket_items = basket_items or 0
    return user, row


def _basket_items():
    """How many lines the person's basket holds, read with them for the header's count, so
    that no page runs a query of its own for it."""
    return (
        select(func.count(BasketLine.id))
        .join(Basket, Basket.id == BasketLine.basket_id)
        .where(Basket.user_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )


def load_user(token: str) -> User | None:
    """flask-login's loader, for callers that need only the person."""
    found = load(token)
    return found[0] if found else None


def needs_touch(row: SignedInSession) -> bool:
    """Whether "last seen" is old enough to be written again."""
    return utcnow() - row.last_seen_at >= LAST_SEEN_EVERY


def touch(session_id: int) -> None:
    """Write "last seen" now (the caller commits)."""
    db.session.execute(
        update(SignedInSession)
        .where(SignedInSession.id == session_id, SignedInSession.ended_at.is_(None))
        .values(last_seen_at=utcnow())
    )


def _live(user_id: int):
    return (SignedInSession.user_id == user_id, _is_live())


def end_token(token: str | None) -> None:
    """End the session whose secret is ``token`` (signing out this browser)."""
    if not token:
        return
    db.session.execute(
        update(SignedInSession)
        .where(SignedInSession.token_hash == _hash(token), SignedInSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    db.session.flush()


def end_all(user: User, *, keep_token: str | None = None) -> None:
    """End every session of ``user`` (but the one whose secret is ``keep_token``, if given)."""
    query = update(SignedInSession).where(
        SignedInSession.user_id == user.id, SignedInSession.ended_at.is_(None)
    )
    if keep_token:
        query = query.where(SignedInSession.token_hash != _hash(keep_token))
    db.session.execute(query.values(ended_at=utcnow()))
    db.session.flush()


def own_live_session(user: User, session_id: int) -> SignedInSession | None:
    """One of ``user``'s own live sessions by its id, or None (someone else's, ended, missing)."""
    return db.session.scalar(
        select(SignedInSession).where(SignedInSession.id == session_id, *_live(user.id))
    )


def end(row: SignedInSession) -> None:
    """End one session."""
    row.ended_at = utcnow()
    db.session.flush()


def is_this_session(row: SignedInSession, token: str | None) -> bool:
    return bool(token) and row.token_hash == _hash(token)


def live_sessions(user: User) -> list[SignedInSession]:
    """``user``'s live sessions, the most recently seen first."""
    return list(
        db.session.scalars(
            select(SignedInSession)
            .where(*_live(user.id))
            .order_by(SignedInSession.last_seen_at.desc(), SignedInSession.id.desc())
        )
    )
