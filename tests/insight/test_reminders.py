"""Reminders to subscription contacts: 90, 30 and 7 days before a subscription ends and the day
after, from the daily ``send-reminders``; never twice for the same period and kind, even when a
run stops halfway; nothing for a period that has a renewal after it."""

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.email.models import OutboxEmail
from portal.extensions import db
from portal.insight import reminders
from portal.insight.models import ReminderKind, SubscriptionReminder
from portal.insight.reminders import REMINDER_WINDOWS, reminder_due, reminders_due
from portal.organisations.models import InsightSubscription, SubscriptionContact
from tests.insight.helpers import emails_to

ENDS = date(2027, 3, 31)
D90, D30, D7, ENDED = (
    ReminderKind.DAYS_90,
    ReminderKind.DAYS_30,
    ReminderKind.DAYS_7,
    ReminderKind.ENDED,
)


@pytest.mark.parametrize(
    ("days_from_end", "due"),
    [
        (-91, None),
        (-90, D90),  # the day it falls due
        (-60, D90),  # missed on its day: caught up later
        (-31, D90),
        (-30, D30),
        (-8, D30),
        (-7, D7),
        (-1, D7),
        (0, D7),  # the last day of the subscription
        (1, ENDED),  # the day after it ends
        (30, ENDED),
        (31, None),
        (400, None),
    ],
)
def test_which_reminder_is_due(days_from_end, due):
    assert reminder_due(ENDS, ENDS + timedelta(days=days_from_end)) is due


def test_the_windows_meet_without_overlapping():
    assert [w.kind for w in REMINDER_WINDOWS] == [D90, D30, D7, ENDED]
    for earlier, later in itertools.pairwise(REMINDER_WINDOWS):
        assert later.first - earlier.last == 1


@pytest.fixture
def ending(app, create_organisation):
    """An organisation whose subscription ends on ``ends_on``, with contacts (name, email)."""

    def make(ends_on=ENDS, contacts=(("Robin Hale", "robin@westbrook.gov.uk"),), **kwargs):
        organisation = create_organisation(subscribed=(ends_on - timedelta(days=364), ends_on))
        with app.app_context():
            for name, email in contacts:
                db.session.add(
                    SubscriptionContact(organisation_id=organisation.id, name=name, email=email)
                )
            db.session.commit()
        return organisation

    return make


def run(runner, day: date):
    return runner.invoke(args=["send-reminders", "--today", day.isoformat()])


def reminder_rows(app) -> list[tuple[int, ReminderKind, date]]:
    with app.app_context():
        return [
            (r.subscription_id, r.kind, r.sent_on)
            for r in db.session.scalars(select(SubscriptionReminder).order_by("id"))
        ]


@pytest.mark.parametrize(
    ("days_from_end", "kind", "wording"),
    [
        (-90, D90, "ends on 31 March 2027, in 90 days"),
        (-30, D30, "ends on 31 March 2027, in 30 days"),
        (-7, D7, "ends on 31 March 2027, in 7 days"),
        (1, ENDED, "ended on 31 March 2027"),
    ],
)
def test_each_contact_is_reminded_once_on_each_day(
    app, runner, ending, outbox, days_from_end, kind, wording
):
    ending(contacts=[("Robin Hale", "robin@westbrook.gov.uk"), ("Kim Lee", "kim@westbrook.gov.uk")])
    day = ENDS + timedelta(days=days_from_end)

    first = run(runner, day)
    again = run(runner, day)
    next_day = run(runner, day + timedelta(days=1))

    assert first.exit_code == 0, first.output
    assert "Subscription reminders sent for 1 period(s)" in first.output
    assert "Subscription reminders sent for 0 period(s)." in again.output
    assert "Subscription reminders sent for 0 period(s)." in next_day.output
    for address, name in (("robin@westbrook.gov.uk", "Robin"), ("kim@westbrook.gov.uk", "Kim")):
        [email] = emails_to(app, address)
        assert wording in email.body_text and f"Dear {name}" in email.body_text
    assert all("/insight?topic=renew" in message.body for message in outbox)
    assert len(outbox) == 2
    assert [k for _, k, _ in reminder_rows(app)] == [kind]


def test_a_year_of_daily_runs_sends_the_four_reminders(app, runner, ending):
    ending()
    for offset in range(-120, 60):
        run(runner, ENDS + timedelta(days=offset))

    emails = emails_to(app, "robin@westbrook.gov.uk")
    assert [(k, sent) for _, k, sent in reminder_rows(app)] == [
        (D90, ENDS - timedelta(days=90)),
        (D30, ENDS - timedelta(days=30)),
        (D7, ENDS - timedelta(days=7)),
        (ENDED, ENDS + timedelta(days=1)),
    ]
    assert len(emails) == 4
    assert emails[-1].subject.endswith("has ended")


def test_a_subscription_added_late_gets_only_the_reminder_due_now(app, runner, ending):
    ending()
    run(runner, ENDS - timedelta(days=5))
    run(runner, ENDS - timedelta(days=4))
    assert [k for _, k, _ in reminder_rows(app)] == [D7]


def test_a_renewed_subscription_gets_no_reminder(app, runner, ending):
    organisation = ending()
    with app.app_context():
        db.session.add(
            InsightSubscription(
                organisation_id=organisation.id,
                starts_on=ENDS + timedelta(days=1),
                ends_on=ENDS + timedelta(days=365),
            )
        )
        db.session.commit()

    for offset in (-90, -30, -7, 1):
        run(runner, ENDS + timedelta(days=offset))

    assert reminder_rows(app) == []
    assert emails_to(app, "robin@westbrook.gov.uk") == []


def test_an_organisation_without_contacts_is_reminded_once_it_has_one(app, runner, ending):
    organisation = ending(contacts=())
    run(runner, ENDS - timedelta(days=30))
    assert reminder_rows(app) == []
    with app.app_context():
        db.session.add(
            SubscriptionContact(organisation_id=organisation.id, name="Jo", email="jo@w.gov.uk")
        )
        db.session.commit()

    run(runner, ENDS - timedelta(days=29))

    assert [k for _, k, _ in reminder_rows(app)] == [D30]
    assert len(emails_to(app, "jo@w.gov.uk")) == 1


def test_a_run_stopped_halfway_and_run_again_reminds_nobody_twice(app, runner, ending, monkeypatch):
    ending(contacts=[("First", "first@one.gov.uk")])
    ending(contacts=[("Second", "second@two.gov.uk")])
    real_send = reminders.send_email

    def fail_for_the_second(name, to, **context):
        if to == "second@two.gov.uk":
            raise ConnectionError("the machine stopped here")
        return real_send(name, to, **context)

    monkeypatch.setattr(reminders, "send_email", fail_for_the_second)
    stopped = run(runner, ENDS - timedelta(days=7))
    kept = [len(emails_to(app, a)) for a in ("first@one.gov.uk", "second@two.gov.uk")]
    monkeypatch.setattr(reminders, "send_email", real_send)
    again = run(runner, ENDS - timedelta(days=7))

    assert stopped.exit_code != 0
    assert kept == [1, 0]  # what was sent before it stopped is kept, with its record
    assert again.exit_code == 0, again.output
    assert len(emails_to(app, "first@one.gov.uk")) == 1
    assert len(emails_to(app, "second@two.gov.uk")) == 1
    assert [k for _, k, _ in reminder_rows(app)] == [D7, D7]


def test_a_reminder_already_recorded_is_not_sent_again(ctx, ending):
    ending()
    day = ENDS - timedelta(days=30)
    [(subscription, kind)] = reminders_due(day)

    assert reminders.send_reminder(subscription, kind, day) == 1
    # Another run that read the list before this one wrote its record: the record refuses it.
    assert reminders.send_reminder(subscription, kind, day) == 0
    assert reminders_due(day) == []
    sent = select(OutboxEmail).where(OutboxEmail.to_address == "robin@westbrook.gov.uk")
    assert len(db.session.scalars(sent).all()) == 1
