"""``flask --app wsgi check-config``: what the portal will use, and whether it may start."""

import click
from flask import current_app
from flask.cli import with_appcontext
from flask.config import Config as FlaskConfig
from sqlalchemy import make_url

from config import ProductionConfig, refusal_message


def settings_summary(settings) -> list[str]:
    """Where the portal will keep and send things, one line each, without a password, key or
    secret (a database or Redis address is shown without its user name and password)."""
    database = make_url(settings["SQLALCHEMY_DATABASE_URI"])
    where = f"{database.host or ''}{f':{database.port}' if database.port else ''}"
    lines = [
        f"Environment: {settings.get('ENVIRONMENT', '?')}",
        f"Database: {database.get_backend_name()}"
        + (f" at {where}" if where else "")
        + (f", database {database.database}" if database.database else ""),
    ]
    if settings["STORAGE_BACKEND"] == "s3":
        endpoint = settings.get("S3_ENDPOINT_URL") or "AWS"
        lines.append(
            f"Storage: s3, bucket {settings['S3_BUCKET']!r} on {endpoint}, "
            f"downloads {settings['S3_DOWNLOADS']}"
        )
    else:
        lines.append(f"Storage: local folder {settings['STORAGE_ROOT']}")
    if settings.get("REDIS_URL"):
        redis = make_url(settings["REDIS_URL"])
        lines.append(f"Redis: yes, {redis.host}:{redis.port or 6379}/{redis.database or 0}")
    else:
        lines.append("Redis: no (jobs run in the request, rate-limit counts in memory)")
    mail = f"Mail: {settings['MAIL_BACKEND']}"
    if settings["MAIL_BACKEND"] == "smtp":
        mail += f" through {settings['MAIL_SERVER']}:{settings['MAIL_PORT']}"
    lines.append(f"{mail}, from {settings['MAIL_DEFAULT_SENDER']}")
    mode = "live (real payments)" if settings["STRIPE_LIVE"] else "test"
    lines.append(f"Stripe: {mode} mode, API {settings['STRIPE_API_BASE']}")
    lines.append(f"Public address: {settings.get('PUBLIC_URL') or '(not set)'}")
    lines.append(f"Proxies in front: {settings['PROXY_COUNT']}")
    lines.append(f"Logs: {settings['LOG_FORMAT']} at {settings['LOG_LEVEL']}")
    lines.append(f"Error reporting: {'on' if settings.get('SENTRY_DSN') else 'off'}")
    return lines


@click.command("check-config")
@click.option(
    "--production",
    is_flag=True,
    help="Check the environment as production would read it, whatever PORTAL_ENV says.",
)
@with_appcontext
def check_config_command(production: bool) -> None:
    """Show the settings in use and say whether the portal may start with them.

    The app refuses to start with a problem in its own environment, so reaching this command
    already means the current settings passed; ``--production`` also checks them against what
    production needs.
    """
    settings = current_app.config
    if production:
        settings = FlaskConfig(current_app.root_path)
        settings.from_object(ProductionConfig)
        problems = ProductionConfig.problems(settings)
        if problems:
            click.echo(refusal_message(problems), err=True)
            raise SystemExit(1)
    for line in settings_summary(settings):
        click.echo(line)
    click.echo("configuration OK")
