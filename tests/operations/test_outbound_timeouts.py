"""Every call to another system gives up well inside the app server's 60 seconds, by settings."""

from flask import Flask

from config import Config
from portal.operations import database_timeouts
from portal.payments import gateway


def _app(uri: str, **settings) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=uri,
        DATABASE_CONNECT_TIMEOUT=Config.DATABASE_CONNECT_TIMEOUT,
        DATABASE_STATEMENT_TIMEOUT_MS=Config.DATABASE_STATEMENT_TIMEOUT_MS,
        **settings,
    )
    return app


def test_postgresql_connections_and_statements_time_out_as_configured():
    app = _app("postgresql+psycopg://insight@db.internal/insight")
    database_timeouts(app)
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"] == {
        "connect_timeout": 5,
        "options": "-c statement_timeout=20000",
    }
    assert options["pool_timeout"] == 10


def test_sqlite_is_left_as_it_is():
    app = _app("sqlite://")
    database_timeouts(app)
    assert "SQLALCHEMY_ENGINE_OPTIONS" not in app.config


def test_stripe_calls_and_their_retries_end_well_inside_the_app_servers_limit(app):
    config = app.config
    worst = (1 + config["STRIPE_NETWORK_RETRIES"]) * (
        config["STRIPE_CONNECT_TIMEOUT"] + config["STRIPE_READ_TIMEOUT"]
    )
    assert worst <= 30
    with app.app_context():
        requestor = gateway._client()._requestor
    assert requestor._client._timeout == (
        config["STRIPE_CONNECT_TIMEOUT"],
        config["STRIPE_READ_TIMEOUT"],
    )
    assert requestor._options.max_network_retries == config["STRIPE_NETWORK_RETRIES"]
