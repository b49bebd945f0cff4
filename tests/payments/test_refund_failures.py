"""Card refunds that fail, through the offline Stripe stand-in: after Stripe reported them made
(the credit note stands, the buyer is owed the money until an administrator records its
repayment), before (the refund never happened), repeated, out of order, and for refunds the
portal never made."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.clock import today_in_london
from portal.extensions import db
from portal.orders.models import Order, OrderEvent, OrderState
from portal.payments import owed, refunds
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


# Repaying a failed refund with a new refund to the card.


@pytest.fixture
def owed_refund(app, refunded_order, standin):
    """An order whose card refund of £145.00 failed after Stripe reported it made; Stripe's
    events are delivered from then on."""

    def make():
        order = refunded_order()
        (refund,) = refunds_made(app)
        standin.settle_refund(refund.stripe_refund_id, "failed", failure_reason="declined")
        standin.release()
        return order, refunds_made(app)[0]

    return make


def _repay_by_card(office, order, refund, key: str | None = None):
    path = f"/admin/orders/{order.reference}/refunds/{refund.id}/repaid"
    page = office.client.get(path).get_data(as_text=True)
    if key is None:  # the form's own key, or one of ours when the page offers no form
        found = page.split('name="request_key" type="hidden" value="', 1)
        key = found[1].split('"', 1)[0] if len(found) == 2 else "fresh-" + "k" * 20
    return office.client.post(
        f"/admin/orders/{order.reference}/refunds/{refund.id}/repay-by-card",
        data={"csrf_token": csrf_token(office.client, path), "request_key": key},
    )


def test_a_failed_refund_repaid_to_the_card_again(app, client, office, owed_refund, outbox):
    order, failed = owed_refund()
    outbox.clear()
    page = office.client.get(f"/admin/orders/{order.reference}/refunds/{failed.id}/repaid")
    assert "Refund £145.00 to the card again" in page.get_data(as_text=True)

    answer = _repay_by_card(office, order, failed)

    assert answer.status_code == 303
    failed_one, repayment = refunds_made(app)
    assert repayment.repays_refund_id == failed_one.id
    assert (repayment.status, repayment.amount_pence) == (RefundStatus.SUCCEEDED, 14_500)
    assert repayment.lines == [] and repayment.credit_note_id is None
    assert failed_one.repaid_on == today_in_london()
    assert failed_one.repaid_reference == f"Stripe {repayment.stripe_refund_id}"
    assert len(credit_notes(app)) == 1  # the first credit note stands; no second one
    assert order_now(app, order.id).attention == ""
    assert _notes(app, order)[-1].startswith("Failed refund of £145.00 repaid to the card on ")
    (told,) = _to(outbox, order.email, "We have repaid £145.00")
    assert "to your card again" in told.body and "bank transfer" not in told.body
    with app.app_context():
        money = owed.money_of(db.session.get(Order, order.id))
        totals = refunds.summary(db.session.get(Order, order.id))
    assert (money.refunded_pence, money.credited_pence, money.refund_owed_pence) == (14_500, 0, 0)
    assert (totals.refunded_pence, totals.pending_pence, totals.left_pence) == (14_500, 0, 0)
    buyer = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "so we repaid it to your card again on" in buyer and "Refund owed" not in buyer
    admin_page = office.page(order.reference).get_data(as_text=True)
    assert "Repaid to the card on" in admin_page
    assert "Repays the refund of £145.00 that failed after it was made" in admin_page

    again = _repay_by_card(office, order, failed_one)
    assert again.status_code == 409 and "This refund was repaid on" in again.get_data(as_text=True)
    assert len(refunds_made(app)) == 2


def test_the_same_card_repayment_form_sent_twice_refunds_once(app, office, owed_refund):
    order, failed = owed_refund()
    key = "repay-" + "k" * 20
    assert _repay_by_card(office, order, failed, key).status_code == 303
    assert _repay_by_card(office, order, failed, key).status_code == 303
    assert [r.amount_pence for r in refunds_made(app)] == [14_500, 14_500]  # one repayment


def test_a_card_repayment_that_fails_leaves_the_refund_owed(
    app, office, owed_refund, standin, outbox
):
    order, failed = owed_refund()
    standin.make_next_refund_pending()
    answer = _repay_by_card(office, order, failed)
    assert answer.status_code == 303
    _, waiting = refunds_made(app)
    assert waiting.status is RefundStatus.REQUESTED
    page = office.client.get(f"/admin/orders/{order.reference}/refunds/{failed.id}/repaid")
    assert "waiting for Stripe to make it" in page.get_data(as_text=True)
    refused = _repay_by_card(office, order, failed, "another-" + "k" * 20)
    assert refused.status_code == 409  # one repayment on its way at a time
    outbox.clear()

    standin.settle_refund(waiting.stripe_refund_id, "failed", failure_reason="lost_or_stolen_card")

    failed_one, repayment = refunds_made(app)
    assert repayment.status is RefundStatus.FAILED and failed_one.repaid_on is None
    assert failed_one.owed_pence == 14_500 and repayment.owed_pence == 0
    assert "repaying a failed refund failed too" in order_now(app, order.id).attention
    assert _to(outbox, SUPPORT, "Refund of £145.00 on order")
    assert not _to(outbox, order.email, "We have repaid")
    with app.app_context():
        money = owed.money_of(db.session.get(Order, order.id))
    assert (money.refunded_pence, money.refund_owed_pence) == (0, 14_500)
    # Still owed: it can be repaid again, by card or by bank transfer.
    assert _repay_by_card(office, order, failed_one).status_code == 303
    assert refunds_made(app)[0].repaid_on == today_in_london()


def test_a_card_repayment_that_fails_after_it_was_made_is_owed_again(
    app, client, office, owed_refund, standin, outbox
):
    order, failed = owed_refund()
    assert _repay_by_card(office, order, failed).status_code == 303
    _, repayment = refunds_made(app)
    outbox.clear()

    standin.settle_refund(repayment.stripe_refund_id, "failed", failure_reason="declined")

    failed_one, repayment = refunds_made(app)
    assert repayment.status is RefundStatus.FAILED
    assert (failed_one.repaid_on, failed_one.owed_pence) == (None, 14_500)
    (told,) = _to(outbox, order.email, "Your refund of £145.00")
    assert "did not reach you" in told.body
    assert "Refund owed" in client.get(f"/orders/{order.reference}").get_data(as_text=True)
    with app.app_context():
        money = owed.money_of(db.session.get(Order, order.id))
    assert (money.refunded_pence, money.credited_pence, money.refund_owed_pence) == (
        0,
        14_500,
        14_500,
    )


def test_a_card_repayment_with_stripe_unreachable_is_kept_to_send_again(
    app, office, owed_refund, standin, monkeypatch
):
    order, failed = owed_refund()
    key = "repay-" + "d" * 20
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    down = _repay_by_card(office, order, failed, key)
    assert down.status_code == 503 and "Stripe could not be reached" in down.get_data(as_text=True)
    _, kept = refunds_made(app)
    assert kept.status is RefundStatus.REQUESTED and kept.stripe_refund_id is None

    monkeypatch.setitem(app.config, "STRIPE_API_BASE", standin.url)
    page = office.client.get(f"/admin/orders/{order.reference}/refunds/{failed.id}/repaid")
    assert f'value="{key}"' in page.get_data(as_text=True)  # Send the card refund again
    assert _repay_by_card(office, order, failed, key).status_code == 303
    failed_one, sent = refunds_made(app)
    assert sent.status is RefundStatus.SUCCEEDED and failed_one.repaid_on is not None


def test_only_a_refund_that_failed_after_it_was_made_can_be_repaid_by_card(
    app, office, refunded_order
):
    order = refunded_order()
    (made,) = refunds_made(app)
    path = f"/admin/orders/{order.reference}/refunds/{made.id}/repay-by-card"
    answer = office.client.post(
        path, data={"csrf_token": csrf_token(office.client, "/"), "request_key": "k" * 24}
    )
    assert answer.status_code == 404 and len(refunds_made(app)) == 1


def test_the_buyers_order_list_says_a_refund_is_owed_until_it_is_repaid(
    app, client, auth, create_user, office, owed_refund, create_order
):
    buyer = create_user(email="officer@northmere.gov.uk")
    auth.sign_in(buyer.email)
    order, failed = owed_refund()
    create_order(user_id=buyer.id)  # another order of theirs, owing nothing

    def rows() -> list[str]:
        page = client.get("/account").get_data(as_text=True)
        orders = page.split("Your orders, newest first", 1)[1].split("</table>", 1)[0]
        return orders.split('<tr class="govuk-table__row" role="row">')[2:]

    owing = [row for row in rows() if "Refund owed" in row]
    assert len(rows()) == 2 and len(owing) == 1 and order.reference in owing[0]

    path = f"/admin/orders/{order.reference}/refunds/{failed.id}/repaid"
    office.client.post(
        path,
        data={
            "csrf_token": csrf_token(office.client, path),
            "repaid_on": date.today().isoformat(),
            "reference": "SOCITM-REPAY-2",
        },
    )
    assert not any("Refund owed" in row for row in rows())
