"""An unpaid card order holds its printed copies for the life of its Checkout Session (30
minutes), then gives them back exactly once: on Stripe's expiry event, or through the sweep when
that event is lost."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.catalogue.models import ReportFormat
from portal.clock import utcnow
from portal.extensions import db
from portal.orders.models import OrderState
from portal.payments import services as payments
from portal.pricing import FormatKind
from tests.payments.test_card_checkout import _session_id

THIRTY_MINUTES = 30 * 60


def _stock(app, report) -> int:
    with app.app_context():
        return db.session.scalar(
            select(ReportFormat.stock).where(
                ReportFormat.report_id == report.id, ReportFormat.kind == FormatKind.PRINT
            )
        )


def _sweep(app, later: timedelta) -> list[str]:
    """Run the sweep as if it were ``later`` from now, committing as the command does."""
    with app.app_context():
        cancelled = payments.expire_unpaid_card_orders(utcnow() + later)
        db.session.commit()
        return cancelled


def test_a_checkout_session_lasts_thirty_minutes_not_a_day(checkout, standin):
    session_id = _session_id(checkout(pdf=False, printed=1))
    session = standin.client().v1.checkout.sessions.retrieve(session_id)
    assert THIRTY_MINUTES <= session.expires_at - session.created <= THIRTY_MINUTES + 120


def test_an_unpaid_card_order_gives_its_copies_back_after_thirty_minutes(
    app, checkout, standin, stored, report
):
    checkout(pdf=False, printed=3)
    assert _stock(app, report) == 7
    standin.advance_clock(THIRTY_MINUTES + 5 * 60)
    order = stored.order()
    assert order.state is OrderState.CANCELLED
    assert order.events[-1].note == "Card payment was not completed in time"
    assert _stock(app, report) == 10


def test_the_sweep_gives_copies_back_once_when_the_expiry_event_is_lost(
    app, checkout, standin, stored, report
):
    checkout(pdf=False, printed=3)
    reference = stored.order().reference
    standin.hold()  # Stripe's expiry event does not arrive (yet)
    standin.advance_clock(THIRTY_MINUTES + 5 * 60)
    assert stored.order().state is OrderState.PENDING_PAYMENT
    assert _stock(app, report) == 7

    assert _sweep(app, timedelta(minutes=35)) == [reference]
    assert _stock(app, report) == 10
    assert _sweep(app, timedelta(minutes=36)) == []  # a second pass changes nothing
    standin.release()  # the lost event turns up after all
    order = stored.order()
    assert order.state is OrderState.CANCELLED
    assert sum(1 for e in order.events if e.to_state is OrderState.CANCELLED) == 1
    assert _stock(app, report) == 10


@pytest.mark.parametrize("later", [timedelta(minutes=0), timedelta(minutes=20)])
def test_the_sweep_leaves_orders_that_can_still_be_paid(app, checkout, stored, report, later):
    checkout(pdf=False, printed=3)
    assert _sweep(app, later) == []
    assert stored.order().state is OrderState.PENDING_PAYMENT
    assert _stock(app, report) == 7


def test_the_sweep_records_a_payment_whose_event_was_lost(
    app, checkout, standin, stored, report, outbox
):
    session_id = _session_id(checkout(pdf=False, printed=3))
    standin.hold()
    standin.pay(session_id)  # paid in time, but the portal never heard
    assert _sweep(app, timedelta(minutes=35)) == []
    order = stored.order()
    assert order.state is OrderState.PAID
    assert _stock(app, report) == 7


def test_an_order_stripe_never_opened_a_session_for_is_released(
    app, checkout, stored, report, monkeypatch
):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    assert checkout(pdf=False, printed=3).status_code == 503
    assert _stock(app, report) == 7
    reference = stored.order().reference
    assert _sweep(app, timedelta(minutes=10)) == []
    assert _sweep(app, timedelta(minutes=35)) == [reference]
    assert _stock(app, report) == 10


def test_the_command_sweeps(app, runner, checkout, standin, stored, report):
    checkout(pdf=False, printed=3)
    standin.hold()
    standin.advance_clock(THIRTY_MINUTES + 5 * 60)
    later = (utcnow() + timedelta(minutes=35)).strftime("%Y-%m-%dT%H:%M:%S")
    result = runner.invoke(args=["expire-card-orders", "--now", later])
    assert result.exit_code == 0, result.output
    assert stored.order().reference in result.output
    assert stored.order().state is OrderState.CANCELLED
    assert _stock(app, report) == 10


@pytest.mark.postgres_only
@pytest.mark.real_transactions
def test_the_sweep_and_the_late_expiry_event_at_once_give_copies_back_once(
    app, live_portal, checkout, standin, stored, report
):
    """The sweep and Stripe's expiry event race for the same order: the order's row lock lets
    one cancel it; the other finds it cancelled."""
    import threading

    checkout(pdf=False, printed=3)
    order_id = stored.order().id
    standin.hold()
    standin.advance_clock(THIRTY_MINUTES + 5 * 60)
    barrier = threading.Barrier(2)
    errors = []

    def sweep():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                payments.expire_if_unpaid(order_id, utcnow() + timedelta(minutes=35))
                db.session.commit()
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)

    def late_event():
        try:
            barrier.wait(timeout=10)
            standin.release()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=sweep), threading.Thread(target=late_event)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=40)
    assert errors == []
    order = stored.order()
    assert order.state is OrderState.CANCELLED
    assert sum(1 for e in order.events if e.to_state is OrderState.CANCELLED) == 1
    assert _stock(app, report) == 10


def test_reopening_the_payment_page_cannot_hold_copies_for_ever(
    client, post_form, checkout, stored
):
    checkout(pdf=False, printed=3)  # the first payment page
    reference = stored.order().reference
    pay = f"/orders/{reference}/pay"
    for _ in range(payments.MAX_CHECKOUT_ATTEMPTS - 1):
        assert "/pay/cs_" in post_form(pay, {}, form_page=f"/orders/{reference}").location
    refused = post_form(pay, {}, form_page=f"/orders/{reference}")
    assert refused.location == f"/orders/{reference}"
    page = client.get(refused.location).get_data(as_text=True)
    assert "This order cannot open another payment page" in page
    assert len(stored.attempts()) == payments.MAX_CHECKOUT_ATTEMPTS == 5
