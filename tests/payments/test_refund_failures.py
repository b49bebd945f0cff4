"""Card refunds that fail, through the offline Stripe stand-in: after Stripe reported them made
(the credit note stands, the buyer is owed the money until an administrator records its
repayment), before (the refund never happened), repeated, out of order, and for refunds the
portal never made."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.orders.models import Order, OrderEvent, OrderState
from portal.payments import owed
from portal.payments.models import RefundStatus
from tests.helpers import csrf_token
from tests.payments.helpers import Office, credit_notes, order_now, refunds_made

SUPPORT = "insight@socitm.example"


@pytest.fixture
def office(app, create_user):
    return Office.signed_in(app, create_user(is_admin=True, email="finance@socitm.net"))


@pytest.fixture
def refunded_order(app, checkout, standin, stored, office):
    """A card order paid, then its PDF refunded by an administrator (Stripe says succeeded);
    Stripe's events are held from the payment on."""

    def make(pending: bool = False) -> Order:
        session_id = checkout(pdf=True, printed=0).headers["Location"].rsplit("/", 1)[1]
        standin.pay(session_id)
        standin.hold()
        order = stored.order()
        if pending:
            standin.make_next_refund_pending()
        assert office.refund(order.reference, {order.lines[0].id: None}).status_code == 303
        return order

    return make


def _notes(app, order) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OrderEvent.note)
                .where(OrderEvent.order_id == order.id)
                .order_by(OrderEvent.id)
            )
        )


def _to(outbox, address: str, start: str) -> list:
    return [m for m in outbox if address in m.to and m.subject.startswith(start)]


def test_a_refund_that_fails_an_hour_after_it_was_made(
    app, client, office, refunded_order, standin, outbox
):
    order = refunded_order()
    (refund,) = refunds_made(app)
    assert refund.status is RefundStatus.SUCCEEDED and len(credit_notes(app)) == 1
    standin.release()

    standin.settle_refund(
        refund.stripe_refund_id, "failed", failure_reason="expired_or_canceled_card", after=3600
    )
    standin.hold()
    standin.advance_clock(3600)
    delivered = standin.release()
    assert [a["status_code"] for a in delivered] == [200, 200]  # refund.failed, refund.updated

    (failed,) = refunds_made(app)
    assert (failed.status, failed.failure_reason) == (
        RefundStatus.FAILED,
        "expired_or_canceled_card",
    )
    assert len(credit_notes(app)) == 1  # the credit note stands
    now = order_now(app, order.id)
    assert now.lines[0].refunded_at is not None  # the refunded PDF stays closed
    assert "failed after it was made: the card has expired or been cancelled" in now.attention
    assert _notes(app, order)[-1] == (
        "Refund of £145.00 failed after Stripe reported it made: the card has expired or been "
        "cancelled. £145.00 is owed to the buyer until it is repaid another way"
    )
    (told,) = _to(outbox, order.email, "Your refund of £145.00")
    assert "did not reach you" in told.body and "still owes you £145.00" in told.body
    (staff,) = _to(outbox, SUPPORT, "Refund of £145.00 on order")
    assert order.reference in staff.body
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "Our refund of £145.00 to your card did not reach you." in page
    assert "Refund owed" in page and "it is owed to the buyer until it is repaid" in page
    with app.app_context():
        money = owed.money_of(db.session.get(Order, order.id))
    assert (money.refunded_pence, money.credited_pence) == (0, 14_500)  # owed to the buyer

    for event in standin.events(type="refund.failed") * 3:  # delivered again, three times
        assert standin.deliver(event["id"])["status_code"] == 200
    assert len(_to(outbox, order.email, "Your refund")) == 1
    assert sum("failed after" in note for note in _notes(app, order)) == 1

    refund_page = office.page(order.reference).get_data(as_text=True)
    assert "£145.00 owed to the buyer" in refund_page
    path = f"/admin/orders/{order.reference}/refunds/{failed.id}/repaid"
    answer = office.client.post(
        path,
        data={
            "csrf_token": csrf_token(office.client, path),
            "repaid_on": date.today().isoformat(),
            "reference": "SOCITM-REPAY-1",
        },
    )
    assert answer.status_code == 303
    assert order_now(app, order.id).attention == ""
    assert "Repaid by bank transfer" in office.page(order.reference).get_data(as_text=True)
    assert _to(outbox, order.email, "We have repaid £145.00")
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "we repaid it by bank transfer" in page
    assert "Refund owed" not in page and "paid and refunded in full" in page
    with app.app_context():
        money = owed.money_of(db.session.get(Order, order.id))
    assert (money.refunded_pence, money.credited_pence) == (14_500, 0)


def test_a_repayment_needs_a_date_and_a_reference_and_is_recorded_once(
    app, office, refunded_order, standin
):
    order = refunded_order()
    (refund,) = refunds_made(app)
    standin.settle_refund(refund.stripe_refund_id, "failed")
    standin.release()
    path = f"/admin/orders/{order.reference}/refunds/{refund.id}/repaid"

    def post(**data):
        return office.client.post(
            path, data={"csrf_token": csrf_token(office.client, path), **data}
        )

    assert post(reference="X").status_code == 400
    assert post(repaid_on="2999-01-01", reference="X").status_code == 400
    assert refunds_made(app)[0].repaid_on is None
    assert post(repaid_on=date.today().isoformat(), reference="R1").status_code == 303
    assert post(repaid_on=date.today().isoformat(), reference="R2").status_code == 409
    assert refunds_made(app)[0].repaid_reference == "R1"


def test_a_refund_that_succeeded_cannot_be_marked_repaid(app, office, refunded_order):
    order = refunded_order()
    (refund,) = refunds_made(app)
    assert (
        office.client.get(f"/admin/orders/{order.reference}/refunds/{refund.id}/repaid").status_code
        == 404
    )


def test_a_failure_arriving_before_the_success_leaves_the_refund_failed(
    app, refunded_order, standin, outbox
):
    order = refunded_order(pending=True)
    (waiting,) = refunds_made(app)
    assert waiting.status is RefundStatus.REQUESTED
    standin.settle_refund(waiting.stripe_refund_id, "failed", failure_reason="declined")

    delivered = standin.release(order="reverse")  # refund.updated first, refund.created last

    assert {a["status_code"] for a in delivered} == {200}
    (failed,) = refunds_made(app)
    assert failed.status is RefundStatus.FAILED and failed.confirmed_at is None
    assert credit_notes(app) == [] and not _to(outbox, order.email, "Refund of")
    assert order_now(app, order.id).lines[0].refunded_at is None  # never refunded
    assert "Refund of £145.00 failed at Stripe: the card's bank declined it" in _notes(app, order)
    assert "nothing was refunded" in order_now(app, order.id).attention
    assert _to(outbox, SUPPORT, "Refund of £145.00 on order")
    assert order_now(app, order.id).state is OrderState.FULFILLED


def test_a_failed_refund_the_portal_never_made_changes_nothing(
    app, checkout, standin, stored, outbox
):
    session_id = checkout(pdf=True, printed=0).headers["Location"].rsplit("/", 1)[1]
    standin.pay(session_id)
    order = stored.order()
    intent = stored.attempts()[-1].stripe_payment_intent_id
    made_elsewhere = standin.client().v1.refunds.create({"payment_intent": intent, "amount": 500})
    before = _notes(app, order)
    outbox.clear()

    answer = standin.settle_refund(made_elsewhere.id, "failed")

    assert [a["status_code"] for a in answer["attempts"]] == [200, 200]
    assert refunds_made(app) == [] and outbox == []
    assert _notes(app, order) == before and order_now(app, order.id).attention == ""
