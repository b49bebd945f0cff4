"""Reminders to an organisation's subscription contacts that its Insight subscription is ending:
90, 30 and 7 days before the last day, and the day after it ended.

A reminder missed on its day (the daily run did not happen) goes on a later day, until the next
one is due; only the latest due goes, never a pile of them. Each is sent once per subscription
period and kind: a ``SubscriptionReminder`` row, unique per period and kind, is written in the
same transaction as the emails, so a run stopped halfway and run again reminds nobody twice, and
two runs at once send each reminder once. A period with a later one (a renewal) gets no reminder.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from portal.email import send_email
from portal.extensions import db
from portal.insight.models import ReminderKind, SubscriptionReminder
from portal.organisations.contacts import contacts_of
from portal.organisations.models import InsightSubscription, SubscriptionContact
from portal.public_url import external_url


@dataclass(frozen=True)
class ReminderWindow:
    """When a kind of reminder may go, in days from the subscription's last day: from ``first``
    to ``last`` inclusive (negative before the end)."""

    kind: ReminderKind
    first: int
    last: int


#: The reminders, in the order they fall due; the windows meet and never overlap.
REMINDER_WINDOWS = (
    ReminderWindow(ReminderKind.DAYS_90, -90, -31),
    ReminderWindow(ReminderKind.DAYS_30, -30, -8),
    ReminderWindow(ReminderKind.DAYS_7, -7, 0),
    ReminderWindow(ReminderKind.ENDED, 1, 30),
)
EARLIEST = REMINDER_WINDOWS[0].first
LATEST = REMINDER_WINDOWS[-1].last


def reminder_due(ends_on: date, today: date) -> ReminderKind | None:
    """The reminder a subscription ending on ``ends_on`` is due today, if any."""
    offset = (today - ends_on).days
    return next((w.kind for w in REMINDER_WINDOWS if w.first <= offset <= w.last), None)


def reminders_due(today: date) -> list[tuple[InsightSubscription, ReminderKind]]:
    """Each subscription period due a reminder today that has not had it, whose organisation
    has contacts and no later period; soonest ending first."""
    later = aliased(InsightSubscription)
    renewed = exists().where(
        and_(
            later.organisation_id == InsightSubscription.organisation_id,
            later.ends_on > InsightSubscription.ends_on,
        )
    )
    has_contacts = exists().where(
        SubscriptionContact.organisation_id == InsightSubscription.organisation_id
    )
    candidates = db.session.scalars(
        select(InsightSubscription)
        .where(
            InsightSubscription.ends_on.between(
                today - timedelta(days=LATEST), today - timedelta(days=EARLIEST)
            ),
            ~renewed,
            has_contacts,
        )
        .order_by(InsightSubscription.ends_on, InsightSubscription.id)
    ).all()
    sent = {
        (subscription_id, kind)
        for subscription_id, kind in db.session.execute(
            select(SubscriptionReminder.subscription_id, SubscriptionReminder.kind).where(
                SubscriptionReminder.subscription_id.in_([c.id for c in candidates])
            )
        )
    }
    due = []
    for subscription in candidates:
        kind = reminder_due(subscription.ends_on, today)
        if kind is not None and (subscription.id, kind) not in sent:
            due.append((subscription, kind))
    return due


def send_reminder(subscription: InsightSubscription, kind: ReminderKind, today: date) -> int:
    """Email ``kind`` of reminder about ``subscription`` to each of its organisation's contacts
    and record it; returns how many were emailed, 0 when it had been sent already."""
    contacts = contacts_of(subscription.organisation)
    try:
        with db.session.begin_nested():
            db.session.add(
                SubscriptionReminder(
                    subscription_id=subscription.id,
                    kind=kind,
                    sent_on=today,
                    recipients=len(contacts),
                )
            )
    except IntegrityError:
        return 0  # another run sent it meanwhile
    # The whole name, as the request form will show it (the email itself shows it shortened).
    renew_url = external_url(
        "insight.about", topic="renew", organisation=subscription.organisation.name
    )
    for contact in contacts:
        send_email(
            "subscription_reminder",
            contact.email,
            contact=contact,
            organisation=subscription.organisation,
            subscription=subscription,
            ended=kind is ReminderKind.ENDED,
            days_left=(subscription.ends_on - today).days,
            renew_url=f"{renew_url}#request",
        )
    db.session.flush()
    return len(contacts)


def sent_reminders(subscription_ids: list[int]) -> dict[int, list[SubscriptionReminder]]:
    """The reminders recorded for each of these periods, in the order they were sent."""
    found: dict[int, list[SubscriptionReminder]] = {}
    if not subscription_ids:
        return found
    rows = db.session.scalars(
        select(SubscriptionReminder)
        .where(SubscriptionReminder.subscription_id.in_(subscription_ids))
        .order_by(SubscriptionReminder.sent_on, SubscriptionReminder.id)
    )
    for row in rows:
        found.setdefault(row.subscription_id, []).append(row)
    return found
