"""The refund service's rules one by one, with Stripe's answers given: what may be refunded and
how much, what each of Stripe's answers does to a refund, what a confirmed refund records, and
which webhook events name a refund of ours."""

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.documents import services as documents
from portal.documents.models import Document, DocumentKind
from portal.extensions import db
from portal.orders.access import order_link
from portal.orders.models import OrderEvent, OrderState, PaymentMethod
from portal.payments import gateway, refunds
from portal.payments.models import AttemptStatus, CheckoutAttempt, Refund, RefundStatus

PAID_ON = date(2026, 11, 30)


@pytest.fixture(autouse=True)
def _stripe_is_the_standin():
    """No stand-in: these tests give Stripe's answers themselves, or never reach it."""


class Stripe:
    """What ``gateway`` answers, set by each test; the refunds asked of it are kept."""

    def __init__(self):
        self.asked: list[dict] = []
        self.status = "succeeded"
        self.error: Exception | None = None
        self.retrieved: dict[str, gateway.RefundResult] = {}
        self.of_charge: dict[str, list[gateway.RefundResult]] = {}

    def create_refund(self, **kwargs) -> gateway.RefundResult:
        self.asked.append(kwargs)
        if self.error:
            raise self.error
        return gateway.RefundResult(
            id=f"re_{len(self.asked)}", status=self.status, amount=kwargs["amount_pence"]
        )


@pytest.fixture
def stripe(monkeypatch):
    answers = Stripe()
    monkeypatch.setattr(gateway, "create_refund", answers.create_refund)
    monkeypatch.setattr(gateway, "retrieve_refund", lambda refund_id: answers.retrieved[refund_id])
    monkeypatch.setattr(
        gateway, "refunds_of_charge", lambda charge_id: answers.of_charge[charge_id]
    )
    return answers


@pytest.fixture
def card_order(ctx, create_order, create_user):
    """A PDF order paid by card (£145 through Stripe's payment ``pi_paid``), receipted."""

    def make(state=OrderState.FULFILLED, *, receipt=True, paid=True):
        order = create_order(pdf=1, method=PaymentMethod.CARD, state=state)
        db.session.add(
            CheckoutAttempt(
                order_id=order.id,
                number=1,
                stripe_session_id=f"cs_{order.id}",
                stripe_payment_intent_id=f"pi_paid_{order.id}" if paid else None,
                status=AttemptStatus.PAID if paid else AttemptStatus.EXPIRED,
                amount_pence=order.total_pence,
                amount_paid_pence=order.total_pence if paid else None,
                currency="gbp",
            )
        )
        db.session.flush()
        if receipt:
            documents.issue_receipt(order, PAID_ON)
        return order

    return make


@pytest.fixture
def clerk(create_user):
    return create_user(name="Kim Clerk", is_admin=True)


def _refund(order, amount, by, key="key-1", reason="Ordered twice") -> Refund:
    return refunds.request_refund(order, amount, reason, by, request_key=key)


def _notes(order) -> list[str]:
    return list(
        db.session.scalars(
            select(OrderEvent.note).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        )
    )


# ------------------------------------------------------------------------------------------------
# What may be refunded


@pytest.mark.parametrize(
    ("state", "paid", "refused"),
    [
        (OrderState.PAID, True, None),
        (OrderState.FULFILLED, True, None),
        (OrderState.CANCELLED, True, None),  # a payment that arrived after cancelling
        (
            OrderState.CANCELLED,
            False,
            "This order is cancelled: there is no card payment to refund.",
        ),
        (
            OrderState.PENDING_PAYMENT,
            False,
            "This order is waiting for card payment: there is no card payment to refund.",
        ),
    ],
)
def test_what_a_card_order_in_each_state_allows(card_order, state, paid, refused):
    order = card_order(state, paid=paid, receipt=False)
    assert refunds.refusal(order) == refused
    assert refunds.may_refund(order) is (refused is None)


def test_an_order_not_paid_by_card_is_refused(card_order):
    order = card_order()
    order.payment_method = PaymentMethod.INVOICE
    assert refunds.refusal(order) == (
        "Only card payments can be refunded here. This order was not paid by card."
    )


def test_the_summary_counts_payments_received_and_refunds_by_their_status(card_order, clerk):
    order = card_order()
    db.session.add(  # a payment page that expired paid nothing
        CheckoutAttempt(
            order_id=order.id,
            number=2,
            stripe_session_id="cs_expired",
            status=AttemptStatus.EXPIRED,
            amount_pence=999,
            amount_paid_pence=999,
            currency="gbp",
        )
    )
    for status, amount in (
        (RefundStatus.SUCCEEDED, 1_000),
        (RefundStatus.REQUESTED, 200),
        (RefundStatus.FAILED, 5_000),
    ):
        db.session.add(
            Refund(order_id=order.id, amount_pence=amount, status=status, idempotency_key=status)
        )
    db.session.flush()

    summary = refunds.summary(order)

    assert (summary.paid_pence, summary.refunded_pence, summary.pending_pence) == (
        order.total_pence,
        1_000,
        200,
    )
    assert summary.left_pence == order.total_pence - 1_200
    assert refunds.refundable_pence(order) == order.total_pence - 1_200
    assert [r.amount_pence for r in summary.refunds] == [1_000, 200, 5_000]


@pytest.mark.parametrize("amount", [True, 10.0, "1000"])
def test_an_amount_that_is_not_integer_pence_is_a_programming_error(card_order, clerk, amount):
    with pytest.raises(TypeError, match="money is integer pence"):
        _refund(card_order(), amount, clerk)


@pytest.mark.parametrize("amount", [0, -1, 14_501])
def test_an_amount_outside_one_penny_and_what_is_left_is_refused(card_order, clerk, stripe, amount):
    with pytest.raises(refunds.AmountRefused) as refused:
        _refund(card_order(), amount, clerk)
    assert refused.value.message == (
        "Enter an amount between £0.01 and £145.00, the amount left to refund"
    )
    assert stripe.asked == []


def test_the_last_penny_may_be_refunded_and_then_nothing_more(card_order, clerk, stripe):
    order = card_order()
    _refund(order, 14_500, clerk)
    with pytest.raises(refunds.AmountRefused) as refused:
        _refund(order, 1, clerk, key="key-2")
    assert refused.value.message == "Everything paid on this order has been refunded or asked for"


def test_a_refused_order_says_why(card_order, clerk, stripe):
    order = card_order(OrderState.PENDING_PAYMENT, paid=False, receipt=False)
    with pytest.raises(refunds.RefundRefused) as refused:
        _refund(order, 100, clerk)
    assert refused.value.message == refunds.refusal(order)


# ------------------------------------------------------------------------------------------------
# Asking Stripe, and what its answer does


def test_a_refund_is_recorded_audited_and_asked_of_stripe_once_per_key(card_order, clerk, stripe):
    order = card_order()

    refund = _refund(order, 2_000, clerk)
    again = _refund(order, 2_000, clerk)

    assert again is refund
    assert (refund.order_id, refund.amount_pence, refund.reason) == (
        order.id,
        2_000,
        "Ordered twice",
    )
    assert (refund.idempotency_key, refund.requested_by_user_id) == ("key-1", clerk.id)
    assert (refund.stripe_refund_id, refund.status) == ("re_1", RefundStatus.SUCCEEDED)
    assert stripe.asked == [
        {
            "payment_intent": f"pi_paid_{order.id}",
            "amount_pence": 2_000,
            "idempotency_key": "key-1",
            "metadata": {"order_id": str(order.id), "refund_id": str(refund.id)},
        }
    ]
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "order.refund"))
    assert (entry.actor_user_id, entry.target_type, entry.target_id, entry.note) == (
        clerk.id,
        "order",
        order.reference,
        "Ordered twice",
    )
    assert entry.before == {"refunded_pence": 0, "left_pence": 14_500}
    assert entry.after == {"refund_id": refund.id, "amount_pence": 2_000, "left_pence": 12_500}


def test_a_form_of_another_order_is_refused(card_order, clerk, stripe):
    _refund(card_order(), 100, clerk)
    other = card_order()
    with pytest.raises(refunds.RefundRefused) as refused:
        _refund(other, 100, clerk)
    assert refused.value.message == "This refund form belongs to another order. Start again."
    assert str(refused.value) == refused.value.message
    assert len(stripe.asked) == 1


def test_a_refund_stripe_never_answered_is_asked_again_with_its_key(
    card_order, clerk, stripe, caplog
):
    order = card_order()
    stripe.error = gateway.StripeError("connection reset")
    with pytest.raises(refunds.RefundUnavailable) as unavailable:
        _refund(order, 500, clerk)
    kept = unavailable.value.refund
    assert (kept.status, kept.stripe_refund_id) == (RefundStatus.REQUESTED, None)

    assert str(unavailable.value) == f"refund {kept.id} could not be sent to Stripe"
    assert [r.getMessage() for r in caplog.records if r.name == refunds.log.name] == [
        f"Stripe could not refund {order.reference} (refund {kept.id}): connection reset"
    ]

    stripe.error = None
    again = _refund(order, 500, clerk)

    assert again is kept and again.status is RefundStatus.SUCCEEDED
    assert [asked["idempotency_key"] for asked in stripe.asked] == ["key-1", "key-1"]


def test_a_refund_stripe_already_has_is_not_asked_again(card_order, clerk, stripe):
    order = card_order()
    stripe.status = "pending"
    first = _refund(order, 500, clerk)
    assert (first.status, first.stripe_refund_id) == (RefundStatus.REQUESTED, "re_1")

    assert _refund(order, 500, clerk) is first
    assert len(stripe.asked) == 1


def test_stripe_saying_too_much_is_an_amount_refused(card_order, clerk, stripe):
    stripe.error = gateway.RefundTooLarge("more than is left")
    with pytest.raises(refunds.AmountRefused) as refused:
        _refund(card_order(), 500, clerk)
    assert refused.value.message == (
        "Stripe says that is more than is left of the card payment. "
        "Check the payment in Stripe's dashboard."
    )


def test_an_order_without_a_recorded_payment_is_not_sent(card_order, clerk, stripe):
    order = card_order(OrderState.CANCELLED, receipt=False)
    db.session.scalar(
        select(CheckoutAttempt).where(CheckoutAttempt.order_id == order.id)
    ).stripe_payment_intent_id = None
    with pytest.raises(refunds.RefundRefused) as refused:
        _refund(order, 500, clerk)
    assert refused.value.message == "This order has no card payment recorded to refund."
    assert stripe.asked == []


def test_a_refund_asked_again_of_an_order_with_no_card_payment_is_refused(
    card_order, clerk, stripe
):
    order = card_order(OrderState.PAID, paid=False, receipt=False)
    db.session.add(
        Refund(
            order_id=order.id,
            amount_pence=500,
            status=RefundStatus.REQUESTED,
            idempotency_key="key-1",
        )
    )
    db.session.flush()

    with pytest.raises(refunds.RefundRefused) as refused:
        _refund(order, 500, clerk)

    assert refused.value.message == "This order has no card payment recorded to refund."
    assert stripe.asked == []


@pytest.mark.parametrize("status", ["failed", "canceled"])
def test_a_refund_stripe_refuses_is_marked_failed_and_noted(card_order, clerk, stripe, status):
    order = card_order()
    stripe.status = status

    refund = _refund(order, 2_000, clerk)

    assert refund.status is RefundStatus.FAILED
    assert _notes(order)[-1] == "Refund of £20.00 failed at Stripe"
    assert refunds.refundable_pence(order) == 14_500


def test_a_pending_refund_waits_for_stripe(card_order, clerk, stripe, outbox):
    order = card_order()
    stripe.status = "pending"

    refund = _refund(order, 2_000, clerk)

    assert (refund.status, refund.confirmed_at) == (RefundStatus.REQUESTED, None)
    assert refunds.summary(order).pending_pence == 2_000
    assert not any(note.startswith("Refund of") for note in _notes(order))


# ------------------------------------------------------------------------------------------------
# A confirmed refund


def test_a_partial_refund_leaves_the_downloads_open_and_a_full_one_closes_them(
    card_order, clerk, stripe, outbox
):
    order = card_order()

    _refund(order, 14_499, clerk)
    assert [line.refunded_at for line in order.lines] == [None]

    last = _refund(order, 1, clerk, key="key-2")
    assert [line.refunded_at for line in order.lines] == [last.confirmed_at]
    assert last.confirmed_at is not None


def test_a_confirmed_refund_gets_a_credit_note_a_history_entry_and_an_email(
    card_order, clerk, stripe, outbox
):
    order = card_order()

    refund = _refund(order, 2_000, clerk)
    db.session.commit()

    [note] = [d for d in documents.documents_for(order) if d.kind is DocumentKind.CREDIT_NOTE]
    assert refund.credit_note_id == note.id
    assert refunds.credit_note_numbers(order) == {note.id: note.number}
    entry = db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).all()[-1]
    assert (entry.note, entry.actor_user_id) == ("Refund of £20.00: Ordered twice", clerk.id)
    [email] = outbox
    assert email.to == [order.email]
    assert [(a[0], a[2]) for a in email.attachments] == [(note.filename, "application/pdf")]
    assert order_link(order) in email.body
    assert order.state is OrderState.FULFILLED  # the order keeps its state


def test_a_refund_without_a_reason_is_noted_without_one(card_order, clerk, stripe, outbox):
    order = card_order()
    refund = _refund(order, 2_000, clerk, reason="")
    assert _notes(order)[-1] == "Refund of £20.00"
    note = db.session.get(Document, refund.credit_note_id)
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(note.pdf)).pages)
    assert "Reason: Refund" in text


def test_confirming_twice_changes_nothing_more(card_order, clerk, stripe, outbox):
    order = card_order()
    refund = _refund(order, 2_000, clerk)
    confirmed_at = refund.confirmed_at

    assert refunds.confirm_refund(refund) is refund

    assert refund.confirmed_at == confirmed_at
    assert _notes(order).count("Refund of £20.00: Ordered twice") == 1


def test_without_a_receipt_the_refund_is_flagged_for_a_person(
    card_order, clerk, stripe, outbox, caplog
):
    order = card_order(receipt=False)

    refund = _refund(order, 2_000, clerk)

    assert [r.getMessage() for r in caplog.records if r.name == refunds.log.name] == [
        f"no credit note for refund {refund.id}: order {order.reference} has no receipt"
    ]

    assert refund.status is RefundStatus.SUCCEEDED and refund.credit_note_id is None
    assert order.attention == (
        "Refund of £20.00 (Stripe re_1) was made but no credit note could be issued: "
        f"order {order.reference} has no receipt."
    )


def test_a_late_payment_on_a_cancelled_order_refunded_in_full_is_settled(
    card_order, clerk, stripe, outbox
):
    order = card_order(OrderState.CANCELLED, receipt=False)
    order.attention = "A card payment arrived when the order was already cancelled. Refund it."

    _refund(order, 10_000, clerk)
    assert order.attention.startswith("A card payment arrived")  # £45 still to give back
    _refund(order, 4_500, clerk, key="key-2")

    assert order.attention == ""
    assert refunds.credit_note_numbers(order) == {}


# ------------------------------------------------------------------------------------------------
# Webhook events about refunds


def _event(object_type: str, object_id: str | None) -> gateway.Event:
    return gateway.Event(
        id="evt_1", type="refund.updated", object_type=object_type, object_id=object_id
    )


def test_a_refund_event_confirms_the_refund_it_names(card_order, clerk, stripe, outbox):
    order = card_order()
    stripe.status = "pending"
    refund = _refund(order, 2_000, clerk)
    stripe.retrieved["re_1"] = gateway.RefundResult(id="re_1", status="succeeded", amount=2_000)

    refunds.handle_refund_event(_event("refund", "re_1"))

    assert refund.status is RefundStatus.SUCCEEDED


def test_a_charge_event_confirms_each_refund_of_the_charge(card_order, clerk, stripe, outbox):
    order = card_order()
    stripe.status = "pending"
    first = _refund(order, 1_000, clerk)
    second = _refund(order, 2_000, clerk, key="key-2")
    stripe.of_charge["ch_1"] = [
        gateway.RefundResult(id="re_1", status="succeeded", amount=1_000),
        gateway.RefundResult(id="re_2", status="failed", amount=2_000),
    ]

    refunds.handle_refund_event(_event("charge", "ch_1"))

    assert (first.status, second.status) == (RefundStatus.SUCCEEDED, RefundStatus.FAILED)


@pytest.mark.parametrize("event", [_event("refund", None), _event("payment_intent", "pi_1")])
def test_events_that_name_no_refund_or_charge_are_ignored(stripe, event):
    refunds.handle_refund_event(event)  # neither retrieve_refund nor refunds_of_charge is asked


def test_a_refund_whose_answer_never_arrived_is_found_by_its_metadata(
    card_order, clerk, stripe, outbox
):
    order = card_order()
    stripe.error = gateway.StripeError("timed out")
    with pytest.raises(refunds.RefundUnavailable) as unavailable:
        _refund(order, 2_000, clerk)
    refund = unavailable.value.refund
    made = {"portal": gateway.PORTAL_MARKER, "refund_id": str(refund.id)}
    stripe.retrieved["re_9"] = gateway.RefundResult("re_9", "succeeded", 2_000, metadata=made)

    refunds.handle_refund_event(_event("refund", "re_9"))

    assert (refund.stripe_refund_id, refund.status) == ("re_9", RefundStatus.SUCCEEDED)


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        {"refund_id": "1"},  # not made by the portal
        {"portal": "another-shop", "refund_id": "1"},
        {"portal": gateway.PORTAL_MARKER, "refund_id": "one"},
        {"portal": gateway.PORTAL_MARKER},
        {"portal": gateway.PORTAL_MARKER, "refund_id": "999999"},  # no such refund
    ],
)
def test_refunds_that_are_not_ours_are_left_alone(card_order, clerk, stripe, outbox, metadata):
    order = card_order()
    stripe.error = gateway.StripeError("timed out")
    with pytest.raises(refunds.RefundUnavailable) as unavailable:
        _refund(order, 2_000, clerk)
    refund = unavailable.value.refund
    if metadata and metadata.get("refund_id") == "1":
        metadata = {**metadata, "refund_id": str(refund.id)}
    stripe.retrieved["re_9"] = gateway.RefundResult("re_9", "succeeded", 2_000, metadata=metadata)

    refunds.handle_refund_event(_event("refund", "re_9"))

    assert (refund.stripe_refund_id, refund.status) == (None, RefundStatus.REQUESTED)


def test_metadata_naming_a_refund_stripe_made_otherwise_is_left_alone(
    card_order, clerk, stripe, outbox
):
    order = card_order()
    stripe.status = "pending"
    refund = _refund(order, 2_000, clerk)  # Stripe's re_1
    made = {"portal": gateway.PORTAL_MARKER, "refund_id": str(refund.id)}
    stripe.retrieved["re_9"] = gateway.RefundResult("re_9", "succeeded", 2_000, metadata=made)

    refunds.handle_refund_event(_event("refund", "re_9"))

    assert (refund.stripe_refund_id, refund.status) == ("re_1", RefundStatus.REQUESTED)
