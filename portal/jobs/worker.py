"""``flask --app wsgi worker``: run the background jobs from Redis, and the periodic sweeps.

One RQ worker per process, inside the application the command built. It also runs RQ's scheduler
(retries wait in Redis until their time comes), and, every ``--sweep-interval`` seconds, the
sweeps that features registered with ``register_sweep`` (the email package's sends the outbox's
due emails, so retries on the outbox's own schedule need no ``send-outbox --loop``). Run as many
worker processes as the load needs: a sweep must be safe to run in several at once.

The worker runs jobs in its own process (RQ's SimpleWorker) rather than forking a process per
job: the sweeps run in a thread beside it, and a fork would copy that thread's database
connections into the job. A job that overruns its timeout is still stopped (by an alarm signal).

Recovery is quick (``PortalWorker``): a job whose worker died under it is found abandoned a few
seconds after its timeout (RQ's own margin is a minute) and retried, and every
``MAINTENANCE_SECONDS`` (RQ's default is ten minutes) the worker restarts its scheduler if it
died (with Redis, say) and cleans the queue's registries.
"""

import importlib
import logging
import threading
from collections.abc import Callable

import click
import redis
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import SimpleWorker

from portal.jobs.queue import job_queue, redis_connection

log = logging.getLogger(__name__)

_SWEEPS = "portal.jobs.sweeps"

#: Seconds between the worker's maintenance: restarting its scheduler if it died, and finding
#: jobs abandoned by a worker that died.
MAINTENANCE_SECONDS = 10
#: Seconds a job's claim outlives its timeout before another worker takes it for abandoned. The
#: job is stopped by an alarm at its timeout, so only a dead worker lets a claim run out.
ABANDONED_MARGIN = 10


#: What the jobs import when they first need it (Stripe's library, ReportLab, pypdf), kept out of
#: the web server's start-up: the worker loads them before its first job, so that one just
#: (re)started does not spend the first second or more of a burst of Stripe's events importing.
JOB_MODULES = ("stripe", "portal.documents.drawing", "portal.downloads.stamp")

#: Seconds the worker's registration lives between heartbeats. RQ waits for a job for this less
#: 15 seconds at a time, and does its maintenance only between waits (RQ's default, 420, would
#: put it off for almost seven minutes).
WORKER_TTL = 25


class PortalWorker(SimpleWorker):
    """RQ's SimpleWorker, noticing a dead worker's job soon after the job's timeout, and trying
    Redis again within seconds once it is back (RQ waits up to a minute between tries)."""

    max_connection_wait_time = 5.0

    def run_maintenance_tasks(self) -> None:
        """RQ's upkeep (the scheduler, the registries), put off while Redis is away: RQ quits on
        an error there, and a worker whose upkeep fell due while Redis restarted stopped for good.
        Waiting for the next job then tries Redis again until it is back."""
        try:
            super().run_maintenance_tasks()
        except redis.exceptions.RedisError as error:
            log.warning("worker upkeep put off, Redis did not answer: %s", error)

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        if not job.timeout or job.timeout < 0:
            return super().get_heartbeat_ttl(job, working_time)
        return int(job.timeout) + ABANDONED_MARGIN


def register_sweep(app: Flask, name: str, sweep: Callable[[], object]) -> None:
    """Have the worker call ``sweep()`` every ``--sweep-interval`` seconds, in a thread beside
    the jobs (``name`` is for the logs). The sweep opens its own application context if it needs
    a database session; what it returns is logged. A sweep that fails is logged and tried again
    at the next interval, so it must be safe to repeat and to run in several workers at once."""
    app.extensions.setdefault(_SWEEPS, {})[name] = sweep


@click.command("worker")
@click.option(
    "--burst", is_flag=True, help="Run the jobs waiting now (and due retries), then stop."
)
@click.option(
    "--sweep-interval",
    default=15,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds between the periodic sweeps (sending the outbox's due emails).",
)
@with_appcontext
def worker_command(burst: bool, sweep_interval: int) -> None:
    """Run background jobs (sending emails, stamping PDF copies) until stopped (SIGTERM)."""
    connection = redis_connection()
    if connection is None:
        raise click.ClickException(
            "REDIS_URL is not set, so there is no job queue: jobs run in the web server. "
            "To retry emails that failed, run `flask --app wsgi send-outbox --loop`."
        )
    _load_job_modules()
    worker = PortalWorker(
        [job_queue(connection)],
        connection=connection,
        maintenance_interval=MAINTENANCE_SECONDS,
        worker_ttl=WORKER_TTL,
    )
    stop = threading.Event()
    sweeps = dict(current_app.extensions.get(_SWEEPS, {}))
    sweeper = threading.Thread(
        target=_sweep_every,
        args=(current_app._get_current_object(), sweeps, sweep_interval, stop),
        name="sweeps",
        daemon=True,
    )
    if sweeps and not burst:
        sweeper.start()
    try:
        worker.work(
            burst=burst,
            with_scheduler=True,
            logging_level=current_app.config.get("LOG_LEVEL", "INFO"),
        )
    finally:
        stop.set()
        if sweeper.is_alive():
            sweeper.join(timeout=60)


def _load_job_modules() -> None:
    for module in JOB_MODULES:
        importlib.import_module(module)
    import stripe

    # The library loads the class of each kind of object the first time one arrives.
    _ = stripe.checkout.Session, stripe.Refund


def _sweep_every(
    app: Flask, sweeps: dict[str, Callable[[], object]], interval: int, stop: threading.Event
) -> None:
    # The first sweep waits one interval: the worker has just started its scheduler process.
    while not stop.wait(interval):
        for name, sweep in sweeps.items():
            try:
                with app.app_context():
                    result = sweep()
            except Exception:
                # A database hiccup must not stop the sweeping: the next pass tries again.
                log.exception("the %s sweep failed", name)
            else:
                log.debug("%s sweep: %s", name, result)
