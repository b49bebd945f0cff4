"""Fixtures for the Stripe stand-in's tests: a running stand-in, the real SDK pointed at it, and a
local endpoint that catches its webhooks. Everything listens on loopback only."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import stripe
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from stripe_standin.testing import start
from tests.stripe_standin.helpers import CANCEL_URL, SECRET_KEY, SUCCESS_URL, WEBHOOK_SECRET


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


@dataclass
class Delivery:
    """One webhook POST as the receiver saw it."""

    body: bytes
    signature: str | None
    content_type: str | None

    def event(self, secret: str = WEBHOOK_SECRET) -> stripe.Event:
        """The event, after verifying its signature exactly as the portal's webhook view will."""
        return stripe.Webhook.construct_event(self.body, self.signature, secret)


class WebhookReceiver:
    """A webhook endpoint in a thread: records every delivery and answers with ``status``.

    ``on_delivery`` (if set) runs inside the request, before the answer, like a real handler.
    """

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.status = 200
        self.on_delivery: Callable[[Delivery], None] | None = None
        self._lock = threading.Lock()
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}/stripe/webhook"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        delivery = Delivery(
            request.get_data(), request.headers.get("Stripe-Signature"), request.content_type
        )
        with self._lock:
            self.deliveries.append(delivery)
        if self.on_delivery is not None:
            self.on_delivery(delivery)
        return Response("", status=self.status)(environ, start_response)

    def events(self) -> list[stripe.Event]:
        """Every delivered event, verified, in arrival order."""
        with self._lock:
            return [delivery.event() for delivery in self.deliveries]

    def types(self) -> list[str]:
        """The types of the delivered events, in arrival order."""
        return [event.type for event in self.events()]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def standin(receiver):
    standin = start(SECRET_KEY, WEBHOOK_SECRET, receiver.url, webhook_timeout=2.0)
    yield standin
    standin.stop()


@pytest.fixture
def stripe_client(standin):
    """The real SDK, configured as the portal's gateway configures it."""
    return standin.client()


@pytest.fixture
def session_params():
    """Parameters of a valid Checkout Session, as the portal will send them."""

    def params(**overrides: Any) -> dict[str, Any]:
        return {
            "mode": "payment",
            "ui_mode": "hosted_page",
            "line_items": [
                {
                    "price_data": {
                        "currency": "gbp",
                        "unit_amount": 14500,
                        "product_data": {"name": "Modern public services: challenge (PDF)"},
                    },
                    "quantity": 1,
                },
                {
                    "price_data": {
                        "currency": "gbp",
                        "unit_amount": 2500,
                        "product_data": {"name": "Transformation in practice (printed)"},
                    },
                    "quantity": 3,
                },
            ],
            "success_url": SUCCESS_URL,
            "cancel_url": CANCEL_URL,
            "client_reference_id": "INS-2026-000123",
            "customer_email": "officer@leeds.gov.uk",
            "metadata": {"order_id": "12"},
            **overrides,
        }

    return params


@pytest.fixture
def create_session(stripe_client, session_params):
    """Create a session through the SDK: ``create_session(idempotency_key=…, **overrides)``."""

    def create(idempotency_key: str | None = None, **overrides: Any):
        options = {"idempotency_key": idempotency_key} if idempotency_key else {}
        return stripe_client.v1.checkout.sessions.create(session_params(**overrides), options)

    return create


@pytest.fixture
def paid_session(standin, stripe_client, create_session):
    """A session paid in full; returns it retrieved with its PaymentIntent expanded."""
    session = create_session()
    standin.pay(session.id)
    return stripe_client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
