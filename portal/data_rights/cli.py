"""``flask --app wsgi erase-expired-data``: erase personal data kept longer than the retention
periods allow (run daily, after ``send-reminders``; safe to run twice)."""

from datetime import UTC

import click
from flask.cli import with_appcontext

from portal.clock import utcnow
from portal.data_rights.retention import erase_expired
from portal.extensions import db


@click.command("erase-expired-data")
@click.option(
    "--now",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]),
    default=None,
    help="Act as if it were this moment (UTC, YYYY-MM-DD[THH:MM[:SS]]); now by default.",
)
@with_appcontext
def erase_expired_data_command(now) -> None:
    """Erase download addresses, sign-in history and guests' details past their retention."""
    erased = erase_expired(now.replace(tzinfo=UTC) if now else utcnow())
    db.session.commit()
    click.echo(
        f"Erased: the addresses of {erased.download_addresses} download(s),"
        f" {erased.sign_ins} sign-in(s), the details of {erased.guest_orders} guest order(s)."
    )
