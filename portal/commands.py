"""Command-line tasks: ``flask --app wsgi seed-demo``, ``create-admin EMAIL`` and friends."""

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import with_appcontext

from portal.accounts import admin_confirmation, admin_services
from portal.accounts import services as accounts
from portal.accounts.passwords import password_problem
from portal.clock import today_in_london
from portal.demo import SIGN_INS, seed_demo
from portal.email.cli import send_outbox_command
from portal.extensions import db
from portal.jobs.worker import worker_command
from portal.organisations.cli import import_subscribers_command
from portal.payments.cli import expire_card_orders_command, send_reminders_command
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


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", show_default=True, help="Name for a new account.")
@with_appcontext
def create_admin_command(email: str, name: str) -> None:
    """Make EMAIL an administrator, creating the account (asking for a password) if needed."""
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise click.BadParameter("enter a full email address", param_hint="EMAIL") from None
    password = ""
    if accounts.find_user_by_email(email) is None:
        password = click.prompt(
            "Password for the new account", hide_input=True, confirmation_prompt=True
        )
        problem = password_problem(
            password, current_app.config["PASSWORD_MIN_LENGTH"], [email, name]
        )
        if problem:
            raise click.ClickException(problem)
    user, created = admin_services.create_admin(email, name, password)
    db.session.commit()
    click.echo(f"{'Created' if created else 'Updated'} administrator {user.email}.")
    if admin_confirmation.needs_confirmation(user):
        click.echo(
            "Before they can use the administration pages they must confirm by email: a link has "
            "been sent to their address (at /admin they can have another sent)."
        )


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(demo_sign_ins_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(import_subscribers_command)
    app.cli.add_command(send_outbox_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(expire_card_orders_command)
    app.cli.add_command(worker_command)
