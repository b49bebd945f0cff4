"""Checkout Sessions through the real stripe-python SDK: create, retrieve, expire, line items,
idempotency, authentication and Stripe's errors."""

import json
import time
import urllib.error
import urllib.request

import pytest
import stripe

from tests.stripe_standin.helpers import CANCEL_URL, SUCCESS_URL

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def test_a_new_session_has_stripes_shape(standin, create_session):
    before = int(time.time())
    session = create_session()
    assert isinstance(session, stripe.checkout.Session)
    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert session.livemode is False
    assert session.created >= before
    assert session.mode == "payment"
    assert session.ui_mode == "hosted_page"
    assert session.currency == "gbp"
    assert session.amount_subtotal == session.amount_total == 14500 + 3 * 2500
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert session.payment_intent is None
    assert session.url == f"{standin.url}/pay/{session.id}"
    assert session.success_url == SUCCESS_URL  # the placeholder is kept, as Stripe keeps it
    assert session.cancel_url == CANCEL_URL
    assert session.client_reference_id == "INS-2026-000123"
    assert session.customer_email == "officer@leeds.gov.uk"
    assert session.metadata.to_dict() == {"order_id": "12"}
    assert session.expires_at == session.created + 24 * 60 * 60
    assert session.collected_information is None
    assert "line_items" not in session  # only when expanded


def test_retrieve_returns_the_same_session(stripe_client, create_session):
    created = create_session()
    retrieved = stripe_client.v1.checkout.sessions.retrieve(created.id)
    assert retrieved.to_dict() == created.to_dict()


def test_line_items_list_and_expand(stripe_client, create_session):
    session = create_session()
    items = stripe_client.v1.checkout.sessions.line_items.list(session.id)
    assert items.object == "list"
    assert [(i.object, i.description, i.quantity, i.amount_total) for i in items.data] == [
        ("item", "Modern public services: challenge (PDF)", 1, 14500),
        ("item", "Transformation in practice (printed)", 3, 7500),
    ]
    assert items.data[1].price.unit_amount == 2500
    assert items.data[1].price.currency == items.data[1].currency == "gbp"
    expanded = stripe_client.v1.checkout.sessions.retrieve(session.id, {"expand": ["line_items"]})
    assert [i.id for i in expanded.line_items.data] == [i.id for i in items.data]


def test_line_items_page_through_with_the_sdk(stripe_client, create_session, session_params):
    many = session_params()["line_items"][:1] * 12
    session = create_session(line_items=many)
    first = stripe_client.v1.checkout.sessions.line_items.list(session.id, {"limit": 5})
    assert len(first.data) == 5
    assert first.has_more is True
    assert len(list(first.auto_paging_iter())) == 12


def test_expire_an_open_session(stripe_client, create_session, receiver):
    session = create_session()
    expired = stripe_client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.payment_status, expired.url) == ("expired", "unpaid", None)
    assert receiver.types() == ["checkout.session.expired"]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.checkout.sessions.expire(session.id)
    assert raised.value.http_status == 400
    assert "status of expired" in raised.value.user_message


def test_sessions_expire_lazily_when_expires_at_passes(standin, stripe_client, create_session,
                                                       receiver):  # fmt: skip
    expires_at = int(time.time()) + 31 * 60
    session = create_session(expires_at=expires_at)
    assert session.expires_at == expires_at
    standin.advance_clock(30 * 60)
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"
    standin.advance_clock(2 * 60)
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    [event] = receiver.events()
    assert (event.type, event.data.object.id) == ("checkout.session.expired", session.id)


def test_list_sessions_by_payment_intent(standin, stripe_client, create_session):
    paid, _other = create_session(), create_session()
    standin.pay(paid.id)
    intent = stripe_client.v1.checkout.sessions.retrieve(paid.id).payment_intent
    found = stripe_client.v1.checkout.sessions.list({"payment_intent": intent})
    assert [s.id for s in found.data] == [paid.id]
    assert len(stripe_client.v1.checkout.sessions.list().data) == 2


class TestIdempotency:
    def test_same_key_and_parameters_return_the_same_session(self, stripe_client,
                                                              create_session):  # fmt: skip
        first = create_session(idempotency_key="order-12-attempt-1")
        again = create_session(idempotency_key="order-12-attempt-1")
        assert again.id == first.id
        assert again.last_response.headers["Idempotent-Replayed"] == "true"
        assert len(stripe_client.v1.checkout.sessions.list().data) == 1

    def test_same_key_with_other_parameters_is_refused(self, create_session):
        create_session(idempotency_key="order-12-attempt-1")
        with pytest.raises(stripe.IdempotencyError) as raised:
            create_session(idempotency_key="order-12-attempt-1", metadata={"order_id": "13"})
        assert "order-12-attempt-1" in raised.value.user_message

    def test_same_key_on_another_endpoint_is_refused(self, stripe_client, create_session):
        session = create_session(idempotency_key="shared")
        with pytest.raises(stripe.IdempotencyError):
            stripe_client.v1.checkout.sessions.expire(session.id, {}, {"idempotency_key": "shared"})

    def test_a_refused_request_can_be_corrected_under_the_same_key(self, create_session):
        with pytest.raises(stripe.InvalidRequestError):
            create_session(idempotency_key="order-12", customer_email="not-an-address")
        assert create_session(idempotency_key="order-12").status == "open"


class TestAuthentication:
    def test_a_wrong_key_raises_authentication_error(self, standin):
        client = standin.client("sk_test_wrong_key_1234")
        with pytest.raises(stripe.AuthenticationError) as raised:
            client.v1.checkout.sessions.retrieve("cs_test_anything")
        assert raised.value.http_status == 401
        assert raised.value.user_message.startswith("Invalid API Key provided: sk_test_")
        assert "wrong_key" not in raised.value.user_message  # masked, as Stripe masks it
        assert raised.value.user_message.endswith("1234")

    def test_no_key_is_a_401_with_stripes_body(self, standin):
        url = f"{standin.url}/v1/checkout/sessions/cs_test_x"
        request = urllib.request.Request(url)
        with pytest.raises(urllib.error.HTTPError) as raised:
            NO_PROXY.open(request, timeout=5)
        with raised.value as response:
            assert response.code == 401
            body = json.loads(response.read())
        assert body["error"]["type"] == "invalid_request_error"
        assert "did not provide an API key" in body["error"]["message"]


class TestErrors:
    def test_unknown_session(self, stripe_client):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            stripe_client.v1.checkout.sessions.retrieve("cs_test_unknown")
        error = raised.value
        assert (error.http_status, error.code, error.param) == (404, "resource_missing", "id")
        assert error.user_message == "No such checkout.session: 'cs_test_unknown'"

    @pytest.mark.parametrize(
        ("service", "object_id", "kind"),
        [("payment_intents", "pi_x", "payment_intent"), ("refunds", "re_x", "refund"),
         ("charges", "ch_x", "charge"), ("events", "evt_x", "event")],
    )  # fmt: skip
    def test_unknown_objects(self, stripe_client, service, object_id, kind):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            getattr(stripe_client.v1, service).retrieve(object_id)
        assert raised.value.user_message == f"No such {kind}: '{object_id}'"

    def test_an_unexpandable_property(self, stripe_client, create_session):
        session = create_session()
        with pytest.raises(stripe.InvalidRequestError) as raised:
            stripe_client.v1.checkout.sessions.retrieve(session.id, {"expand": ["customer"]})
        assert raised.value.param == "expand[0]"

    def test_an_unknown_url(self, stripe_client):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            stripe_client.v1.customers.retrieve("cus_x")
        assert raised.value.http_status == 404
        assert "Unrecognized request URL" in raised.value.user_message

    @pytest.mark.parametrize(
        ("overrides", "param"),
        [
            ({"mode": None}, "mode"),
            ({"mode": "subscription"}, "mode"),
            ({"ui_mode": "hosted"}, "ui_mode"),
            ({"line_items": None}, "line_items"),
            ({"success_url": "not a url"}, "success_url"),
            ({"cancel_url": "javascript:alert(1)"}, "cancel_url"),
            ({"customer_email": "nobody"}, "customer_email"),
            ({"client_reference_id": "has spaces"}, "client_reference_id"),
            ({"metadata": {"k" * 41: "v"}}, "metadata[" + "k" * 41 + "]"),
            ({"expires_at": int(time.time()) + 60}, "expires_at"),
            ({"expires_at": int(time.time()) + 25 * 3600}, "expires_at"),
            ({"expires_at": "soon"}, "expires_at"),
            ({"colour": "green"}, "colour"),
            ({"line_items": [{"price": "price_123", "quantity": 1}]}, "line_items[0][price]"),
            ({"line_items": [{"price_data": {"currency": "gbp", "unit_amount": 100,
               "product_data": {"name": "x"}}}]}, "line_items[0][quantity]"),
            ({"line_items": [{"price_data": {"currency": "gbp", "unit_amount": 100,
               "product_data": {"name": "x"}}, "quantity": 0}]}, "line_items[0][quantity]"),
            ({"line_items": [{"price_data": {"currency": "gbp", "product_data": {"name": "x"}},
               "quantity": 1}]}, "line_items[0][price_data][unit_amount]"),
            ({"line_items": [{"price_data": {"currency": "gbp", "unit_amount": 100},
               "quantity": 1}]}, "line_items[0][price_data][product_data][name]"),
            ({"line_items": [{"price_data": {"currency": "gbp", "unit_amount": 10,
               "product_data": {"name": "x"}}, "quantity": 1}]}, "line_items"),
        ],
    )  # fmt: skip
    def test_bad_parameters_name_the_parameter(self, create_session, overrides, param):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            create_session(**overrides)
        assert raised.value.http_status == 400
        assert raised.value.param == param

    def test_line_items_in_different_currencies(self, create_session, session_params):
        items = session_params()["line_items"]
        items[1]["price_data"]["currency"] = "eur"
        with pytest.raises(stripe.InvalidRequestError, match="same currency"):
            create_session(line_items=items)
