"""Refunds: partial, full, refused when more than remains, and the events they produce."""

import pytest
import stripe


def test_a_partial_refund(stripe_client, paid_session, receiver):
    intent = paid_session.payment_intent
    refund = stripe_client.v1.refunds.create(
        {"payment_intent": intent.id, "amount": 2500, "reason": "requested_by_customer",
         "metadata": {"order_id": "12"}}
    )  # fmt: skip
    assert refund.id.startswith("re_")
    assert (refund.object, refund.status, refund.amount, refund.currency) == (
        "refund", "succeeded", 2500, "gbp",
    )  # fmt: skip
    assert refund.payment_intent == intent.id
    assert refund.charge == intent.latest_charge
    assert refund.metadata.to_dict() == {"order_id": "12"}
    assert stripe_client.v1.refunds.retrieve(refund.id).to_dict() == refund.to_dict()

    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (2500, False)
    assert "refunds" not in charge  # only when expanded, as in Stripe

    created, refunded = receiver.events()[-2:]
    assert (created.type, created.data.object.id) == ("refund.created", refund.id)
    assert refunded.type == "charge.refunded"
    assert refunded.data.object.amount_refunded == 2500


def test_refunds_add_up_to_a_full_refund(stripe_client, paid_session, receiver):
    intent_id = paid_session.payment_intent.id
    first = stripe_client.v1.refunds.create({"payment_intent": intent_id, "amount": 2500})
    rest = stripe_client.v1.refunds.create({"payment_intent": intent_id})
    assert rest.amount == 22000 - 2500

    charge = stripe_client.v1.charges.retrieve(
        paid_session.payment_intent.latest_charge, {"expand": ["refunds"]}
    )
    assert (charge.amount_refunded, charge.refunded) == (22000, True)
    assert [r.id for r in charge.refunds.data] == [rest.id, first.id]
    amounts = [e.data.object.amount_refunded for e in receiver.events()
               if e.type == "charge.refunded"]  # fmt: skip
    assert amounts == [2500, 22000]  # cumulative, as Stripe reports it

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.refunds.create({"payment_intent": intent_id})
    assert raised.value.code == "charge_already_refunded"


def test_refunding_more_than_remains_is_refused(stripe_client, paid_session):
    intent_id = paid_session.payment_intent.id
    stripe_client.v1.refunds.create({"payment_intent": intent_id, "amount": 20000})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.refunds.create({"payment_intent": intent_id, "amount": 2001})
    error = raised.value
    assert (error.http_status, error.param, error.code) == (400, "amount", "amount_too_large")
    assert "£20.00" in error.user_message
    charge = stripe_client.v1.charges.retrieve(paid_session.payment_intent.latest_charge)
    assert charge.amount_refunded == 20000


def test_a_refund_is_idempotent(stripe_client, paid_session):
    params = {"payment_intent": paid_session.payment_intent.id, "amount": 1000}
    first = stripe_client.v1.refunds.create(params, {"idempotency_key": "refund-1"})
    again = stripe_client.v1.refunds.create(params, {"idempotency_key": "refund-1"})
    assert again.id == first.id
    charge = stripe_client.v1.charges.retrieve(paid_session.payment_intent.latest_charge)
    assert charge.amount_refunded == 1000


def test_a_refund_by_charge(stripe_client, paid_session):
    refund = stripe_client.v1.refunds.create({"charge": paid_session.payment_intent.latest_charge})
    assert refund.amount == 22000


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"payment_intent": "pi_unknown"}, "payment_intent"),
        ({"charge": "ch_unknown"}, "charge"),
        ({"amount": 100}, None),
        ({"payment_intent": "PAID", "amount": 0}, "amount"),
        ({"payment_intent": "PAID", "reason": "changed_mind"}, "reason"),
    ],
)
def test_bad_refund_requests(stripe_client, paid_session, params, param):
    if params.get("payment_intent") == "PAID":
        params["payment_intent"] = paid_session.payment_intent.id
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.refunds.create(params)
    assert raised.value.http_status == 400
    assert raised.value.param == param


def test_an_unpaid_payment_cannot_be_refunded(standin, stripe_client, create_session):
    session = create_session()
    standin.complete_async(session.id)
    intent = stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent
    with pytest.raises(stripe.InvalidRequestError, match="does not have a successful charge"):
        stripe_client.v1.refunds.create({"payment_intent": intent})


def test_the_next_refund_can_be_refused_with_a_reason(standin, stripe_client, paid_session):
    intent_id = paid_session.payment_intent.id
    standin.refuse_next_refund("This charge is disputed.", "charge_disputed")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.refunds.create(
            {"payment_intent": intent_id, "amount": 1000}, {"idempotency_key": "refused-1"}
        )
    error = raised.value
    assert (error.http_status, error.code, error.user_message) == (
        400, "charge_disputed", "This charge is disputed.",
    )  # fmt: skip
    charge = stripe_client.v1.charges.retrieve(paid_session.payment_intent.latest_charge)
    assert charge.amount_refunded == 0
    # Only the next one: the same request afterwards (same key, as nothing was saved) succeeds.
    made = stripe_client.v1.refunds.create(
        {"payment_intent": intent_id, "amount": 1000}, {"idempotency_key": "refused-1"}
    )
    assert made.status == "succeeded"
