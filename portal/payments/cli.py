"""``flask --app wsgi send-reminders``: remind late payers of their invoices and subscription
contacts of subscriptions ending (run daily);
``expire-card-orders``: cancel card orders whose payment time ran out (run every few minutes)."""

from datetime import UTC, date

import click
from flask.cli import with_appcontext

from portal.clock import today_in_london, utcnow
from portal.extensions import db
from portal.insight.cli import send_subscription_reminders
from portal.payments.invoices import send_reminders
from portal.payments.services import expire_unpaid_card_orders


@click.command("send-reminders")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Act as if it were this date (YYYY-MM-DD); today in London by default.",
)
@with_appcontext
def send_reminders_command(today) -> None:
    """Email a reminder for each unpaid invoice that is due one today, and the contacts of each
    Insight subscription ending in 90, 30 or 7 days or that ended yesterday."""
    day: date = today.date() if today else today_in_london()
    reminded = send_reminders(day)
    db.session.commit()
    click.echo(
        f"Reminders sent for {len(reminded)} order(s)"
        + (f": {', '.join(reminded)}" if reminded else ".")
    )
    send_subscription_reminders(day)


@click.command("expire-card-orders")
@click.option(
    "--now",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]),
    default=None,
    help="Act as if it were this moment (UTC, YYYY-MM-DDTHH:MM[:SS]); now by default.",
)
@with_appcontext
def expire_card_orders_command(now) -> None:
    """Cancel card orders whose payment time has run out, putting their printed copies back in
    stock (for when Stripe's expiry event was lost); run every few minutes."""
    moment = now.replace(tzinfo=UTC) if now else utcnow()
    cancelled = expire_unpaid_card_orders(moment)
    db.session.commit()
    click.echo(
        f"Card orders cancelled as unpaid: {len(cancelled)}"
        + (f" ({', '.join(cancelled)})." if cancelled else ".")
    )
