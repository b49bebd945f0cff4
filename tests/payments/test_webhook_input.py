"""What the webhook refuses before acting: bodies over 1 MB (before reading them), signed events
dated in the future, and signed bodies that are not events in Stripe's shape (400, never 500)."""

import io
import json
from datetime import timedelta

import pytest
import stripe
from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.payments import gateway
from portal.payments.models import StripeEvent

WEBHOOK = "/stripe/webhook"
ONE_MB = 1024 * 1024
NOT_OURS = {
    "id": "evt_other",
    "object": "event",
    "type": "customer.created",
    "created": 1_700_000_000,
    "data": {"object": {"id": "cus_1", "object": "customer"}},
}


def _signed(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    signature = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp)
    return {"Stripe-Signature": signature, "Content-Type": "application/json"}


def _recorded(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(StripeEvent.event_id)))


@pytest.fixture
def never_verified(monkeypatch):
    """Fails the test if the webhook gets as far as checking a signature (reading the body)."""

    def verified_event(*args, **kwargs):
        raise AssertionError("the body was read")

    monkeypatch.setattr(gateway, "verified_event", verified_event)


def test_a_body_over_one_megabyte_is_refused_unread(client, standin, never_verified):
    body = json.dumps({**NOT_OURS, "padding": "x" * ONE_MB})
    response = client.post(WEBHOOK, data=body, headers=_signed(body, standin.webhook_secret))
    assert response.status_code == 413


def test_a_body_without_a_length_is_cut_off_at_one_megabyte(app, client, standin):
    body = json.dumps({**NOT_OURS, "padding": "x" * ONE_MB})
    response = client.post(
        WEBHOOK,
        input_stream=io.BytesIO(body.encode()),
        headers=_signed(body, standin.webhook_secret),
        environ_overrides={"wsgi.input_terminated": True},  # chunked: no Content-Length
    )
    assert response.status_code == 413
    assert _recorded(app) == []


def test_a_body_of_one_megabyte_is_read(client, standin):
    body = json.dumps(NOT_OURS)
    body = body[:-1] + ', "padding": "' + "x" * (ONE_MB - len(body) - 16) + '"}'
    assert len(body) <= ONE_MB
    response = client.post(WEBHOOK, data=body, headers=_signed(body, standin.webhook_secret))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("ahead", "status"),
    [(timedelta(minutes=5), 200), (timedelta(minutes=5, seconds=1), 400), (timedelta(days=1), 400)],
)
def test_events_signed_in_the_future_are_refused(app, client, standin, monkeypatch, ahead, status):
    """The portal's clock is moved back instead of the signature's forward, so Stripe's own check
    of old timestamps (on the real clock) still passes."""
    now = utcnow()
    monkeypatch.setattr(gateway, "utcnow", lambda: now - ahead)
    body = json.dumps(NOT_OURS)
    headers = _signed(body, standin.webhook_secret, int(now.timestamp()))
    response = client.post(WEBHOOK, data=body, headers=headers)
    assert response.status_code == status
    assert _recorded(app) == (["evt_other"] if status == 200 else [])


def _event(**changes) -> str:
    return json.dumps({**NOT_OURS, **changes})


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        "null",
        '"an event"',
        "42",
        "{}",
        _event(id=None),
        _event(id=""),
        _event(id=7),
        _event(id="evt_" + "x" * 300),
        _event(type=None),
        _event(type=["checkout.session.completed"]),
        _event(type="x" * 101),
        _event(data=None),
        _event(data="checkout"),
        _event(data={}),
        _event(data={"object": []}),
        _event(data={"object": {"object": "customer"}}),
        _event(data={"object": {"id": {"nested": 1}, "object": "customer"}}),
        _event(data={"object": {"id": "cus_1", "object": 5}}),
        _event(created="yesterday"),
        _event(created=True),
        _event(
            type="checkout.session.completed",
            data={"object": {"id": ["cs_1"], "object": "checkout.session"}},
        ),
        _event(type="refund.updated", data={"object": {"id": None, "object": "refund"}}),
    ],
)
def test_a_signed_body_that_is_not_an_event_is_refused(app, client, standin, body):
    response = client.post(WEBHOOK, data=body, headers=_signed(body, standin.webhook_secret))
    assert response.status_code == 400
    assert _recorded(app) == []
