"""Background work recovers soon: jobs have timeouts sized to them, a dead worker's job is found
abandoned seconds after its timeout, the worker does its upkeep every few seconds, and a Redis
that failed is left alone for a moment rather than asked again by every request."""

import pytest
import redis
from flask import current_app

from portal.downloads.jobs import stamp_line_copies
from portal.email.jobs import send_outbox_emails
from portal.jobs import enqueue, job_timeout
from portal.jobs import queue as job_queue_module
from portal.jobs import worker as worker_module

calls: list = []


@job_timeout(7)
def quick_job(value) -> None:
    calls.append((value, current_app.name))


def plain_job(value) -> None:
    calls.append((value, current_app.name))


@pytest.fixture(autouse=True)
def _no_calls():
    calls.clear()
    yield
    calls.clear()


def test_jobs_carry_timeouts_sized_to_them(ctx, jobs_on_redis):
    assert enqueue(quick_job, 1).timeout == 7
    assert enqueue(plain_job, 2).timeout == job_queue_module.JOB_TIMEOUT
    assert send_outbox_emails.job_timeout < 60 < stamp_line_copies.job_timeout <= 120


def test_a_dead_workers_job_is_abandoned_soon_after_its_timeout(ctx, jobs_on_redis):
    job = enqueue(quick_job, 3)
    worker = worker_module.PortalWorker([], connection=job.connection)
    assert worker.get_heartbeat_ttl(job) == 7 + worker_module.ABANDONED_MARGIN


def test_redis_that_failed_is_not_asked_again_for_a_moment(app, ctx, jobs_on_redis, monkeypatch):
    # The failure is remembered by the application: forget it after this test, for the next.
    monkeypatch.setitem(app.extensions, job_queue_module._UNREACHABLE_UNTIL, {})
    asked = []

    def refuse(*args, **kwargs):
        asked.append(args)
        raise redis.ConnectionError("refused")

    monkeypatch.setattr("rq.Queue.enqueue_call", refuse)
    assert enqueue(plain_job, "first") is None
    assert enqueue(plain_job, "second") is None
    assert len(asked) == 1  # the second job ran here without waiting on Redis again
    assert [value for value, _app in calls] == ["first", "second"]

    now = job_queue_module.time.monotonic()
    later = now + job_queue_module.REDIS_RESPITE_SECONDS + 1
    monkeypatch.setattr(job_queue_module.time, "monotonic", lambda: later)
    enqueue(plain_job, "third")
    assert len(asked) == 2  # after the respite, Redis is tried again


def test_upkeep_falling_due_while_redis_is_away_does_not_stop_the_worker(
    ctx, jobs_on_redis, monkeypatch
):
    job = enqueue(quick_job, 4)
    worker = worker_module.PortalWorker([], connection=job.connection)

    def redis_away(*args, **kwargs):
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(worker, "clean_registries", redis_away)
    worker.run_maintenance_tasks()  # RQ's own would raise, and its loop would quit
    monkeypatch.setattr(worker, "clean_registries", lambda: None)
    worker.run_maintenance_tasks()
