"""Secrets the portal must read back but never keep in plain text (the TOTP secrets of two-factor
sign-in), sealed with a key from configuration.

``TOTP_ENCRYPTION_KEY`` holds one or more Fernet keys separated by commas (Fernet: AES-128-CBC
with an HMAC-SHA256, from ``cryptography``). The first key seals; every key opens, so a key is
rotated by putting the new one first and keeping the old ones after it until every secret has
been sealed again (``needs_resealing``). A stored value is ``fernet:`` and the token, so a value
in any other form is never mistaken for a secret. A value none of the keys opens raises
``SecretUnreadable``, which names the setting to fix: a wrong key never reads as "no secret".
"""

from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

PREFIX = "fernet:"
SETTING = "TOTP_ENCRYPTION_KEY"
GENERATE = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class SecretUnreadable(RuntimeError):
    """A sealed secret that none of the configured keys opens."""


def _keys(value: str) -> list[str]:
    return [key.strip() for key in (value or "").split(",") if key.strip()]


def key_problems(settings: Mapping) -> list[str]:
    """What is wrong with the configured keys, one sentence each; empty when they can be used."""
    keys = _keys(settings.get(SETTING, ""))
    if not keys:
        return [f"{SETTING} must be set to a Fernet key (make one with: {GENERATE})."]
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            return [
                f"{SETTING} must be one or more Fernet keys separated by commas "
                f"(make one with: {GENERATE})."
            ]
    return []


def _box(settings: Mapping | None = None) -> MultiFernet:
    settings = current_app.config if settings is None else settings
    if key_problems(settings):
        raise SecretUnreadable(key_problems(settings)[0])
    return MultiFernet([Fernet(key) for key in _keys(settings[SETTING])])


def seal(secret: str, settings: Mapping | None = None) -> str:
    """``secret`` sealed with the first configured key, as stored."""
    return PREFIX + _box(settings).encrypt(secret.encode()).decode()


def unseal(stored: str, settings: Mapping | None = None) -> str:
    """The plain secret of a stored value; raises ``SecretUnreadable`` if no key opens it."""
    if not stored.startswith(PREFIX):
        raise SecretUnreadable("A stored secret is not sealed: run flask db upgrade.")
    try:
        return _box(settings).decrypt(stored.removeprefix(PREFIX).encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            f"A stored two-factor secret cannot be opened with {SETTING}: it was sealed with a "
            "key that is no longer configured. Put the old key back after the new one "
            "(comma-separated)."
        ) from None


def needs_resealing(stored: str, settings: Mapping | None = None) -> bool:
    """Whether ``stored`` was sealed with a key other than the first (so rotation is unfinished)."""
    settings = current_app.config if settings is None else settings
    first = Fernet(_keys(settings[SETTING])[0])
    try:
        first.decrypt(stored.removeprefix(PREFIX).encode())
    except InvalidToken:
        return True
    return False
