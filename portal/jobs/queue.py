"""Putting jobs on the queue (or running them at once), and the application context they run in.

A job is a module-level function, named on the queue by its import path, with plain arguments
(ids, not objects): the worker imports it and calls it in a process of its own. Each job opens an
application context of its own with ``app_context()``, so it has a fresh database session whether
it runs in the worker or in-process after a request's commit.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis
from flask import Flask, current_app, has_app_context
from rq import Queue, Retry
from rq.job import Job

from portal.extensions import after_commit

log = logging.getLogger(__name__)

#: Seconds before each retry of a failed job. The first comes soon, for a job whose worker died
#: under it (found abandoned within a minute, see ``portal.jobs.worker``); the others are the
#: outbox's first three back-off delays, long enough for a mail server or the database to come
#: back, so an email job's retry finds its emails due. After the last, the job is kept as a dead
#: letter.
RETRY_INTERVALS = (10, 60, 300, 900)
#: Set in a job's meta when an administrator puts it back on the queue from /admin/jobs.
RETRIED_BY_ADMINISTRATOR = "retried_by_administrator"
#: A job still running after this many seconds is stopped (and retried), unless its function
#: says otherwise (``job_timeout``). Short, because a worker that dies in the middle of a job is
#: only noticed once the job's time is up (and a few seconds more).
JOB_TIMEOUT = 60
#: Seconds after a failure to reach Redis during which this process runs jobs itself without
#: asking Redis again, so a frozen Redis costs one request its timeout, not every request.
REDIS_RESPITE_SECONDS = 10
#: How long a failed job is kept for administrators to look at, retry or remove: 30 days.
FAILURE_TTL = 30 * 24 * 60 * 60
#: How long a finished job's result is kept (nobody reads it; an hour helps when tracing).
RESULT_TTL = 60 * 60

_CLIENTS = "portal.jobs.redis"
_UNREACHABLE_UNTIL = "portal.jobs.redis_unreachable_until"


def job_timeout(seconds: int) -> Callable[[Callable], Callable]:
    """Give a job function its own timeout, sized to what it does (instead of JOB_TIMEOUT)."""

    def mark(func: Callable) -> Callable:
        func.job_timeout = seconds
        return func

    return mark


def redis_connection() -> redis.Redis | None:
    """The Redis client for ``REDIS_URL``, or None when no Redis is configured.

    One client (and its connection pool) per application. Short timeouts (``REDIS_TIMEOUT``): a
    request that asks for a job must not hang on an unreachable Redis; it runs the job itself
    instead.
    """
    url = current_app.config.get("REDIS_URL") or ""
    if not url:
        return None
    clients = current_app.extensions.setdefault(_CLIENTS, {})
    if url not in clients:
        seconds = current_app.config.get("REDIS_TIMEOUT", 1)
        clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=seconds, socket_timeout=seconds, health_check_interval=30
        )
    return clients[url]


def _redis_resting() -> bool:
    until = current_app.extensions.get(_UNREACHABLE_UNTIL, {})
    return time.monotonic() < until.get(current_app.config.get("REDIS_URL"), 0.0)


def _redis_failed() -> None:
    until = current_app.extensions.setdefault(_UNREACHABLE_UNTIL, {})
    until[current_app.config.get("REDIS_URL")] = time.monotonic() + REDIS_RESPITE_SECONDS


def job_queue(connection: redis.Redis) -> Queue:
    """The portal's queue (``JOB_QUEUE_NAME``) on ``connection``."""
    return Queue(current_app.config["JOB_QUEUE_NAME"], connection=connection)


def retry_policy() -> Retry | None:
    """How a failed job is retried: ``JOB_RETRY_INTERVALS`` (seconds) if set, else the default."""
    intervals = [int(s) for s in current_app.config.get("JOB_RETRY_INTERVALS", RETRY_INTERVALS)]
    return Retry(max=len(intervals), interval=intervals) if intervals else None


def job_name(func: Callable | str) -> str:
    """A job function's import path, as the queue records it."""
    if isinstance(func, str):
        return func
    return f"{func.__module__}.{func.__qualname__}"


def enqueue(func: Callable, *args, **kwargs) -> Job | None:
    """Run ``func(*args, **kwargs)`` in the background: on the queue when Redis is configured
    (the RQ job is returned), else at once in this process (None is returned).

    Arguments must be plain values the queue can store (ids, lists of ids, text). When Redis is
    configured but cannot be reached, the job runs here and now rather than being lost; a
    failure of a job run here is logged, never raised.
    """
    connection = redis_connection()
    if connection is not None and not _redis_resting():
        config = current_app.config
        try:
            return job_queue(connection).enqueue_call(
                func,
                args=args,
                kwargs=kwargs,
                timeout=getattr(func, "job_timeout", None)
                or config.get("JOB_TIMEOUT", JOB_TIMEOUT),
                retry=retry_policy(),
                failure_ttl=config.get("JOB_FAILURE_TTL", FAILURE_TTL),
                result_ttl=RESULT_TTL,
            )
        except redis.RedisError:
            _redis_failed()
            log.exception("could not queue job %s; running it now instead", job_name(func))
    run_now(func, *args, **kwargs)
    return None


def run_now(func: Callable, *args, **kwargs) -> None:
    """Run a job in this process; a failure is logged, not raised (what the job was doing can
    be done again: the outbox sender retries emails, a download stamps its own copy)."""
    try:
        func(*args, **kwargs)
    except Exception:
        log.exception("job %s%r failed", job_name(func), args)


def enqueue_after_commit(func: Callable, *args) -> None:
    """Enqueue ``func(*args)`` once the current database transaction commits; forget it if the
    transaction rolls back (the job would act on a change that never happened)."""
    after_commit(_enqueue_all, (func, args))


def _enqueue_all(calls: list[tuple[Callable, tuple]]) -> None:
    for func, args in calls:
        enqueue(func, *args)


@contextmanager
def app_context() -> Iterator[Flask]:
    """A fresh application context for a job, with a database session of its own.

    The worker command runs inside the application it built, and a job run in-process inside
    the request's: that application is used. A job run by some other RQ worker builds the
    application from the environment, once per process.
    """
    app = current_app._get_current_object() if has_app_context() else _app_from_environment()
    with app.app_context():
        yield app


_built: list[Flask] = []


def _app_from_environment() -> Flask:
    if not _built:
        # Imported here: the factory imports this package to wire it in.
        from config import config_from_environment
        from portal import create_app

        _built.append(create_app(config_from_environment()))
    return _built[0]
