"""``settlement.settle``, the one way an order becomes paid, case by case: who and why in its
history, fulfilled only when nothing is to be posted, the receipt dated the day the money came
(or none), the PDF copies stamped after the commit."""

from datetime import date

import pytest

from portal.clock import utcnow
from portal.documents import services as documents
from portal.documents.models import DocumentKind
from portal.downloads import jobs as download_jobs
from portal.extensions import db
from portal.orders.models import OrderState, PaymentMethod
from portal.orders.services import Delivery
from portal.payments import settlement

PAID_ON = date(2026, 11, 30)
DELIVERY = Delivery("Post Room", "Civic Hall", "", "Leeds", "LS1 1UR")


@pytest.fixture(autouse=True)
def _stripe_is_the_standin():
    """No stand-in: these tests give Stripe's answers themselves, or never reach it."""


@pytest.fixture
def stamping(monkeypatch):
    """The orders whose copies were queued to be stamped after the commit."""
    queued = []
    monkeypatch.setattr(download_jobs, "stamp_copies_after_commit", queued.append)
    return queued


def _receipts(order):
    return [d for d in documents.documents_for(order) if d.kind is DocumentKind.RECEIPT]


def test_a_pdf_order_is_paid_then_fulfilled_by_whoever_settled_it(
    ctx, create_order, create_user, stamping, outbox
):
    clerk = create_user()
    order = create_order(pdf=1, method=PaymentMethod.CARD)

    settlement.settle(order, "Card payment pi_1", clerk.id, PAID_ON)

    paid, fulfilled = order.events[-2:]
    assert (paid.from_state, paid.to_state) == (OrderState.PENDING_PAYMENT, OrderState.PAID)
    assert (paid.actor_user_id, paid.note) == (clerk.id, "Card payment pi_1")
    assert (fulfilled.to_state, fulfilled.actor_user_id) == (OrderState.FULFILLED, clerk.id)
    assert fulfilled.note == "PDF available to download"
    assert order.state is OrderState.FULFILLED
    assert stamping == [order]


def test_an_order_with_printed_copies_stays_paid_until_they_are_posted(
    ctx, create_order, stamping, outbox
):
    order = create_order(pdf=1, prints=1, method=PaymentMethod.CARD, delivery=DELIVERY)

    settlement.settle(order, "Card payment pi_2", None, PAID_ON)

    assert order.state is OrderState.PAID
    assert order.events[-1].to_state is OrderState.PAID
    assert stamping == [order]  # its PDF is downloadable all the same


def test_the_receipt_is_dated_the_day_the_money_came_and_emailed(
    ctx, create_order, stamping, outbox
):
    order = create_order(pdf=1, method=PaymentMethod.CARD)

    settlement.settle(order, "Card payment pi_3", None, PAID_ON)
    db.session.commit()  # the email goes once the money is recorded

    [receipt] = _receipts(order)
    assert receipt.issued_on == PAID_ON
    [email] = outbox
    assert email.to == [order.email] and email.subject.startswith(f"Receipt {receipt.number}")


def test_without_a_receipt_nothing_is_issued_or_sent(ctx, create_order, stamping, outbox):
    order = create_order(pdf=1, method=PaymentMethod.CARD)

    settlement.settle(order, "Nothing to pay", None, PAID_ON, receipt=False)
    db.session.commit()

    assert order.state is OrderState.FULFILLED
    assert _receipts(order) == [] and outbox == []


def test_an_order_placed_paid_is_not_marked_paid_twice(ctx, create_order, stamping, outbox):
    order = create_order(pdf=1, prints=1, method=PaymentMethod.CARD, delivery=DELIVERY)
    order.state = OrderState.PAID
    before = len(order.events)

    settlement.settle(order, "Nothing to pay", None, PAID_ON, receipt=False)

    assert len(order.events) == before
    assert order.state is OrderState.PAID


def test_printed_copies_posted_before_payment_complete_the_order_when_paid(
    ctx, create_order, create_user, stamping, outbox
):
    clerk = create_user()
    order = create_order(pdf=1, prints=1, method=PaymentMethod.INVOICE, delivery=DELIVERY)
    order.state = OrderState.AWAITING_INVOICE_PAYMENT  # released on credit
    for line in order.lines:
        line.dispatched_at = utcnow()  # posted before the money came

    settlement.settle(order, "BACS 1", clerk.id, PAID_ON)

    paid, fulfilled = order.events[-2:]
    assert (paid.to_state, paid.actor_user_id, paid.note) == (OrderState.PAID, clerk.id, "BACS 1")
    assert (fulfilled.from_state, fulfilled.to_state) == (OrderState.PAID, OrderState.FULFILLED)
    assert fulfilled.actor_user_id == clerk.id
    assert fulfilled.note == "Printed copies were posted before payment"
    assert order.state is OrderState.FULFILLED
    assert stamping == [order]


def test_a_receipt_is_issued_unless_told_otherwise(ctx, create_order, stamping, outbox):
    order = create_order(pdf=1, method=PaymentMethod.CARD)

    settlement.settle(order, "Card payment pi_4", None, PAID_ON)

    assert [r.issued_on for r in _receipts(order)] == [PAID_ON]
