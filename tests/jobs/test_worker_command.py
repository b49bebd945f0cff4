"""``flask --app wsgi worker``: runs the queued jobs (here in burst mode: what is waiting, then
stop), and refuses to start without Redis, saying what to run instead."""

import signal

import pytest

from portal.email import send_email
from portal.extensions import db
from tests.conftest import failed_jobs


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
