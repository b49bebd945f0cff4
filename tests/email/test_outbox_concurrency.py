"""Two senders at once, for real, on PostgreSQL: every email is delivered exactly once."""

from collections import Counter

import pytest
from sqlalchemy import select

from portal.email.models import OutboxEmail, OutboxStatus
from portal.email.sending import send_due
from portal.extensions import db
from tests.email.helpers import Inbox
from tests.helpers import run_together

EMAILS = 30


@pytest.fixture
def smtp_inbox():
    # Each delivery takes a moment, so the two senders really are at work at the same time.
    return Inbox(delay=0.01)


@pytest.mark.postgres_only
@pytest.mark.real_transactions
@pytest.mark.parametrize("second_sender", ["another worker", "an after-commit send"])
def test_two_senders_at_once_deliver_each_email_once(
    app, smtp_server, smtp_inbox, create_outbox_email, second_sender
):
    # Ten people with three emails each: order within a person must hold as well.
    ids = [create_outbox_email(to_address=f"reader{n % 10}@example.gov.uk") for n in range(EMAILS)]

    def worker():
        return send_due()

    def second():
        return send_due(only_ids=ids) if second_sender == "an after-commit send" else send_due()

    first_counts, second_counts = run_together(app, worker, second)

    assert first_counts.sent + second_counts.sent == EMAILS
    assert Counter(smtp_inbox.subjects) == Counter(
        f"Email number {n}" for n in range(1, EMAILS + 1)
    )
    for person in range(10):
        received = [
            m["Subject"] for m in smtp_inbox.messages if m["To"] == f"reader{person}@example.gov.uk"
        ]
        assert received == sorted(received, key=lambda subject: int(subject.rsplit(" ", 1)[1]))
    with app.app_context():
        rows = db.session.scalars(select(OutboxEmail)).all()
        assert {row.status for row in rows} == {OutboxStatus.SENT}
        assert {row.attempts for row in rows} == {1}
