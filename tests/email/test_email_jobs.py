"""With Redis, new emails are sent by a job on the queue; a job whose emails keep failing is
retried, then kept as a dead letter that an administrator can try again from /admin/jobs."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.audit.models import AuditEntry
from portal.clock import utcnow
from portal.email import send_email
from portal.email.jobs import EmailsNotSent, send_outbox_emails, sweep_outbox
from portal.email.models import OutboxEmail, OutboxStatus
from portal.extensions import db
from portal.jobs.services import error_text
from tests.helpers import failed_jobs


def _tell(app, user) -> None:
    """Write a password-changed email to ``user`` and commit, as a request would."""
    with app.app_context():
        send_email("password_changed", user.email, user=user)
        db.session.commit()


def test_a_new_email_is_sent_by_the_worker_not_by_the_request(
    app, create_user, smtp_server, smtp_inbox, outbox_rows, run_jobs
):
    user = create_user()
    _tell(app, user)
    [row] = outbox_rows()
    assert (row.status, smtp_inbox.messages) == (OutboxStatus.QUEUED, [])  # waiting for a worker

    assert run_jobs()

    [row] = outbox_rows()
    assert row.status is OutboxStatus.SENT
    assert smtp_inbox.subjects == ["Your Socitm Insight reports password has changed"]
    assert failed_jobs(app) == []


@pytest.fixture
def no_back_off(monkeypatch):
    """The outbox waits no time between tries, so the queue's immediate retries find the
    emails due (in production both wait minutes)."""
    monkeypatch.setattr("portal.email.sending.RETRY_DELAYS", (timedelta(0),))


def test_a_job_whose_emails_keep_failing_is_retried_then_kept_as_a_dead_letter(
    app, create_user, smtp_down, smtp_inbox, outbox_rows, run_jobs, no_back_off
):
    user = create_user()
    _tell(app, user)

    run_jobs()

    [row] = outbox_rows()
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 4)  # the first try and 3 retries
    [dead] = failed_jobs(app)
    assert dead.func_name == "portal.email.jobs.send_outbox_emails"
    assert dead.args == ([row.id],)
    error = error_text(dead)
    assert "EmailsNotSent" in error and "ConnectionRefusedError" in error
    assert smtp_inbox.messages == []


def test_an_administrator_tries_a_dead_letter_again_and_the_email_is_sent_at_once(
    app,
    client,
    auth,
    post_form,
    create_user,
    smtp_down,
    smtp_inbox,
    outbox_rows,
    run_jobs,
    no_back_off,
):
    customer = create_user()
    _tell(app, customer)
    run_jobs()
    [dead] = failed_jobs(app)
    with app.app_context():  # the outbox's own next try is an hour away
        db.session.execute(
            update(OutboxEmail).values(next_attempt_at=utcnow() + timedelta(hours=1))
        )
        db.session.commit()
    admin = create_user(is_admin=True)
    auth.sign_in(admin.email)

    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "Send new emails" in page
    assert f"outbox emails {outbox_rows()[0].id}" in page
    assert "EmailsNotSent" in page and "ConnectionRefusedError" in page

    smtp_down()  # the call brings the mail server back
    response = post_form(f"/admin/jobs/{dead.id}/retry", {}, form_page="/admin/jobs")
    assert response.status_code == 302
    assert failed_jobs(app) == []  # back on the queue
    run_jobs()

    [row] = outbox_rows()
    assert row.status is OutboxStatus.SENT
    assert len(smtp_inbox.messages) == 1
    assert failed_jobs(app) == []
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "job.retry"))
    assert (entry.actor_email, entry.target_id) == (admin.email, dead.id)
    assert entry.before["job"] == "Send new emails"


def test_a_job_keeps_to_the_outboxs_back_off_and_never_sends_twice(
    ctx, create_user, smtp_down, smtp_inbox, outbox_rows, make_due, jobs_on_redis
):
    user = create_user()
    send_email("password_changed", user.email, user=user)
    db.session.commit()
    [row] = outbox_rows()
    with pytest.raises(EmailsNotSent, match="ConnectionRefusedError"):
        send_outbox_emails([row.id])
    smtp_down()  # back up, but the email's next try is a minute away

    with pytest.raises(EmailsNotSent):
        send_outbox_emails([row.id])  # a retry too early: nothing sent, so it must go again
    assert outbox_rows()[0].attempts == 1
    make_due()
    assert send_outbox_emails([row.id]) == "1 sent, 0 to retry, 0 given up"
    assert send_outbox_emails([row.id]) == "0 sent, 0 to retry, 0 given up"  # never twice
    assert len(smtp_inbox.messages) == 1


def test_the_sweep_sends_due_emails_that_no_job_sent(
    ctx, create_outbox_email, smtp_server, smtp_inbox, outbox_rows
):
    create_outbox_email()  # written without a job, as if the worker had been down

    assert sweep_outbox() == "1 sent, 0 to retry, 0 given up"
    assert outbox_rows()[0].status is OutboxStatus.SENT
    assert len(smtp_inbox.messages) == 1
