"""Whether this app server can serve: the database, Redis (when configured) and file storage.

Each check either returns or raises; ``readiness`` turns that into "ok" or "failed" per check and
logs why one failed, so the answer to a probe names the failing part and never carries an address,
a password or a traceback.
"""

import logging
from collections.abc import Callable

import redis
from flask import current_app
from sqlalchemy import text

from portal.extensions import db
from portal.storage import get_storage

log = logging.getLogger(__name__)

#: Seconds a Redis check waits before calling Redis unreachable.
REDIS_TIMEOUT = 2


def check_database() -> None:
    """Raise unless the database answers ``SELECT 1``."""
    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.rollback()


def check_redis(url: str) -> None:
    """Raise unless the Redis at ``url`` answers PING."""
    connection = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    try:
        connection.ping()
    finally:
        connection.close()


def check_storage() -> None:
    """Raise unless the configured file storage can be reached."""
    get_storage().check()


def readiness_checks() -> dict[str, Callable[[], None]]:
    """The checks that apply to this configuration, by name."""
    checks = {"database": check_database}
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        checks["redis"] = lambda: check_redis(redis_url)
    checks["storage"] = check_storage
    return checks


def readiness() -> dict[str, str]:
    """Each check's result: "ok" or "failed" (the reason goes to the log)."""
    results = {}
    for name, check in readiness_checks().items():
        try:
            check()
        except Exception as error:  # a probe reports any failure, never raises
            log.warning("readiness: %s failed: %s: %s", name, type(error).__name__, error)
            results[name] = "failed"
        else:
            results[name] = "ok"
    return results
