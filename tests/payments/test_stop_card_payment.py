"""Stopping a card payment before an order is cancelled or switched to invoice: each reason it
cannot be stopped is named, and each is told to the person in the words of what they were doing.
"""

import pytest

from portal.clock import today_in_london
from portal.extensions import db
from portal.orders.models import OrderState, PaymentMethod
from portal.orders.services import InvoiceDetails
from portal.payments import cancellation, services, switching
from portal.payments.models import AttemptStatus, CheckoutAttempt
from tests.payments.helpers import VERIFIED

DETAILS = InvoiceDetails("PO-1", "Town Hall", "", "Eastbridge", "EB1 2CD", "ap@eastbridge.gov.uk")


@pytest.fixture
def card_order(ctx, create_order):
    """A card order waiting for payment with one payment page (``status``)."""

    def make(status: AttemptStatus):
        order = create_order(method=PaymentMethod.CARD)
        db.session.add(
            CheckoutAttempt(
                order_id=order.id,
                number=1,
                stripe_session_id="cs_test_stop",
                status=status,
                amount_pence=order.total_pence,
                currency="gbp",
            )
        )
        db.session.flush()
        return order

    return make


def _unreachable(app, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")


def _processing(app, monkeypatch):
    # Stripe answers that the page was completed and its payment is still under way.
    monkeypatch.setattr(services, "_close", lambda attempt: None)


@pytest.mark.parametrize(
    ("status", "happen", "reason", "cancel_says", "switch_says"),
    [
        (
            AttemptStatus.OPEN,
            _unreachable,
            services.StopReason.UNREACHABLE,
            "could not be reached. Nothing has changed",
            "We could not reach our card processor",
        ),
        (
            AttemptStatus.PROCESSING,
            _processing,
            services.StopReason.PROCESSING,
            "A payment for this order is being processed",
            "is still being processed, so how it is paid cannot change",
        ),
    ],
    ids=["unreachable", "processing"],
)
def test_a_card_payment_that_cannot_be_stopped_says_why(
    app, monkeypatch, card_order, status, happen, reason, cancel_says, switch_says
):
    order = card_order(status)
    happen(app, monkeypatch)
    with pytest.raises(services.CardPaymentNotStopped) as stopped:
        services.stop_card_payment(order)
    assert stopped.value.reason is reason
    with pytest.raises(cancellation.CancelRefused, match=cancel_says):
        cancellation.cancel_order(order, None, "x", today_in_london())
    with pytest.raises(switching.SwitchRefused, match=switch_says) as refused:
        switching.switch_to_invoice(order, DETAILS, VERIFIED, None, today_in_london())
    assert not isinstance(refused.value, switching.PaidMeanwhile)
    assert order.state is OrderState.PENDING_PAYMENT
    assert order.events[-1].to_state is OrderState.PENDING_PAYMENT


def test_a_payment_found_while_stopping_is_paid_meanwhile(app, monkeypatch, card_order):
    order = card_order(AttemptStatus.OPEN)

    def paid(attempt):
        attempt.status = AttemptStatus.PAID
        order.state = OrderState.PAID

    monkeypatch.setattr(services, "_close", paid)
    with pytest.raises(switching.PaidMeanwhile, match="has arrived, so it is paid") as found:
        switching.switch_to_invoice(order, DETAILS, VERIFIED, None, today_in_london())
    assert found.value.__cause__.reason is services.StopReason.PAID
    assert order.payment_method is PaymentMethod.CARD
