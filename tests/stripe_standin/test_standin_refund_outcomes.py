"""Refunds that settle later: pending then succeeded or failed, and a succeeded refund that
fails when the account's clock passes the time it was set for, with the events Stripe sends."""

import pytest
import stripe

from stripe_standin.testing import StandInError


def _refund(stripe_client, paid_session, amount=2500):
    return stripe_client.v1.refunds.create(
        {"payment_intent": paid_session.payment_intent.id, "amount": amount},
        {"idempotency_key": "refund-key-1"},
    )


def test_a_pending_refund_succeeds_later(standin, stripe_client, paid_session, receiver):
    standin.make_next_refund_pending()
    refund = _refund(stripe_client, paid_session)
    assert refund.status == "pending"

    standin.settle_refund(refund.id, "succeeded")

    assert stripe_client.v1.refunds.retrieve(refund.id).status == "succeeded"
    assert receiver.types()[-1] == "refund.updated"
    assert receiver.events()[-1].data.object.status == "succeeded"


def test_a_succeeded_refund_fails_an_hour_later(standin, stripe_client, paid_session, receiver):
    refund = _refund(stripe_client, paid_session)
    assert refund.status == "succeeded"
    seen = len(receiver.events())

    standin.settle_refund(refund.id, "failed", failure_reason="lost_or_stolen_card", after=3600)
    assert len(receiver.events()) == seen  # nothing yet: the clock has not moved
    standin.advance_clock(3600)

    again = stripe_client.v1.refunds.retrieve(refund.id)
    assert (again.status, again.failure_reason) == ("failed", "lost_or_stolen_card")
    assert receiver.types()[seen:] == ["refund.failed", "refund.updated"]
    charge = stripe_client.v1.charges.retrieve(paid_session.payment_intent.latest_charge)
    assert charge.amount_refunded == 0  # the money is back in the account's balance


def test_a_refund_fails_once(standin, stripe_client, paid_session):
    refund = _refund(stripe_client, paid_session)
    standin.settle_refund(refund.id, "failed")
    with pytest.raises(StandInError) as refused:
        standin.settle_refund(refund.id, "failed")
    assert refused.value.status == 409


@pytest.mark.parametrize(
    ("params", "param"),
    [({"outcome": "lost"}, "outcome"), ({"outcome": "failed", "failure_reason": "x"}, None)],
)
def test_a_settlement_stripe_never_makes_is_refused(
    standin, stripe_client, paid_session, params, param
):
    refund = _refund(stripe_client, paid_session)
    with pytest.raises(StandInError) as refused:
        standin.control("POST", f"refunds/{refund.id}/settle", **params)
    assert refused.value.status == 400
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "succeeded"


def test_events_name_the_request_and_key_that_caused_them(stripe_client, paid_session, receiver):
    refund = _refund(stripe_client, paid_session)
    created = next(e for e in receiver.events() if e.type == "refund.created")
    assert created.data.object.id == refund.id
    assert created.request.idempotency_key == "refund-key-1"
    assert created.request.id == refund.last_response.request_id
    assert created.api_version == stripe.api_version


def test_a_session_over_stripes_maximum_is_refused(create_session):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        create_session(
            line_items=[
                {"price_data": {"currency": "gbp", "unit_amount": 100_000_000,
                                "product_data": {"name": "Too much"}}, "quantity": 1}
            ]
        )  # fmt: skip
    assert (refused.value.code, refused.value.param) == ("amount_too_large", "line_items")


def test_the_payment_page_fails_a_refund_in_an_hour(standin, stripe_client, paid_session):
    refund = _refund(stripe_client, paid_session)
    page = standin.app.test_client()
    shown = page.get(f"/pay/{paid_session.id}").get_data(as_text=True)
    assert refund.id in shown and "Fail in an hour" in shown

    answer = page.post(
        f"/_standin/refunds/{refund.id}/settle",
        data={"session": paid_session.id, "outcome": "failed", "after": "3600"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/pay/{paid_session.id}")
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "succeeded"
    standin.advance_clock(3600)
    assert stripe_client.v1.refunds.retrieve(refund.id).status == "failed"
