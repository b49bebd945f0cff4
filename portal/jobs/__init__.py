"""Background jobs: sending the email outbox and stamping downloads, away from the request.

With ``REDIS_URL`` set, ``enqueue`` puts a job on an RQ queue in Redis, and ``flask --app wsgi
worker`` runs it, retrying a failed job a few times before keeping it as a dead letter for
administrators (``/admin/jobs``). Without Redis (the laptop default), the job runs at once in the
process that asked for it. Either way a job's failure never fails the request that asked for it.
"""

from portal.jobs.queue import (
    RETRIED_BY_ADMINISTRATOR,
    app_context,
    enqueue,
    enqueue_after_commit,
    job_timeout,
    redis_connection,
)
from portal.jobs.worker import register_sweep

__all__ = [
    "RETRIED_BY_ADMINISTRATOR",
    "app_context",
    "enqueue",
    "enqueue_after_commit",
    "job_timeout",
    "redis_connection",
    "register_sweep",
]
