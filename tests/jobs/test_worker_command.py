"""``flask --app wsgi worker``: runs the queued jobs (here in burst mode: what is waiting, then
stop), and refuses to start without Redis, saying what to run instead."""

import logging
import signal
import threading

import pytest

from portal.email import send_email
from portal.extensions import db
from tests.helpers import failed_jobs


@pytest.fixture
def keep_signal_handlers():
    """The worker installs its own SIGINT/SIGTERM handlers; give the test run its own back."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def test_the_worker_sends_the_emails_waiting_on_the_queue(
    app, runner, create_user, outbox, jobs_on_redis, keep_signal_handlers
):
    user = create_user()
    with app.app_context():
        send_email("password_changed", user.email, user=user)
        db.session.commit()
    assert outbox == []

    result = runner.invoke(args=["worker", "--burst"])

    assert result.exit_code == 0, result.output
    assert [message.to for message in outbox] == [[user.email]]
    assert failed_jobs(app) == []


def test_without_redis_the_worker_says_what_to_run_instead(runner):
    result = runner.invoke(args=["worker"])

    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output
    assert "send-outbox --loop" in result.output


def test_the_email_package_registers_the_outbox_sweep(app):
    from portal.email.jobs import sweep_outbox
    from portal.jobs import worker

    assert app.extensions[worker._SWEEPS]["outbox"] is sweep_outbox


def test_a_failed_sweep_is_logged_and_the_others_still_run(app, caplog):
    from portal.jobs import worker

    stop = threading.Event()
    ran = []

    def broken():
        raise RuntimeError("the database went away")

    def working():
        ran.append(True)
        stop.set()  # one pass is enough

    worker._sweep_every(app, {"broken": broken, "working": working}, 0.01, stop)

    assert ran == [True]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "the broken sweep failed"
    ]


def test_the_worker_loads_what_its_jobs_import_before_the_first_job():
    import sys

    from portal.jobs import worker

    worker._load_job_modules()

    assert all(name in sys.modules for name in worker.JOB_MODULES)
    assert "stripe.checkout._session" in sys.modules  # the class a retrieved session is made of
