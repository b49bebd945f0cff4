"""The dead letters: jobs that failed on every try, kept for administrators to retry or remove.

They are RQ's failed-job registry for the portal's queue. Each is described in words (what it
was doing, for which emails or order lines), with the last line of its error.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from portal import audit
from portal.jobs.queue import RETRIED_BY_ADMINISTRATOR, job_queue, redis_connection

#: What each job does, in words, and what its first argument names.
_WORDS = {
    "portal.email.jobs.send_outbox_emails": ("Send new emails", "outbox emails"),
    "portal.downloads.jobs.stamp_line_copies": ("Stamp personalised PDF copies", "order lines"),
    "portal.payments.webhook_queue.handle_recorded_event": (
        "Act on a Stripe event (payment, expiry, refund)",
        "recorded event",
    ),
}
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
SHOWN = 200


class QueueUnavailable(Exception):
    """Redis is configured but cannot be reached."""


class JobGone(Exception):
    """The job is no longer among the dead letters (retried or removed meanwhile, or expired)."""


@dataclass(frozen=True)
class DeadLetter:
    """A failed job, as an administrator sees it."""

    id: str
    what: str
    arguments: str
    failed_at: datetime | None
    error: str  # the last line of the error

    def as_audit(self) -> dict:
        return {"job": self.what, "arguments": self.arguments, "error": self.error}


@dataclass(frozen=True)
class QueueState:
    """The queue at a glance: jobs waiting now, waiting to be retried, and the dead letters."""

    waiting: int
    retrying: int
    dead_letters: list[DeadLetter]
    failed: int  # all dead letters, though only the newest SHOWN are listed


def is_configured() -> bool:
    return redis_connection() is not None


def queue_state() -> QueueState:
    """The portal's queue and its newest dead letters. Raises QueueUnavailable."""
    queue = _queue()
    try:
        failed = FailedJobRegistry(queue=queue)
        ids = failed.get_job_ids(0, SHOWN - 1, desc=True)
        jobs = Job.fetch_many(ids, connection=queue.connection)
        return QueueState(
            waiting=queue.count,
            retrying=ScheduledJobRegistry(queue=queue).count,
            dead_letters=[_describe(job) for job in jobs if job is not None],
            failed=failed.count,
        )
    except redis.RedisError as error:
        raise QueueUnavailable() from error


def retry(job_id: str, by) -> DeadLetter:
    """Put a dead letter back on the queue to be tried once more, and record who did.
    Raises JobGone or QueueUnavailable."""

    def requeue(failed: FailedJobRegistry, job: Job) -> None:
        job.meta[RETRIED_BY_ADMINISTRATOR] = True
        job.save_meta()
        failed.requeue(job)

    letter = _act_on_dead_letter(job_id, requeue)
    audit.record(by, "job.retry", "job", job_id, before=letter.as_audit())
    return letter


def remove(job_id: str, by) -> DeadLetter:
    """Delete a dead letter for good, and record who did. Raises JobGone or QueueUnavailable."""
    letter = _act_on_dead_letter(job_id, lambda failed, job: failed.remove(job, delete_job=True))
    audit.record(by, "job.remove", "job", job_id, before=letter.as_audit())
    return letter


def _act_on_dead_letter(job_id: str, act) -> DeadLetter:
    """Do ``act(failed_registry, job)`` to the dead letter ``job_id``; its description as it
    was. Raises JobGone when it is no longer a dead letter, QueueUnavailable without Redis."""
    queue = _queue()
    try:
        failed = FailedJobRegistry(queue=queue)
        job = _fetch(queue, job_id)
        if job.id not in failed:
            raise JobGone()
        letter = _describe(job)
        act(failed, job)
    except (InvalidJobOperation, NoSuchJobError) as error:
        raise JobGone() from error
    except redis.RedisError as error:
        raise QueueUnavailable() from error
    return letter


def _queue():
    connection = redis_connection()
    if connection is None:
        raise QueueUnavailable()
    return job_queue(connection)


def _fetch(queue, job_id: str) -> Job:
    if not _JOB_ID.match(job_id):
        raise JobGone()
    return Job.fetch(job_id, connection=queue.connection)


def _describe(job: Job) -> DeadLetter:
    name = job.func_name or ""
    what, first = _WORDS.get(name, (name, ""))
    try:
        args = job.args
    except Exception:  # a job whose function or arguments no longer load
        args = ()
    return DeadLetter(
        id=job.id,
        what=what,
        arguments=_in_words(first, args),
        failed_at=job.ended_at.replace(tzinfo=UTC) if job.ended_at else None,
        error=_last_line(error_text(job)),
    )


def error_text(job: Job) -> str:
    """The traceback of the job's last failure, or "" if its last run did not fail."""
    result = job.latest_result()
    return (result.exc_string or "") if result is not None else ""


def _in_words(first: str, args) -> str:
    parts = []
    for index, value in enumerate(args):
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{first} {value}" if index == 0 and first else str(value))
    return "; ".join(parts)


def _last_line(error: str, most: int = 500) -> str:
    """The exception at the end of a traceback (``Type: message``), its lines joined."""
    lines = [line for line in error.rstrip().splitlines() if line.strip()]
    message = []
    for line in reversed(lines):
        if line.startswith((" ", "\t", "Traceback ")):
            break  # the frames above the exception
        message.append(line.strip())
    text = " ".join(reversed(message)) or (lines[-1].strip() if lines else "")
    return text if len(text) <= most else text[: most - 1] + "…"
