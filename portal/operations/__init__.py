"""Running the portal in production: request ids and logs, trusted proxies, error reporting,
health probes (``/healthz``, ``/readyz``) and ``flask check-config``."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.operations import error_reporting, logs
from portal.operations.views import bp

__all__ = ["bp", "init_app"]


def trust_proxies(app: Flask) -> None:
    """Behind ``PROXY_COUNT`` reverse proxies, take the client's address, scheme, host and path
    prefix from their X-Forwarded-* headers; with none (0), those headers are ignored, so a
    client cannot pretend to be someone else."""
    count = app.config["PROXY_COUNT"]
    if count > 0:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_prefix=count
        )


def hide_statement_parameters(app: Flask) -> None:
    """In production, database errors name the statement but not the values in it (an email
    address, a token's hash), so they never reach the logs or an error report."""
    if app.config["ENVIRONMENT"] == "production":
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"hide_parameters": True, **options}


def init_app(app: Flask) -> None:
    """Wire logging first, so whatever the rest of the factory logs is formatted already.
    Called before the database is set up."""
    logs.init_app(app)
    hide_statement_parameters(app)
    trust_proxies(app)
    error_reporting.init_app(app)
    from portal.operations.cli import check_config_command

    app.cli.add_command(check_config_command)
