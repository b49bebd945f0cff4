"""Stripe as it behaves in production: its limits on a card payment, idempotency keys unique on
every database sharing one account, the order reference on the payment, and webhook errors
that are permanent (acknowledged, staff told) apart from passing ones (503, so Stripe retries)."""

import json

import pytest
import stripe
from sqlalchemy import delete, select

from portal.catalogue.models import ReportFormat
from portal.extensions import db
from portal.orders.models import Order, OrderState
from portal.payments import gateway, services
from portal.payments.models import CheckoutAttempt, StripeEvent
from portal.pricing import CARD_MOST_PENCE, FormatKind

SUPPORT = "insight@socitm.example"


@pytest.fixture
def report(request, create_report):
    """A printed report dear enough that two copies pass the most a card can be charged; given
    ``(price, VAT rate)`` as its parameter, a printed copy at that price and rate instead."""
    price, vat = getattr(request, "param", (CARD_MOST_PENCE // 2 + 1, 0))
    return create_report(
        title="Costly",
        formats=[
            ReportFormat(kind=FormatKind.PDF, price_pence=14_500),
            ReportFormat(
                kind=FormatKind.PRINT, price_pence=price, vat_rate_basis_points=vat, stock=10
            ),
        ],
    )


@pytest.fixture
def no_stripe(monkeypatch):
    def refused(**_):
        raise AssertionError("Stripe was asked")

    monkeypatch.setattr(gateway, "create_checkout_session", refused)


@pytest.mark.parametrize(
    ("report", "copies", "refusal"),
    [
        ((CARD_MOST_PENCE // 2 + 1, 0), 2, "more than £999,999.99, the most a card can be charged"),
        ((29, 0), 1, "less than £0.30, the least a card can be charged"),
    ],
    indirect=["report"],
    ids=["over the most", "29p"],
)
def test_a_card_total_outside_stripes_limits_is_refused_before_stripe(
    checkout, stored, no_stripe, copies, refusal
):
    response = checkout(pdf=False, printed=copies)

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f"{refusal}. Pay by invoice instead" in page
    assert 'href="/checkout/payment"' in page
    assert stored.order() is None


@pytest.mark.parametrize(
    ("report", "copies"),
    [
        ((30, 0), 1),
        ((15, 0), 2),  # the order's total is charged, not each copy's price
        ((25, 2000), 1),  # 25p and 5p VAT: the total with its VAT is charged
        ((CARD_MOST_PENCE, 0), 1),
    ],
    indirect=["report"],
    ids=["30p", "two copies at 15p", "25p and 20% VAT", "the most"],
)
def test_a_card_total_from_30p_to_stripes_maximum_opens_stripes_page(checkout, stored, copies):
    response = checkout(pdf=False, printed=copies)

    assert response.status_code == 303
    assert stored.attempts()[-1].stripe_session_id in response.headers["Location"]


@pytest.mark.parametrize("total", [1, 29, CARD_MOST_PENCE + 1])
def test_an_order_outside_the_card_limits_opens_no_payment_page(
    app, create_report, create_order, no_stripe, total
):
    with app.app_context():
        priced = create_report(formats=[ReportFormat(kind=FormatKind.PDF, price_pence=total)])
        order = create_order([(priced.formats[0], 1)])
        assert order.total_pence == total
        with pytest.raises(services.OutsideCardLimits) as refused:
            services.start_checkout(order)
        assert "Pay by invoice instead" in str(refused.value)


def test_the_payment_carries_the_order_reference(checkout, standin, stored):
    session_id = checkout(pdf=True, printed=0).headers["Location"].rsplit("/", 1)[1]
    standin.pay(session_id)
    order = stored.order()
    intent_id = stored.attempts()[-1].stripe_payment_intent_id

    intent = standin.client().v1.payment_intents.retrieve(intent_id)

    assert intent.metadata["reference"] == order.reference
    assert intent.description == f"Socitm Insight order {order.reference}"


def test_a_database_restored_from_backup_pays_its_order_again(app, checkout, standin, stored):
    """Production restored from a backup taken before the first payment page was opened makes
    the same order, attempt 1, again: it must get a payment page of its own, not Stripe's
    answer to the other database."""
    checkout(pdf=True, printed=0)
    (first,) = stored.attempts()
    with app.app_context():  # the restored database never saw that attempt
        db.session.execute(delete(CheckoutAttempt))
        db.session.commit()
        order = db.session.get(Order, first.order_id)
        services.start_checkout(order)
        db.session.commit()
    (second,) = stored.attempts()

    assert second.number == first.number == 1
    assert second.idempotency_key != first.idempotency_key
    assert second.stripe_session_id != first.stripe_session_id
    standin.pay(second.stripe_session_id)
    assert stored.order().state in (OrderState.PAID, OrderState.FULFILLED)


def test_each_attempt_keeps_the_key_it_was_made_with(checkout, stored):
    checkout(pdf=True, printed=0)
    (attempt,) = stored.attempts()
    assert attempt.idempotency_key.startswith("checkout-") and len(attempt.idempotency_key) > 30


# -- webhook errors ------------------------------------------------------------------------------


def _post_event(app, client, event_id: str, object_id: str = "re_missing"):
    body = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "refund.updated",
            "created": 1_700_000_000,
            "data": {"object": {"id": object_id, "object": "refund"}},
        }
    )
    signature = stripe.WebhookSignature.generate_signature_header(
        body, app.config["STRIPE_WEBHOOK_SECRET"]
    )
    return client.post(
        "/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def _handled_events(app) -> list[str]:
    """The events acted on: an event is recorded when it arrives, and marked handled once done."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(StripeEvent.event_id).where(StripeEvent.handled_at.is_not(None))
            )
        )


def _forbidden(_):
    raise stripe.PermissionError(
        "The provided key does not have the required permissions (rak_refund_read).",
        http_status=403,
    )


_missing = gateway.retrieve_refund  # the stand-in answers 404: there is no such refund


@pytest.mark.parametrize("failure", [_missing, _forbidden], ids=["404", "403"])
def test_an_object_stripe_will_never_show_is_acknowledged_and_staff_told(
    app, client, outbox, monkeypatch, failure
):
    monkeypatch.setattr(gateway, "retrieve_refund", failure)

    response = _post_event(app, client, "evt_permanent")

    assert response.status_code == 200
    assert _handled_events(app) == ["evt_permanent"]
    (told,) = [m for m in outbox if SUPPORT in m.to]
    assert told.subject == "A Stripe event could not be read: refund.updated re_missing"
    assert "evt_permanent" in told.body
    assert _post_event(app, client, "evt_permanent").status_code == 200  # a repeat: once
    assert len([m for m in outbox if SUPPORT in m.to]) == 1


@pytest.mark.parametrize(
    "error",
    [
        stripe.APIConnectionError("timed out"),
        stripe.RateLimitError("Too many requests", http_status=429),
        stripe.APIError("Something went wrong on Stripe's end", http_status=500),
    ],
    ids=["timeout", "rate limit", "5xx"],
)
def test_a_passing_failure_answers_503_so_stripe_retries(app, client, outbox, monkeypatch, error):
    def failing(_):
        raise error

    monkeypatch.setattr(gateway, "retrieve_refund", failing)

    assert _post_event(app, client, "evt_passing").status_code == 503
    assert _handled_events(app) == [] and outbox == []  # delivered again later
