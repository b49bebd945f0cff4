"""At once, for real, on PostgreSQL: two reminder runs remind each contact once, and the same
request form posted twice makes one request and one email."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.clock import today_in_london
from portal.email.models import OutboxEmail
from portal.extensions import db
from portal.insight.cli import send_subscription_reminders
from portal.insight.models import InsightRequest, SubscriptionReminder
from portal.organisations.models import SubscriptionContact
from tests.helpers import run_together
from tests.insight.helpers import FILLED_IN, SUBSCRIPTIONS

pytestmark = [pytest.mark.postgres_only, pytest.mark.real_transactions]


def _count(app, query) -> int:
    with app.app_context():
        return db.session.scalar(query)


def test_two_reminder_runs_at_once_remind_each_contact_once(app, create_organisation):
    today = today_in_london()
    ends = today + timedelta(days=7)
    organisations = [
        create_organisation(subscribed=(ends - timedelta(days=364), ends)) for _ in range(3)
    ]
    with app.app_context():
        for n, organisation in enumerate(organisations):
            db.session.add(
                SubscriptionContact(
                    organisation_id=organisation.id, name=f"Contact {n}", email=f"c{n}@x.gov.uk"
                )
            )
        db.session.commit()

    done = run_together(app, *[lambda: send_subscription_reminders(today)] * 2)

    assert sum(len(lines) for lines in done) == 3
    for n in range(3):
        to = select(func.count()).where(OutboxEmail.to_address == f"c{n}@x.gov.uk")
        assert _count(app, to) == 1
    assert _count(app, select(func.count()).select_from(SubscriptionReminder)) == 3


def test_the_same_form_posted_twice_at_once_makes_one_request(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    form = {**FILLED_IN, "request_key": "posted-twice-at-once-0001"}

    def post():
        return app.test_client().post("/insight", data=form).status_code

    answers = run_together(app, post, post)

    assert answers == [302, 302]
    assert _count(app, select(func.count()).select_from(InsightRequest)) == 1
    to = select(func.count()).where(OutboxEmail.to_address == SUBSCRIPTIONS)
    assert _count(app, to) == 1
