"""Background jobs that send the email outbox (see ``portal.jobs``).

``send_outbox_emails`` sends the emails a transaction has just written; the worker's periodic
``sweep_outbox`` sends everything else that is due, retries included, on the outbox's own
schedule. Both go through ``send_due``, whose claiming sends each email once however many
workers, jobs and sweeps run at the same time.
"""

from portal.email_sending import send_due
from portal.jobs import app_context


class EmailsNotSent(Exception):
    """None of a job's emails could be sent; raised so the queue retries the job."""


def send_outbox_emails(ids: list[int]) -> str:
    """Send the outbox emails ``ids`` now, whatever their next attempt time.

    Raises EmailsNotSent when every email tried failed, so the queue tries the job again later
    and, after its last retry, keeps it for administrators. Emails another sender has already
    sent or is sending are not tried again.
    """
    with app_context():
        counts = send_due(only_ids=ids, retry_now=True)
    if counts.failed and not counts.sent:
        raise EmailsNotSent(
            f"{counts.failed} of emails {', '.join(map(str, ids))} not sent: {counts.last_error}"
        )
    return str(counts)


def sweep_outbox(limit: int = 100) -> str:
    """Send up to ``limit`` due emails: new ones no job sent, and retries that are due."""
    with app_context():
        return str(send_due(limit))
