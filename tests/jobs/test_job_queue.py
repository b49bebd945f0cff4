"""Putting jobs on the queue: on RQ in Redis when it is configured, at once in-process when it
is not (or cannot be reached), and only once the transaction that asked for them commits."""

import pytest
from flask import current_app

from portal.extensions import db
from portal.jobs import enqueue, enqueue_after_commit, redis_connection
from tests.helpers import UNREACHABLE_REDIS_URL

calls: list = []


def note_call(*args, **kwargs) -> str:
    """A job that records its calls and whether it had an application context."""
    calls.append((args, kwargs, current_app.name))
    return "noted"


def always_fails(reason: str) -> None:
    raise RuntimeError(reason)


@pytest.fixture(autouse=True)
def _no_calls():
    calls.clear()
    yield
    calls.clear()


def test_without_redis_a_job_runs_at_once_in_this_process(ctx):
    assert redis_connection() is None

    assert enqueue(note_call, 1, 2, to="x") is None

    assert calls == [((1, 2), {"to": "x"}, current_app.name)]


def test_without_redis_a_failing_job_is_logged_and_never_raised(ctx, caplog):
    enqueue(always_fails, "the mail server said no")

    assert "always_fails" in caplog.text
    assert "the mail server said no" in caplog.text


def test_with_redis_a_job_waits_on_the_queue_until_a_worker_runs_it(app, ctx, run_jobs):
    job = enqueue(note_call, [4, 5])

    assert job is not None and calls == []
    assert job.func_name.endswith("test_job_queue.note_call")
    assert job.retries_left == 3
    assert job.failure_ttl >= 7 * 24 * 60 * 60  # a week at least, for administrators to look

    assert run_jobs()
    assert calls == [(([4, 5],), {}, app.name)]
    assert job.get_status(refresh=True) == "finished"


def test_when_redis_cannot_be_reached_the_job_runs_here_instead(app, ctx, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "REDIS_URL", UNREACHABLE_REDIS_URL)

    assert enqueue(note_call, 7) is None

    assert calls == [((7,), {}, app.name)]
    assert "could not queue job" in caplog.text


def test_a_job_asked_for_in_a_transaction_waits_for_the_commit(app, ctx):
    enqueue_after_commit(note_call, "committed")
    assert calls == []

    db.session.commit()

    assert [args for args, _, _ in calls] == [("committed",)]


def test_a_job_asked_for_in_a_transaction_that_rolls_back_never_runs(app, ctx):
    enqueue_after_commit(note_call, "rolled back")
    db.session.rollback()
    db.session.commit()

    assert calls == []
