"""Background jobs that send the email outbox (see ``portal.jobs``).

``send_outbox_emails`` sends the emails a transaction has just written; the worker's periodic
``sweep_outbox`` sends everything else that is due. Both go through ``send_due``, whose claiming
sends each email once however many workers, jobs and sweeps run at the same time, and both keep
to the outbox's own back-off: a job's retry (see ``portal.jobs.RETRY_INTERVALS``) comes after its
emails' next attempt is due, and whichever of the job and the sweep claims an email first tries
it. Only when an administrator tries a failed job again are its emails sent at once, whatever
their schedule, given up or not.
"""

from rq import get_current_job
from sqlalchemy import select

from portal.email.models import OutboxEmail, OutboxStatus
from portal.email.sending import send_due
from portal.extensions import db
from portal.jobs import RETRIED_BY_ADMINISTRATOR, app_context, job_timeout


class EmailsNotSent(Exception):
    """Some of a job's emails failed and are still not sent; raised so the queue retries the
    job, and keeps it for administrators after the last retry."""


#: A job sends the few emails one change wrote, each within MAIL_TIMEOUT per step; a mail server
#: that does not answer ends the pass early.
@job_timeout(45)
def send_outbox_emails(ids: list[int]) -> str:
    """Send the outbox emails ``ids``; raise EmailsNotSent while any of them has failed and is
    not sent yet (by this job or by another sender), naming the last error."""
    job = get_current_job()
    by_hand = bool(job and job.meta.get(RETRIED_BY_ADMINISTRATOR))
    with app_context():
        counts = send_due(only_ids=ids, retry_now=by_hand)
        failed = db.session.execute(
            select(OutboxEmail.id, OutboxEmail.last_error)
            .where(
                OutboxEmail.id.in_(ids),
                OutboxEmail.status.in_([OutboxStatus.QUEUED, OutboxStatus.GIVEN_UP]),
                OutboxEmail.attempts > 0,
            )
            .order_by(OutboxEmail.id)
        ).all()
    if failed:
        numbers = ", ".join(str(row.id) for row in failed)
        raise EmailsNotSent(f"emails {numbers} not sent yet: {failed[-1].last_error}")
    return str(counts)


def sweep_outbox(limit: int = 100) -> str:
    """Send up to ``limit`` due emails: new ones no job sent, and retries that are due."""
    with app_context():
        return str(send_due(limit))
