"""A worker killed after the mail server took an email, before the outbox row was marked sent:
the email is sent again with the same Message-ID, soon, and the person's next email (the receipt)
is not held back for long behind it."""

from rq.registry import StartedJobRegistry

from tests.faults.buyer import Buyer
from tests.faults.journeys import RECOVERY_SECONDS, place_and_pay, wait_until_paid
from tests.scaleout.processes import wait_for


def test_an_email_sent_again_after_its_sender_died_keeps_its_message_id(stack):
    buyer = Buyer(stack.portal)
    killed_jobs: list[str] = []

    def kill_the_worker():
        with stack.redis() as connection:
            started = StartedJobRegistry("portal", connection=connection)
            killed_jobs.extend(started.get_job_ids())
        stack.kill("worker")

    stack.inbox.on_arrival = (lambda message: buyer.email in message["To"], kill_the_worker)
    _buyer, reference, _back = place_and_pay(stack, buyer)
    wait_for(lambda: stack.inbox.on_arrival is None, "the first email to the buyer")
    stack.start_worker()
    wait_until_paid(stack, reference)

    # The receipt arrives, behind the confirmation that was sent again.
    def receipt():
        return [m for m in stack.inbox.to(buyer.email) if "receipt" in m["Subject"].lower()]

    wait_for(receipt, "the receipt email", seconds=RECOVERY_SECONDS)
    messages = stack.inbox.to(buyer.email)
    first = messages[0]
    copies = [m for m in messages if m["Subject"] == first["Subject"]]
    assert len(copies) == 2, [m["Subject"] for m in messages]
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    with stack.database() as connection:
        stored = {
            row[0]
            for row in connection.execute(
                "SELECT message_id FROM outbox_emails WHERE to_address = %s", (buyer.email,)
            )
        }
    assert {m["Message-ID"] for m in messages} <= stored
    # The job the worker was running when it died is checked at the end of the run, once it
    # has been found abandoned and retried (see test_f5_abandoned_job.py).
    stack.notes.extend(killed_jobs)
