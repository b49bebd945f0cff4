"""Running the portal: what wraps every request (request ids and logs, trusted proxies, error
pages and error reports, security headers, rate limits, URL converters), health probes
(``/healthz``, ``/readyz``) and ``flask check-config``."""

from flask import Flask, abort, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.operations import error_reporting, logs
from portal.operations.views import bp
from portal.public_url import host_name, served_hosts

__all__ = ["bp", "init_app"]


def trust_proxies(app: Flask) -> None:
    """Behind ``PROXY_COUNT`` reverse proxies, take the client's address, scheme and host from
    their X-Forwarded-* headers, and the path prefix too where ``PROXY_TRUST_PREFIX`` says the
    proxy sets it; with none (0), those headers are ignored, so a client cannot pretend to be
    someone else."""
    count = app.config["PROXY_COUNT"]
    if count > 0:
        prefix = count if app.config["PROXY_TRUST_PREFIX"] else 0
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_prefix=prefix
        )


#: Probes a load balancer sends to each app server by its own address.
_ANY_HOST = frozenset({"operations.healthz", "operations.readyz"})


def _refuse_other_hosts() -> None:
    """A request naming a host other than the portal's own (``PUBLIC_URL``) or this machine's
    is refused before anything else runs, with the ordinary 400 page."""
    if request.endpoint in _ANY_HOST:
        return
    if host_name(request.host) not in served_hosts(current_app.config["PUBLIC_URL"]):
        abort(400)


def hide_statement_parameters(app: Flask) -> None:
    """In production, database errors name the statement but not the values in it (an email
    address, a token's hash), so they never reach the logs or an error report."""
    if app.config["ENVIRONMENT"] == "production":
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"hide_parameters": True, **options}


def database_timeouts(app: Flask) -> None:
    """On PostgreSQL, a connection that cannot be opened within ``DATABASE_CONNECT_TIMEOUT``
    seconds, or a statement still running after ``DATABASE_STATEMENT_TIMEOUT_MS``, fails (and
    the person sees the "try again" page) well before the app server would kill the worker."""
    uri = app.config.get("SQLALCHEMY_DATABASE_URI") or ""
    if not uri.startswith("postgresql"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("connect_timeout", app.config["DATABASE_CONNECT_TIMEOUT"])
    statement_ms = app.config["DATABASE_STATEMENT_TIMEOUT_MS"]
    connect_args.setdefault("options", f"-c statement_timeout={statement_ms}")
    options["connect_args"] = connect_args
    # Waiting for a free connection from the pool is bounded too (SQLAlchemy waits 30 s).
    options.setdefault("pool_timeout", app.config["DATABASE_CONNECT_TIMEOUT"] * 2)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def init_app(app: Flask) -> None:
    """Wire logging first, so whatever the rest of the factory logs is formatted already.
    Called before the database is set up."""
    logs.init_app(app)
    hide_statement_parameters(app)
    database_timeouts(app)
    trust_proxies(app)
    app.before_request(_refuse_other_hosts)  # after the request id, before everything else
    error_reporting.init_app(app)
    from portal.operations.cli import check_config_command

    app.cli.add_command(check_config_command)
