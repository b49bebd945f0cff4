"""Two fresh databases on one Stripe account (development and CI sharing a test account, or
production restored from a backup): each places its order 1 and pays it by card, and both are
paid. Each has its own application and database; the stand-in is one."""

from datetime import date

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from config import TestingConfig
from portal import create_app
from portal.catalogue.models import FormatKind, Report, ReportFormat
from portal.extensions import db
from portal.orders.models import Order, OrderState
from portal.payments.models import AttemptStatus, CheckoutAttempt
from tests.helpers import GUEST, csrf_token, signed_webhook


def _fresh_portal(tmp_path, name: str, standin):
    """An application with a database of its own, migrated and holding one report."""
    folder = tmp_path / name

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'portal.db'}"
        STORAGE_ROOT = str(folder / "storage")
        INSTANCE_PATH = str(folder / "instance")
        STRIPE_API_BASE = standin.url
        STRIPE_SECRET_KEY = standin.secret_key
        STRIPE_WEBHOOK_SECRET = standin.webhook_secret

    folder.mkdir()
    app = create_app(Config)
    with app.app_context():
        upgrade()
        db.session.add(
            Report(
                slug="challenge-of-transformation",
                title="Modern public services: challenge of transformation",
                series="Transformation",
                published_on=date(2006, 2, 14),
                summary="What transformation needs.",
                contents="Leadership",
                is_published=True,
                formats=[ReportFormat(kind=FormatKind.PDF, price_pence=14_500)],
            )
        )
        db.session.commit()
    return app


def _place_by_card(app) -> tuple:
    """Order the report as a guest and pay by card; returns the client and the session id."""
    client = app.test_client()

    def post(path: str, data: dict):
        return client.post(path, data={"csrf_token": csrf_token(client, path), **data})

    with app.app_context():
        format_id = db.session.scalar(select(ReportFormat.id))
    post("/reports/challenge-of-transformation", {"format_id": str(format_id), "quantity": "1"})
    post("/checkout", GUEST)
    post("/checkout/payment", {"method": "card"})
    placed = post("/checkout/review", {})
    assert placed.status_code == 303, placed.get_data(as_text=True)
    return client, placed.headers["Location"].rsplit("/", 1)[1]


def _first_order(app) -> tuple[Order, CheckoutAttempt]:
    with app.app_context():
        order = db.session.get(Order, 1)
        attempt = db.session.scalar(select(CheckoutAttempt).where(CheckoutAttempt.order_id == 1))
        db.session.expunge_all()
        return order, attempt


@pytest.fixture
def portals(tmp_path, standin):
    apps = [_fresh_portal(tmp_path, name, standin) for name in ("development", "ci")]
    yield apps
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_two_fresh_databases_each_pay_their_order_1(portals, standin):
    standin.hold()  # each portal hears of every payment below, its own and the other's
    sessions = [_place_by_card(app)[1] for app in portals]

    for session_id in sessions:
        standin.pay(session_id, deliver=False)
    for held in standin.events("checkout.session.completed"):
        for app in portals:
            body, headers = signed_webhook(held["event"], standin.webhook_secret)
            assert (
                app.test_client().post("/stripe/webhook", data=body, headers=headers).status_code
                == 200
            )

    (first, first_attempt), (second, second_attempt) = map(_first_order, portals)
    assert first.reference == second.reference  # the same order 1 on each
    assert first_attempt.idempotency_key != second_attempt.idempotency_key
    assert [first_attempt.stripe_session_id, second_attempt.stripe_session_id] == sessions
    assert sessions[0] != sessions[1]
    for order, attempt in ((first, first_attempt), (second, second_attempt)):
        assert order.state in (OrderState.PAID, OrderState.FULFILLED)
        assert attempt.status is AttemptStatus.PAID
        assert attempt.amount_paid_pence == 14_500
