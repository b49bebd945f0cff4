"""Events and their delivery: shape, signature, duplicates, holding and releasing out of order,
failed deliveries, delayed payments, and the test controls."""

import json
import re
import threading
import urllib.error
import urllib.request

import pytest
import stripe

from stripe_standin.testing import StandInError
from tests.stripe_standin.helpers import WEBHOOK_SECRET

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_an_event_has_stripes_shape(standin, create_session, receiver):
    session = create_session()
    standin.pay(session.id)
    [delivery] = receiver.deliveries
    assert delivery.content_type == "application/json; charset=utf-8"
    payload = json.loads(delivery.body)
    assert set(payload) == {"id", "object", "api_version", "created", "data", "livemode",
                            "pending_webhooks", "request", "type"}  # fmt: skip
    assert payload["id"].startswith("evt_")
    assert payload["object"] == "event"
    assert payload["api_version"] == "2026-10-28.endive"
    assert payload["type"] == "checkout.session.completed"
    assert payload["livemode"] is False
    assert payload["pending_webhooks"] == 1
    assert payload["request"] == {"id": None, "idempotency_key": None}
    assert payload["data"]["object"]["object"] == "checkout.session"
    assert payload["data"]["object"]["status"] == "complete"


def test_the_signature_is_made_as_stripe_makes_it(standin, create_session, receiver):
    standin.pay(create_session().id)
    [delivery] = receiver.deliveries
    match = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", delivery.signature)
    assert match
    expected = stripe.WebhookSignature.generate_signature_header(
        delivery.body.decode(), WEBHOOK_SECRET, timestamp=int(match.group(1))
    )
    assert delivery.signature == expected
    assert delivery.event().type == "checkout.session.completed"
    with pytest.raises(stripe.SignatureVerificationError):
        delivery.event(secret="whsec_someone_else")


def test_the_event_is_also_retrievable_through_the_api(standin, stripe_client, create_session,
                                                       receiver):  # fmt: skip
    standin.pay(create_session().id)
    [delivered] = receiver.events()
    fetched = stripe_client.v1.events.retrieve(delivered.id)
    assert fetched.to_dict() == delivered.to_dict()


def test_delivering_again_sends_a_duplicate(standin, create_session, receiver):
    standin.pay(create_session().id)
    [entry] = standin.events()
    attempt = standin.deliver(entry["id"])
    assert attempt["ok"] is True
    first, second = receiver.deliveries
    assert json.loads(first.body) == json.loads(second.body)
    assert [e.id for e in receiver.events()] == [entry["id"], entry["id"]]


def test_held_events_are_released_in_reverse(standin, stripe_client, create_session, receiver):
    first, second = create_session(), create_session()
    standin.hold()
    standin.pay(first.id)
    stripe_client.v1.checkout.sessions.expire(second.id)
    assert receiver.deliveries == []
    assert [e["delivery"]["status"] for e in standin.events()] == ["held", "held"]

    attempts = standin.release(order="reverse")

    assert [a["ok"] for a in attempts] == [True, True]
    assert receiver.types() == ["checkout.session.expired", "checkout.session.completed"]
    # Nothing is held any more: new events go straight out.
    standin.pay(create_session().id)
    assert len(receiver.deliveries) == 3


def test_held_events_are_released_in_order(standin, create_session, receiver):
    sessions = [create_session() for _ in range(3)]
    standin.hold()
    for session in sessions:
        standin.pay(session.id)
    standin.release()
    assert [e.data.object.id for e in receiver.events()] == [s.id for s in sessions]


def test_an_event_can_be_kept_back_and_delivered_later(standin, stripe_client, create_session,
                                                       receiver):  # fmt: skip
    session = create_session()
    answer = standin.pay(session.id, deliver=False)
    assert answer["session"]["payment_status"] == "paid"
    assert answer["events"][0]["delivery"]["status"] == "pending"
    assert receiver.deliveries == []
    # The portal can still learn of the payment by asking.
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    standin.deliver(answer["events"][0]["id"])
    assert receiver.types() == ["checkout.session.completed"]


def test_a_failed_delivery_is_kept_for_redelivery(standin, create_session, receiver):
    receiver.status = 500
    standin.pay(create_session().id)
    [entry] = standin.events()
    assert entry["delivery"]["status"] == "failed"
    assert entry["delivery"]["attempts"][0]["status_code"] == 500

    receiver.status = 200
    [attempt] = standin.retry()
    assert attempt["ok"] is True
    assert standin.event(entry["id"])["delivery"]["status"] == "delivered"
    assert standin.retry() == []


def test_an_unreachable_endpoint_never_breaks_the_payment(standin, create_session):
    standin.configure(webhook_url="http://127.0.0.1:9/nowhere")
    session = create_session()
    browser = standin.app.test_client()
    response = browser.post(f"/pay/{session.id}/pay")
    assert response.status_code == 303
    [entry] = standin.events()
    assert entry["delivery"]["status"] == "failed"
    assert entry["delivery"]["attempts"][0]["error"]


def test_a_slow_endpoint_times_out(standin, create_session, receiver):
    standin.configure(webhook_timeout=0.3)
    release = threading.Event()
    receiver.on_delivery = lambda delivery: release.wait(timeout=5)
    try:
        standin.pay(create_session().id)
        [entry] = standin.events()
    finally:
        release.set()
    assert entry["delivery"]["status"] == "failed"
    assert "timed out" in entry["delivery"]["attempts"][0]["error"]


def test_paying_through_the_page_over_http(standin, create_session, receiver):
    session = create_session()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)
    with opener.open(session.url, timeout=5) as page:
        assert "Pay £220.00" in page.read().decode()
    request = urllib.request.Request(f"{session.url}/pay", data=b"name=Sam", method="POST")
    with pytest.raises(urllib.error.HTTPError) as raised:
        opener.open(request, timeout=5)
    with raised.value as response:
        assert response.code == 303
        assert response.headers["Location"].endswith(f"session_id={session.id}")
    assert receiver.types() == ["checkout.session.completed"]


class TestDelayedPayment:
    def test_completed_unpaid_then_succeeded(self, standin, stripe_client, create_session,
                                             receiver):  # fmt: skip
        session = create_session()
        standin.complete_async(session.id)
        pending = stripe_client.v1.checkout.sessions.retrieve(
            session.id, {"expand": ["payment_intent"]}
        )
        assert (pending.status, pending.payment_status) == ("complete", "unpaid")
        assert pending.payment_intent.status == "processing"

        standin.settle_async(session.id, "succeeded")

        paid = stripe_client.v1.checkout.sessions.retrieve(
            session.id, {"expand": ["payment_intent"]}
        )
        assert paid.payment_status == "paid"
        assert paid.payment_intent.status == "succeeded"
        assert receiver.types() == [
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
        ]
        assert [e.data.object.payment_status for e in receiver.events()] == ["unpaid", "paid"]

    def test_failed(self, standin, stripe_client, create_session, receiver):
        session = create_session()
        standin.complete_async(session.id)
        standin.settle_async(session.id, "failed")
        failed = stripe_client.v1.checkout.sessions.retrieve(session.id)
        assert (failed.status, failed.payment_status) == ("complete", "unpaid")
        assert receiver.types()[-1] == "checkout.session.async_payment_failed"
        with pytest.raises(StandInError) as raised:
            standin.settle_async(session.id, "succeeded")
        assert raised.value.status == 409


class TestControls:
    def test_pay_refuses_a_session_that_is_not_open(self, standin, create_session):
        session = create_session()
        standin.pay(session.id)
        with pytest.raises(StandInError) as raised:
            standin.pay(session.id)
        assert raised.value.status == 409

    def test_controls_answer_404_for_unknown_ids(self, standin):
        with pytest.raises(StandInError) as raised:
            standin.pay("cs_test_unknown")
        assert raised.value.status == 404
        with pytest.raises(StandInError):
            standin.deliver("evt_unknown")

    def test_events_can_be_filtered_by_type(self, standin, stripe_client, create_session):
        standin.pay(create_session().id)
        stripe_client.v1.checkout.sessions.expire(create_session().id)
        assert [e["type"] for e in standin.events("checkout.session.expired")] == [
            "checkout.session.expired"
        ]

    def test_the_webhook_url_can_change(self, standin, create_session, receiver):
        standin.configure(webhook_url="")
        standin.pay(create_session().id)
        assert receiver.deliveries == []
        assert standin.configure(webhook_url=receiver.url)["webhook_url"] == receiver.url
        standin.retry()
        assert receiver.types() == ["checkout.session.completed"]

    def test_reset_forgets_everything(self, standin, stripe_client, create_session):
        session = create_session()
        standin.pay(session.id)
        standin.reset()
        assert standin.events() == []
        with pytest.raises(stripe.InvalidRequestError):
            stripe_client.v1.checkout.sessions.retrieve(session.id)

    def test_the_index_lists_the_controls(self, standin):
        assert "POST /_standin/reset" in standin.control("GET", "")["controls"]
