"""``flask --app wsgi send-reminders``: remind late payers of their invoices (run daily)."""

from datetime import date

import click
from flask.cli import with_appcontext

from portal.clock import today_in_london
from portal.extensions import db
from portal.payments.invoices import send_reminders


@click.command("send-reminders")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Act as if it were this date (YYYY-MM-DD); today in London by default.",
)
@with_appcontext
def send_reminders_command(today) -> None:
    """Email a reminder for each unpaid invoice that is due one today."""
    day: date = today.date() if today else today_in_london()
    reminded = send_reminders(day)
    db.session.commit()
    click.echo(
        f"Reminders sent for {len(reminded)} order(s)"
        + (f": {', '.join(reminded)}" if reminded else ".")
    )
