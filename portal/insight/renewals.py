"""The renewals list for administrators: subscriptions ending in the next 90 days and those that
ended in the last 90, each with its organisation's contacts, the reminders sent and the requests
that go with it; and the same list as CSV."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.clock import london_date
from portal.csv_safety import csv_rows
from portal.extensions import db
from portal.insight.models import InsightRequest, SubscriptionReminder
from portal.insight.reminders import sent_reminders
from portal.insight.requests import requests_of
from portal.organisations.models import (
    InsightSubscription,
    Organisation,
    SubscriptionContact,
)

#: How far ahead and back the list looks, in days.
WINDOW_DAYS = 90
CSV_HEADER = (
    "Organisation",
    "Ends on",
    "Days left",
    "Renewed until",
    "Subscription contacts",
    "Reminders sent",
    "Requests",
)


@dataclass(frozen=True)
class Renewal:
    """One subscription period ending or ended, and what goes with it."""

    subscription: InsightSubscription
    days_left: int  # negative once it has ended
    renewed_until: date | None  # the end of the organisation's later period, when it has one
    contacts: list[SubscriptionContact]
    reminders: list[SubscriptionReminder]
    requests: list[InsightRequest]

    @property
    def organisation(self) -> Organisation:
        return self.subscription.organisation


def renewals(today: date) -> list[Renewal]:
    """Periods ending between ``today`` - 90 days and ``today`` + 90 days, soonest first."""
    periods = db.session.scalars(
        select(InsightSubscription)
        .where(
            InsightSubscription.ends_on.between(
                today - timedelta(days=WINDOW_DAYS), today + timedelta(days=WINDOW_DAYS)
            )
        )
        .order_by(InsightSubscription.ends_on, InsightSubscription.id)
        .options(
            selectinload(InsightSubscription.organisation).selectinload(Organisation.subscriptions)
        )
    ).all()
    organisation_ids = sorted({p.organisation_id for p in periods})
    asked = requests_of(organisation_ids)
    reminders = sent_reminders([p.id for p in periods])
    contacts: dict[int, list[SubscriptionContact]] = {}
    for contact in db.session.scalars(
        select(SubscriptionContact)
        .where(SubscriptionContact.organisation_id.in_(organisation_ids))
        .order_by(SubscriptionContact.name, SubscriptionContact.id)
    ):
        contacts.setdefault(contact.organisation_id, []).append(contact)
    return [
        Renewal(
            subscription=period,
            days_left=(period.ends_on - today).days,
            renewed_until=max(
                (
                    s.ends_on
                    for s in period.organisation.subscriptions
                    if s.ends_on > period.ends_on
                ),
                default=None,
            ),
            contacts=contacts.get(period.organisation_id, []),
            reminders=reminders.get(period.id, []),
            requests=asked.get(period.organisation_id, []),
        )
        for period in periods
    ]


def _renewed_until(period: InsightSubscription) -> date | None:
    later = [s.ends_on for s in period.organisation.subscriptions if s.ends_on > period.ends_on]
    return max(later, default=None)


def renewals_csv(found: list[Renewal]) -> Iterator[str]:
    """The renewals list as CSV text, every cell made safe for a spreadsheet."""
    yield from csv_rows([CSV_HEADER])
    yield from csv_rows(_row(renewal) for renewal in found)


def _row(renewal: Renewal) -> tuple:
    return (
        renewal.organisation.name,
        renewal.subscription.ends_on.isoformat(),
        renewal.days_left,
        renewal.renewed_until.isoformat() if renewal.renewed_until else "",
        "; ".join(f"{c.name} <{c.email}>" for c in renewal.contacts),
        "; ".join(f"{r.kind.label} ({r.sent_on.isoformat()})" for r in renewal.reminders),
        "; ".join(
            f"{r.topic.label}, {r.state.label}, {london_date(r.created_at).isoformat()}, {r.name}"
            for r in renewal.requests
        ),
    )
