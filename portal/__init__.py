"""The Insight reports portal: ``create_app`` wires configuration, extensions and blueprints."""

import os
from pathlib import Path

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy import make_url

from config import refusal_message
from portal import email as email_outgoing
from portal import operations
from portal.clock import london_datetime, long_date
from portal.extensions import csrf, db, login_manager, mail, migrate
from portal.money import format_pence
from portal.operations import errors, limits, security
from portal.operations.routing import DatabaseIdConverter
from portal.public_url import external_url


def create_app(config_class) -> Flask:
    """Build the application for one configuration class (see ``config.py``)."""
    # INSTANCE_PATH: where the caches' shared tokens live (``instance/`` unless a configuration
    # names another folder, as each test run does, so that two runs on one machine never share).
    app = Flask(
        __name__,
        template_folder="../templates",
        instance_path=getattr(config_class, "INSTANCE_PATH", None),
    )
    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added
    app.config.from_object(config_class)
    if found := config_class.problems(app.config):
        raise SystemExit(refusal_message(found))
    operations.init_app(app)  # first: logs formatted, request ids and proxies from here on

    _ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])

    # Our templates first, then GOV.UK Frontend's macros under their package prefixes.
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(os.path.join(app.root_path, app.template_folder)),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.filters["money"] = format_pence
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["london_datetime"] = london_datetime
    app.jinja_env.filters["dict_without"] = lambda d, *keys: {
        k: v for k, v in d.items() if k not in keys
    }
    app.add_template_global(external_url)  # absolute links in emails
    WTFormsHelpers(app)

    from portal import models  # noqa: F401  (registers every table before migrations look)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(app.root_path, "..", "migrations"), compare_type=True
    )
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    email_outgoing.init_app(app)

    from portal.accounts import bp as accounts_bp
    from portal.admin import bp as admin_bp
    from portal.basket import bp as basket_bp
    from portal.catalogue import bp as catalogue_bp
    from portal.checkout import bp as checkout_bp
    from portal.content.pages import FOOTER
    from portal.content.views import bp as content_bp
    from portal.data_rights.views import bp as data_rights_bp
    from portal.downloads import bp as downloads_bp
    from portal.insight import bp as insight_bp
    from portal.main import bp as main_bp
    from portal.operations import bp as operations_bp
    from portal.orders import bp as orders_bp
    from portal.organisation_accounts import bp as organisation_accounts_bp
    from portal.payments import bp as payments_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(content_bp)
    app.jinja_env.globals["content_footer_pages"] = FOOTER
    app.register_blueprint(catalogue_bp)
    app.register_blueprint(insight_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(data_rights_bp)
    app.register_blueprint(downloads_bp)
    app.register_blueprint(basket_bp)
    app.register_blueprint(checkout_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(organisation_accounts_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(operations_bp)

    errors.init_app(app)
    limits.init_app(app)
    security.init_app(app)

    _add_commands(app)
    return app


def _add_commands(app: Flask) -> None:
    """The ``flask --app wsgi ...`` commands; each lives with its feature."""
    from portal.accounts.cli import create_admin_command
    from portal.data_rights.cli import erase_expired_data_command
    from portal.demo.cli import demo_sign_ins_command, seed_demo_command
    from portal.email.cli import send_outbox_command
    from portal.jobs.worker import worker_command
    from portal.organisations.cli import import_subscribers_command
    from portal.payments.cli import expire_card_orders_command, send_reminders_command

    for command in (
        seed_demo_command,
        demo_sign_ins_command,
        create_admin_command,
        import_subscribers_command,
        send_outbox_command,
        send_reminders_command,
        erase_expired_data_command,
        expire_card_orders_command,
        worker_command,
    ):
        app.cli.add_command(command)


def _ensure_sqlite_folder(uri: str) -> None:
    """SQLite creates its file but not the folder it lives in (``instance/`` on a fresh clone)."""
    url = make_url(uri)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
