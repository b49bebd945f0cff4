"""Paying by card through Stripe Checkout (the stand-in): exactly once, whatever Stripe's events
do, and never because a browser came back to the success page."""

import pytest
from sqlalchemy import select

from portal.catalogue.models import ReportFormat
from portal.extensions import db
from portal.orders.models import OrderState
from portal.payments.models import AttemptStatus, StripeEvent
from portal.pricing import FormatKind
from tests.helpers import signed_webhook


def _session_id(response) -> str:
    location = response.headers["Location"]
    assert "/pay/cs_" in location, location
    return location.rsplit("/", 1)[1]


def _paid_transitions(order) -> int:
    return sum(1 for e in order.events if e.to_state is OrderState.PAID)


def _stock(app, report):
    with app.app_context():
        return db.session.scalar(
            select(ReportFormat.stock).where(
                ReportFormat.report_id == report.id, ReportFormat.kind == FormatKind.PRINT
            )
        )


def test_a_guest_pays_by_card_and_gets_both_emails(app, client, checkout, standin, stored, outbox):
    placed = checkout(pdf=True, printed=2)
    assert placed.status_code == 303
    session_id = _session_id(placed)
    order = stored.order()
    assert order.state is OrderState.PENDING_PAYMENT and order.total_pence == 14_500 + 35_000

    # Stripe's session carries the order exactly.
    session = standin.client().v1.checkout.sessions.retrieve(session_id)
    assert session.amount_total == order.total_pence and session.currency == "gbp"
    assert session.client_reference_id == str(order.id)
    assert session.metadata["portal"] == "insight-portal"
    assert session.customer_email == "jo.evans@eastbridge.gov.uk"

    paid = standin.pay(session_id)  # the webhook reaches the portal before the redirect
    order = stored.order()
    assert order.state is OrderState.PAID  # printed copies still to post
    assert paid["session"]["success_url"].startswith("http://localhost/checkout/success?")
    back = client.get(f"/checkout/success?session_id={session_id}")
    assert back.headers["Location"] == f"/orders/{order.reference}"
    page = client.get(back.headers["Location"]).get_data(as_text=True)
    assert "Paid" in page and "Download PDF" in page
    assert "£495.00 by card on" in page
    # The buyer lands on a thank-you panel, once.
    assert 'class="govuk-panel govuk-panel--confirmation app-thanks-panel"' in page
    assert f"Thank you — order {order.reference} is placed" in page
    assert "We have received your payment of £495.00 and emailed your receipt" in page
    assert "Thank you — order" not in client.get(f"/orders/{order.reference}").get_data(True)
    confirmation, receipt = outbox
    assert confirmation.subject == f"Your order {order.reference} from Socitm Insight"
    assert receipt.subject.startswith("Receipt RCT-") and order.reference in receipt.subject
    assert receipt.attachments[0][0].startswith("RCT-")


def test_the_success_page_before_the_webhook_confirms_with_stripe(
    client, checkout, standin, stored
):
    session_id = _session_id(checkout(printed=0))
    standin.hold()
    standin.pay(session_id)
    assert stored.order().state is OrderState.PENDING_PAYMENT  # no event yet
    client.get(f"/checkout/success?session_id={session_id}")
    order = stored.order()
    assert order.state is OrderState.FULFILLED  # a PDF-only order is complete once paid
    standin.release()  # the late webhook changes nothing
    assert _paid_transitions(stored.order()) == 1


def test_coming_back_without_paying_proves_nothing(client, checkout, stored):
    session_id = _session_id(checkout(printed=0))
    response = client.get(f"/checkout/success?session_id={session_id}")
    assert response.status_code == 302
    assert stored.order().state is OrderState.PENDING_PAYMENT


def test_the_same_event_twice_fulfils_once(checkout, standin, stored, outbox):
    session_id = _session_id(checkout(printed=0))
    standin.pay(session_id)
    [completed] = standin.events("checkout.session.completed")
    standin.deliver(completed["id"])
    standin.deliver(completed["id"])
    order = stored.order()
    assert order.state is OrderState.FULFILLED and _paid_transitions(order) == 1
    assert sum("Receipt" in m.subject for m in outbox) == 1


def test_events_out_of_order_end_in_the_right_state(client, post_form, checkout, standin, stored):
    first = _session_id(checkout(printed=1))
    order = stored.order()
    standin.hold()
    # A second tab starts paying: the first session is expired (an event), then the second paid.
    second = _session_id(
        post_form(f"/orders/{order.reference}/pay", {}, form_page=f"/orders/{order.reference}")
    )
    assert first != second
    standin.pay(second)
    standin.release(order="reverse")  # completed arrives before expired
    order = stored.order()
    assert order.state is OrderState.PAID and _paid_transitions(order) == 1
    assert [a.status for a in stored.attempts()] == [AttemptStatus.EXPIRED, AttemptStatus.PAID]


def test_an_amount_that_does_not_match_is_flagged_not_fulfilled(app, checkout, standin, stored):
    session_id = _session_id(checkout(printed=0))
    order = stored.order()
    with app.app_context():
        # As if the order had changed after the session was made.
        db.session.execute(
            db.update(type(order))
            .where(type(order).id == order.id)
            .values(net_pence=100, total_pence=100)
        )
        db.session.commit()
    standin.pay(session_id)
    order = stored.order()
    assert order.state is OrderState.PENDING_PAYMENT
    assert "Check it before releasing anything" in order.attention


def test_expiry_cancels_the_order_and_releases_stock(app, checkout, standin, stored, report):
    checkout(pdf=False, printed=3)
    assert _stock(app, report) == 7
    standin.advance_clock(25 * 60 * 60)  # Checkout Sessions last 24 hours
    order = stored.order()
    assert order.state is OrderState.CANCELLED
    assert _stock(app, report) == 10
    assert order.events[-1].note == "Card payment was not completed in time"


def test_a_session_expired_early_leaves_the_order_payable(checkout, standin, stored):
    session_id = _session_id(checkout(printed=0))
    standin.expire(session_id)  # e.g. by the portal itself, when the person starts again
    assert stored.order().state is OrderState.PENDING_PAYMENT


def test_a_declined_card_leaves_the_order_payable(client, post_form, checkout, standin, stored):
    placed = checkout(printed=0)
    session_id = _session_id(placed)
    hosted = standin.app.test_client()
    declined = hosted.post(f"/pay/{session_id}/decline")
    assert b"declined" in declined.data.lower()
    order = stored.order()
    assert order.state is OrderState.PENDING_PAYMENT
    again = post_form(f"/orders/{order.reference}/pay", {}, form_page=f"/orders/{order.reference}")
    standin.pay(_session_id(again))
    assert stored.order().state is OrderState.FULFILLED


def test_a_payment_for_a_cancelled_order_is_flagged_for_refund(app, checkout, standin, stored):
    session_id = _session_id(checkout(printed=0))
    order = stored.order()
    with app.app_context():
        from portal.orders.models import Order
        from portal.orders.services import cancel_order

        cancel_order(db.session.get(Order, order.id), None, "cancelled by an administrator")
        db.session.commit()
    standin.pay(session_id)
    order = stored.order()
    assert order.state is OrderState.CANCELLED
    assert "Refund it" in order.attention


def test_stripe_unreachable_keeps_the_order_to_pay_later(app, checkout, stored, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    placed = checkout(printed=0)
    assert placed.status_code == 503
    page = placed.get_data(as_text=True)
    assert "Your order is saved" in page and "You have not been charged" in page
    assert placed.headers["Retry-After"].isdigit()
    order = stored.order()
    assert order is not None and order.state is OrderState.PENDING_PAYMENT


@pytest.mark.parametrize(
    "signature", [None, "", "t=1,v1=deadbeef", "nonsense", "t=99999999999,v1=00"]
)
def test_a_bad_signature_is_refused_and_changes_nothing(app, client, signature):
    headers = {"Stripe-Signature": signature} if signature is not None else {}
    response = client.post("/stripe/webhook", data=b'{"id": "evt_1"}', headers=headers)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(StripeEvent)).all() == []


def test_events_that_are_not_ours_are_acknowledged_and_ignored(post_webhook):
    for payload in (
        {
            "id": "evt_other",
            "object": "event",
            "type": "customer.created",
            "data": {"object": {"id": "cus_1", "object": "customer"}},
        },
        {
            "id": "evt_foreign",
            "object": "event",
            "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_test_not_ours", "object": "checkout.session"}},
        },
    ):
        assert post_webhook(payload).status_code == 200


def test_a_database_failure_mid_webhook_asks_stripe_to_retry(
    app, checkout, standin, stored, monkeypatch, held_completed_event, post_webhook
):
    from sqlalchemy.exc import OperationalError

    from portal.orders import states

    event = held_completed_event(_session_id(checkout(printed=0)))

    def failing(*args, **kwargs):
        raise OperationalError("UPDATE orders", {}, Exception("server closed the connection"))

    monkeypatch.setattr(states, "mark_fulfilled", failing)
    response = post_webhook(event)
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    order = stored.order()
    assert order.state is OrderState.PENDING_PAYMENT  # nothing half-written
    with app.app_context():
        [recorded] = db.session.scalars(select(StripeEvent)).all()
        assert recorded.handled_at is None  # recorded, to be handled when delivered again

    monkeypatch.undo()
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", standin.url)
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", standin.secret_key)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", standin.webhook_secret)
    retried = post_webhook(event)
    assert retried.status_code == 200
    assert stored.order().state is OrderState.FULFILLED


@pytest.mark.postgres_only
@pytest.mark.real_transactions
def test_the_same_event_from_two_threads_at_once_fulfils_once(
    live_portal, checkout, standin, stored, outbox, held_completed_event
):
    """Two deliveries race: the unique event id and the order's row lock let one through."""
    import threading
    import urllib.request

    event = held_completed_event(_session_id(checkout(printed=0)))
    body, headers = signed_webhook(event, standin.webhook_secret)
    barrier = threading.Barrier(2)
    statuses = []

    def deliver():
        request = urllib.request.Request(
            f"{live_portal}/stripe/webhook", data=body.encode(), headers=headers, method="POST"
        )
        barrier.wait(timeout=10)
        with urllib.request.urlopen(request, timeout=30) as response:
            statuses.append(response.status)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=40)
    assert statuses == [200, 200]
    order = stored.order()
    assert order.state is OrderState.FULFILLED and _paid_transitions(order) == 1
    assert sum("Receipt" in m.subject for m in outbox) == 1


@pytest.mark.parametrize(
    ("outcome", "state", "attempt"),
    [
        ("succeeded", OrderState.FULFILLED, AttemptStatus.PAID),
        ("failed", OrderState.PENDING_PAYMENT, AttemptStatus.FAILED),
    ],
)
def test_delayed_payments_wait_for_their_outcome(
    checkout, standin, stored, outcome, state, attempt
):
    session_id = _session_id(checkout(printed=0))
    standin.complete_async(session_id)
    assert stored.order().state is OrderState.PENDING_PAYMENT
    assert stored.attempts()[-1].status is AttemptStatus.PROCESSING
    standin.settle_async(session_id, outcome)
    assert stored.order().state is state
    assert stored.attempts()[-1].status is attempt
