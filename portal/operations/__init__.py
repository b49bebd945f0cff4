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


def init_app(app: Flask) -> None:
    """Wire logging first, so whatever the rest of the factory logs is formatted already.
    Called before the database is set up."""
    logs.init_app(app)
    hide_statement_parameters(app)
    trust_proxies(app)
    app.before_request(_refuse_other_hosts)  # after the request id, before everything else
    error_reporting.init_app(app)
    from portal.operations.cli import check_config_command

    app.cli.add_command(check_config_command)
