"""Fixtures for the outbox: a real SMTP server on the loopback interface, and outbox rows."""

from itertools import count

import pytest
from aiosmtpd.controller import Controller
from flask import has_app_context
from sqlalchemy import insert, select, update

from portal.clock import utcnow
from portal.email.models import OutboxEmail
from portal.extensions import db
from tests.email.helpers import Inbox, free_port


def _use_smtp(app, monkeypatch, port: int) -> None:
    settings = {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_TIMEOUT": 2,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)


@pytest.fixture
def smtp_inbox():
    """What the SMTP server started by ``smtp_server`` has received."""
    return Inbox()


@pytest.fixture
def smtp_server(app, monkeypatch, smtp_inbox):
    """A real SMTP server on 127.0.0.1, and the app configured to send through it."""
    controller = Controller(smtp_inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    _use_smtp(app, monkeypatch, controller.port)
    yield controller
    controller.stop()


@pytest.fixture
def smtp_down(app, monkeypatch, smtp_server):
    """The mail server is down: the app points at a port where nothing listens. Call the result
    to bring it back (point the app at ``smtp_server`` again)."""
    _use_smtp(app, monkeypatch, free_port())

    def bring_up() -> None:
        monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)

    return bring_up


@pytest.fixture
def create_outbox_email(app):
    """Write an outbox row directly (not through send_email, so nothing sends it at the commit)
    and return its id. Commits when the test holds no application context."""
    numbers = count(1)

    def create(**overrides) -> int:
        n = next(numbers)
        values = {
            "template": "password_changed",
            "to_address": f"reader{n}@example.gov.uk",
            "subject": f"Email number {n}",
            "body_text": f"Text of email {n}",
            "body_html": f"<p>HTML of email {n}</p>",
            **overrides,
        }
        return _write(
            app, lambda: db.session.scalar(insert(OutboxEmail).returning(OutboxEmail.id), values)
        )

    return create


def _write(app, action):
    """Run ``action`` in the test's context, or in its own committed one if it holds none."""
    if has_app_context():
        result = action()
        db.session.flush()
        return result
    with app.app_context():
        result = action()
        db.session.commit()
        return result


@pytest.fixture
def outbox_rows(app):
    """The outbox rows, oldest first, read afresh from the database."""

    def rows() -> list[OutboxEmail]:
        def read():
            db.session.expire_all()
            return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))

        if has_app_context():
            return read()
        with app.app_context():
            found = read()
            db.session.expunge_all()
            return found

    return rows


@pytest.fixture
def make_due(app):
    """Bring every queued email's next attempt to now, as if its back-off had passed."""

    def make() -> None:
        _write(
            app, lambda: db.session.execute(update(OutboxEmail).values(next_attempt_at=utcnow()))
        )

    return make
