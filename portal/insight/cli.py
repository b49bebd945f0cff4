"""The subscription reminders' part of the daily ``flask --app wsgi send-reminders``."""

from datetime import date

import click

from portal.extensions import db
from portal.insight.reminders import reminders_due, send_reminder


def send_subscription_reminders(today: date) -> list[str]:
    """Send every subscription reminder due ``today``, committing after each period, so a run
    stopped halfway keeps what it sent and the next run carries on from there. Returns a line
    for each period reminded."""
    done = []
    for subscription, kind in reminders_due(today):
        name, ends_on = subscription.organisation.name, subscription.ends_on
        emailed = send_reminder(subscription, kind, today)
        db.session.commit()
        if emailed:
            done.append(f"{name} (ends {ends_on:%d/%m/%Y}, {kind.label}: {emailed} contact(s))")
    click.echo(
        f"Subscription reminders sent for {len(done)} period(s)"
        + (f": {'; '.join(done)}" if done else ".")
    )
    return done
