"""Command-line tasks for accounts: ``flask --app wsgi create-admin EMAIL``."""

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import with_appcontext

from portal.accounts import admin_confirmation, admin_services
from portal.accounts import services as accounts
from portal.accounts.passwords import password_problem
from portal.extensions import db


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
