"""Card payments are tested against the offline Stripe stand-in, with the real SDK. The stand-in
delivers its webhooks to this suite's application, served on a loopback port."""

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.serving import WSGIRequestHandler, make_server

from portal.catalogue.models import FormatKind
from portal.extensions import db
from portal.orders.models import Order
from portal.payments.models import CheckoutAttempt
from stripe_standin.testing import start
from tests.payments.helpers import ADDRESS, GUEST, signed_webhook


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def live_portal(app):
    """The test application served on a free loopback port (for the stand-in's webhooks)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def standin(live_portal):
    running = start(webhook_url=f"{live_portal}/stripe/webhook")
    yield running
    running.stop()


@pytest.fixture
def held_completed_event(standin):
    """Pay a Checkout Session at the stand-in without delivering its webhook; returns the
    ``checkout.session.completed`` event it holds, for a test to deliver itself."""

    def pay(session_id: str) -> dict:
        standin.hold()
        standin.pay(session_id)
        [event] = standin.events("checkout.session.completed")
        return event["event"]

    return pay


@pytest.fixture
def post_webhook(client, standin):
    """POST ``payload`` to the webhook through the test client, signed as Stripe signs it."""

    def post(payload: dict):
        body, headers = signed_webhook(payload, standin.webhook_secret)
        return client.post("/stripe/webhook", data=body, headers=headers)

    return post


@pytest.fixture(autouse=True)
def _stripe_is_the_standin(app, standin, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", standin.url)
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", standin.secret_key)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", standin.webhook_secret)
    standin.reset()
    yield


@pytest.fixture
def report(create_report):
    return create_report(title="Channel shift", with_pdf=True)


@pytest.fixture
def checkout(post_form, report):
    """Put the given formats in the basket as a guest and place the order; returns the response
    of placing it (a redirect to Stripe's page)."""

    def place(pdf: bool = True, printed: int = 2, details: dict | None = None):
        for kind, quantity in ((FormatKind.PDF, 1 if pdf else 0), (FormatKind.PRINT, printed)):
            if quantity:
                format_id = next(f.id for f in report.formats if f.kind is kind)
                post_form(
                    f"/reports/{report.slug}",
                    {"format_id": str(format_id), "quantity": str(quantity)},
                )
        post_form("/checkout", {**GUEST, **(ADDRESS if printed else {}), **(details or {})})
        post_form("/checkout/payment", {"method": "card"})
        return post_form("/checkout/review", {})

    return place


@pytest.fixture
def stored(app):
    """The database as the requests left it: ``stored.order()``, ``stored.attempts()``."""

    class Stored:
        def order(self) -> Order:
            with app.app_context():
                return db.session.scalars(
                    select(Order)
                    .options(selectinload(Order.lines), selectinload(Order.events))
                    .order_by(Order.id.desc())
                ).first()

        def attempts(self) -> list[CheckoutAttempt]:
            with app.app_context():
                return db.session.scalars(
                    select(CheckoutAttempt).order_by(CheckoutAttempt.id)
                ).all()

    return Stored()
