"""Command-line tasks for the demo: ``flask --app wsgi seed-demo`` and ``demo-sign-ins``."""

import click
from flask.cli import with_appcontext

from portal.clock import today_in_london
from portal.demo.seed import SIGN_INS, seed_demo
from portal.extensions import db
from portal.storage import get_storage


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo catalogue, organisations and sign-ins (safe to run again)."""
    added = seed_demo(get_storage(), today_in_london())
    db.session.commit()
    click.echo("Demo data: " + (", ".join(added) if added else "already loaded, nothing to add."))


@click.command("demo-sign-ins")
def demo_sign_ins_command() -> None:
    """Print the demo sign-ins."""
    click.echo("Demo sign-ins (email / password):")
    for sign_in in SIGN_INS:
        click.echo(f"  {sign_in.who:<58} {sign_in.email} / {sign_in.password}")
