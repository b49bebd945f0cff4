"""The refund service's dealings with Stripe, with Stripe's answers given: a refund sent again
after Stripe never answered, and the webhook events that confirm (or fail) refunds of ours,
found by their Stripe id or, when Stripe's first answer never arrived, by their metadata; and
what is left to refund while refunds are asked for, made or failed (copies, postage)."""

from datetime import date

import pytest
from sqlalchemy import select

from portal import pricing
from portal.audit.models import AuditEntry
from portal.catalogue.models import ReportFormat
from portal.clock import today_in_london
from portal.documents import services as documents
from portal.documents.models import Document, DocumentKind
from portal.extensions import db
from portal.orders.models import Order, OrderEvent, OrderState, PaymentMethod
from portal.orders.services import InvoiceDetails
from portal.payments import (
    cancellation,
    card_repayments,
    gateway,
    invoices,
    refund_lines,
    refunds,
)
from portal.payments import refund_effects as effects
from portal.payments.models import AttemptStatus, CheckoutAttempt, Refund, RefundStatus
from portal.pricing import FormatKind
from tests.documents.helpers import pdf_text
from tests.payments.helpers import FINANCE, VERIFIED, record_card_payment

PAID_ON = date(2026, 11, 30)


@pytest.fixture(autouse=True)
def _stripe_is_the_standin():
    """No stand-in: these tests give Stripe's answers themselves."""


class Stripe:
    """What ``gateway`` answers, set by each test; the refunds asked of it are kept."""

    def __init__(self):
        self.asked: list[dict] = []
        self.status = "succeeded"
        self.failure_reason: str | None = None
        self.error: Exception | None = None
        self.retrieved: dict[str, gateway.RefundResult] = {}
        self.of_charge: dict[str, list[gateway.RefundResult]] = {}

    def create_refund(self, **kwargs) -> gateway.RefundResult:
        self.asked.append(kwargs)
        if self.error:
            raise self.error
        return gateway.RefundResult(
            id=f"re_{len(self.asked)}",
            status=self.status,
            amount=kwargs["amount_pence"],
            failure_reason=self.failure_reason,
        )

    def retrieve_refund(self, refund_id: str) -> gateway.RefundResult:
        return self.retrieved[refund_id]

    def refunds_of_charge(self, charge_id: str) -> list[gateway.RefundResult]:
        return self.of_charge[charge_id]


@pytest.fixture
def stripe(monkeypatch):
    answers = Stripe()
    monkeypatch.setattr(gateway, "create_refund", answers.create_refund)
    monkeypatch.setattr(gateway, "retrieve_refund", answers.retrieve_refund)
    monkeypatch.setattr(gateway, "refunds_of_charge", answers.refunds_of_charge)
    return answers


@pytest.fixture
def card_order(ctx, create_order):
    """A PDF (£145) and two printed copies (£175 each) paid by card through Stripe's payment
    ``pi_paid_<id>``, receipted and complete (or in ``state``); ``placed`` goes to
    ``create_order`` (another ``report``, other quantities)."""

    def make(*, receipt: bool = True, state: OrderState = OrderState.FULFILLED, **placed):
        placed = {"pdf": 1, "prints": 2} | placed
        order = create_order(method=PaymentMethod.CARD, state=state, **placed)
        record_card_payment(order)
        if receipt:
            documents.issue_receipt(order, PAID_ON)
        return order

    return make


@pytest.fixture
def clerk(create_user):
    return create_user(name="Kim Clerk", is_admin=True)


def _line(order, kind: str) -> int:
    return next(line.id for line in order.lines if line.format_kind == kind)


def _refund_pdf(order, by, key="key-1", reason="Ordered twice"):
    return refunds.request_refund(
        order, {_line(order, FormatKind.PDF): 1}, reason, by, request_key=key
    )


def _refund_a_copy(order, by, key="key-2"):
    return refunds.request_refund(
        order, {_line(order, FormatKind.PRINT): 1}, "Ordered twice", by, request_key=key
    )


def _notes(order) -> list[str]:
    return list(
        db.session.scalars(
            select(OrderEvent.note).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        )
    )


def _logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == refunds.log.name]


def _event(object_type: str, object_id: str | None) -> gateway.Event:
    return gateway.Event(
        id="evt_1", type="refund.updated", object_type=object_type, object_id=object_id
    )


def _unanswered(order, clerk, stripe):
    """A refund of the PDF line that Stripe never answered: kept as requested."""
    stripe.error = gateway.StripeError("timed out")
    with pytest.raises(refunds.RefundUnavailable) as unavailable:
        _refund_pdf(order, clerk)
    stripe.error = None
    return unavailable.value.refund


# ------------------------------------------------------------------------------------------------
# Sending again


def test_stripe_is_asked_for_the_refund_naming_the_order_and_the_refund(card_order, clerk, stripe):
    card_order()  # another order's payment is never the one refunded
    order = card_order()
    refund = _refund_pdf(order, clerk)
    [asked] = stripe.asked
    assert asked == {
        "payment_intent": f"pi_paid_{order.id}",
        "amount_pence": 14_500,
        "idempotency_key": "key-1",
        "metadata": {
            "order_id": str(order.id),
            "refund_id": str(refund.id),
            "reference": order.reference,
            "description": f"Socitm Insight order {order.reference}",
        },
    }


def test_a_refund_stripe_never_answered_says_so_and_is_kept(card_order, clerk, stripe, caplog):
    order = card_order()
    refund = _unanswered(order, clerk, stripe)
    assert (refund.status, refund.stripe_refund_id) == (RefundStatus.REQUESTED, None)
    assert _logged(caplog) == [
        f"Stripe could not refund {order.reference} (refund {refund.id}): timed out"
    ]
    assert str(refunds.RefundUnavailable(refund)) == (
        f"refund {refund.id} could not be sent to Stripe"
    )
    assert refunds.RefundUnavailable(refund).refund is refund


def test_a_refund_sent_again_that_stripe_now_refuses_is_marked_failed_and_noted(
    card_order, clerk, stripe
):
    order = card_order()
    refund = _unanswered(order, clerk, stripe)
    stripe.error = gateway.RefundDeclined("This charge is disputed.")

    with pytest.raises(refunds.StripeRefused) as refused:
        _refund_pdf(order, clerk)

    assert refused.value.recorded is True
    assert refused.value.message == (
        "Stripe refused the refund: This charge is disputed. Nothing has been refunded."
    )
    assert refund.status is RefundStatus.FAILED
    assert _notes(order)[-1] == "Refund of £145.00 refused by Stripe"
    assert [asked["idempotency_key"] for asked in stripe.asked] == ["key-1", "key-1"]
    # The failed refund holds nothing: the line can be refunded again, with a new form.
    assert refunds.refundable_pence(order) == order.total_pence
    stripe.error = None
    assert _refund_pdf(order, clerk, key="key-3").status is RefundStatus.SUCCEEDED


def test_stripe_refusing_a_first_request_records_nothing(card_order, clerk, stripe, caplog):
    order = card_order()
    stripe.error = gateway.RefundDeclined("This charge is disputed.")
    with pytest.raises(refunds.StripeRefused) as refused:
        _refund_pdf(order, clerk)
    assert refused.value.recorded is False
    [refund] = db.session.scalars(select(Refund).where(Refund.order_id == order.id))
    assert _logged(caplog) == [
        f"Stripe refused refund {refund.id} of {order.reference}: This charge is disputed."
    ]


@pytest.mark.parametrize("status", ["failed", "canceled"])
def test_a_refund_stripe_fails_at_once_is_marked_failed_and_noted(
    card_order, clerk, stripe, status
):
    order = card_order()
    stripe.status, stripe.failure_reason = status, "declined"

    refund = _refund_pdf(order, clerk)

    assert (refund.status, refund.stripe_refund_id) == (RefundStatus.FAILED, "re_1")
    assert refund.failure_reason == "declined"
    assert _notes(order)[-1] == "Refund of £145.00 failed at Stripe: the card's bank declined it"
    assert refunds.refundable_pence(order) == order.total_pence
    # The administrator who asked reads Stripe's answer on the page: nobody else is told.
    assert order.attention == ""


def test_a_refund_stripe_fails_later_is_flagged_for_a_person(card_order, clerk, stripe):
    order = card_order()
    stripe.status = "pending"
    refund = _refund_pdf(order, clerk)
    stripe.retrieved["re_1"] = gateway.RefundResult(
        id="re_1", status="failed", amount=14_500, failure_reason="expired_or_canceled_card"
    )

    refunds.handle_refund_event(_event("refund", "re_1"))

    assert (refund.status, refund.failure_reason) == (
        RefundStatus.FAILED,
        "expired_or_canceled_card",
    )
    words = "the card has expired or been cancelled"
    assert _notes(order)[-1] == f"Refund of £145.00 failed at Stripe: {words}"
    assert order.attention == f"Refund of £145.00 failed at Stripe ({words}): nothing was refunded."


def test_stripe_saying_too_much_is_an_amount_refused(card_order, clerk, stripe):
    stripe.error = gateway.RefundTooLarge("more than is left")
    with pytest.raises(refunds.AmountRefused) as refused:
        _refund_pdf(card_order(), clerk)
    assert refused.value.message == (
        "Stripe says that is more than is left of the card payment. "
        "Check the payment in Stripe's dashboard."
    )


def test_an_order_without_a_recorded_payment_intent_is_not_sent(card_order, clerk, stripe):
    order = card_order()
    db.session.scalar(
        select(CheckoutAttempt).where(CheckoutAttempt.order_id == order.id)
    ).stripe_payment_intent_id = None
    with pytest.raises(refunds.RefundRefused) as refused:
        _refund_pdf(order, clerk)
    assert refused.value.message == "This order has no card payment recorded to refund."
    assert stripe.asked == []


def test_a_refund_sent_again_of_an_order_with_no_card_payment_left_is_refused(
    card_order, clerk, stripe
):
    order = card_order()
    refund = _unanswered(order, clerk, stripe)
    attempt = db.session.scalar(select(CheckoutAttempt).where(CheckoutAttempt.order_id == order.id))
    attempt.status = AttemptStatus.EXPIRED
    with pytest.raises(refunds.RefundRefused) as refused:
        _refund_pdf(order, clerk)
    assert refused.value.message == "This order has no card payment recorded to refund."
    assert refund.status is RefundStatus.REQUESTED and len(stripe.asked) == 1


def test_once_everything_paid_is_refunded_nothing_more_is_taken(card_order, clerk, stripe):
    order = card_order()
    everything = {line.id: line.quantity for line in order.lines}
    postage = order.postage_pence > 0
    refunds.request_refund(
        order, everything, "Ordered twice", clerk, request_key="key-1", postage=postage
    )
    assert refunds.refundable_pence(order) == 0

    with pytest.raises(refunds.AmountRefused) as refused:
        refunds.check_choice(order, {_line(order, FormatKind.PDF): 1}, False)

    assert refused.value.message == "Everything paid on this order has been refunded or asked for"


def test_a_refund_stripe_has_not_confirmed_holds_its_line_and_records_nothing_yet(
    card_order, clerk, stripe
):
    order = card_order()
    stripe.status = "pending"

    refund = _refund_pdf(order, clerk)

    assert (refund.status, refund.confirmed_at, refund.credit_note_id) == (
        RefundStatus.REQUESTED,
        None,
        None,
    )
    assert refunds.summary(order).pending_pence == 14_500
    assert not any(note.startswith("Refund of") for note in _notes(order))
    with pytest.raises(refunds.RefundRefused) as refused:
        _refund_pdf(order, clerk, key="key-2")
    assert refused.value.message.endswith("has already been refunded.")


def test_a_confirmed_refund_is_noted_credited_and_emailed_once(card_order, clerk, stripe, outbox):
    order = card_order()

    refund = _refund_pdf(order, clerk)
    db.session.commit()  # the email goes once the refund is committed
    confirmed_at = refund.confirmed_at

    [note] = [d for d in documents.documents_for(order) if d.kind is DocumentKind.CREDIT_NOTE]
    assert refund.credit_note_id == note.id
    assert refunds.credit_note_numbers(order) == {note.id: note.number}
    entry = db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).all()[-1]
    assert (entry.note, entry.actor_user_id) == ("Refund of £145.00: Ordered twice", clerk.id)
    [email] = outbox
    assert [(a[0], a[2]) for a in email.attachments] == [(note.filename, "application/pdf")]
    assert order.state is OrderState.FULFILLED  # the order keeps its state

    assert refunds.confirm_refund(refund) is refund  # a repeated confirmation
    assert refund.confirmed_at == confirmed_at
    db.session.commit()
    assert _notes(order).count("Refund of £145.00: Ordered twice") == 1
    assert len(outbox) == 1


def test_a_refund_without_a_reason_is_noted_without_one(card_order, clerk, stripe):
    order = card_order()
    refund = _refund_pdf(order, clerk, reason="")
    assert _notes(order)[-1] == "Refund of £145.00"
    assert "Reason: Refund" in pdf_text(db.session.get(Document, refund.credit_note_id).pdf)


def test_without_a_receipt_the_refund_is_flagged_for_a_person(card_order, clerk, stripe, caplog):
    order = card_order(receipt=False)

    refund = _refund_pdf(order, clerk)

    assert [r.getMessage() for r in caplog.records if r.name == effects.log.name] == [
        f"no credit note for refund {refund.id}: order {order.reference} has no receipt"
    ]
    assert refund.status is RefundStatus.SUCCEEDED and refund.credit_note_id is None
    assert order.attention == (
        "Refund of £145.00 (Stripe re_1) was made but no credit note could be issued: "
        f"order {order.reference} has no receipt."
    )


def _stock(order) -> int:
    line = next(line for line in order.lines if line.format_kind == FormatKind.PRINT)
    db.session.expire(line.report_format, ["stock"])
    return line.report_format.stock


def test_copies_never_posted_go_back_in_stock_and_the_last_completes_the_order(
    card_order, clerk, stripe
):
    order = card_order(state=OrderState.PAID)  # two printed copies still to post
    printed = next(line for line in order.lines if line.format_kind == FormatKind.PRINT)
    stock = _stock(order)

    first = _refund_a_copy(order, clerk, key="key-1")
    assert (printed.refunded_quantity, printed.refunded_at) == (1, None)
    assert _stock(order) == stock + 1
    assert order.state is OrderState.PAID  # one copy is still to post

    last = _refund_a_copy(order, clerk, key="key-2")
    assert (printed.refunded_quantity, printed.refunded_at) == (2, last.confirmed_at)
    assert first.confirmed_at is not None
    assert _stock(order) == stock + 2
    assert order.state is OrderState.FULFILLED
    completed = db.session.scalars(
        select(OrderEvent).where(
            OrderEvent.order_id == order.id,
            OrderEvent.from_state == OrderState.PAID,
            OrderEvent.to_state == OrderState.FULFILLED,
        )
    ).one()
    assert (completed.note, completed.actor_user_id) == (
        "Nothing left to post: the copies were refunded",
        clerk.id,
    )
    assert _line(order, FormatKind.PDF) in {line.id for line in order.lines if not line.refunded_at}


def test_copies_already_posted_do_not_go_back_in_stock(card_order, clerk, stripe):
    order = card_order(state=OrderState.PAID)
    printed = next(line for line in order.lines if line.format_kind == FormatKind.PRINT)
    printed.dispatched_at = order.created_at
    stock = _stock(order)

    _refund_a_copy(order, clerk)

    assert _stock(order) == stock and printed.refunded_quantity == 1
    assert order.state is OrderState.FULFILLED  # every copy left was posted already


def test_a_refund_of_the_pdf_alone_leaves_copies_to_post_waiting(card_order, clerk, stripe):
    order = card_order(state=OrderState.PAID)
    _refund_pdf(order, clerk)
    assert order.state is OrderState.PAID


# ------------------------------------------------------------------------------------------------
# Webhook events about refunds


def test_a_refund_event_confirms_the_refund_it_names(card_order, clerk, stripe):
    order = card_order()
    stripe.status = "pending"
    refund = _refund_pdf(order, clerk)
    stripe.retrieved["re_1"] = gateway.RefundResult(id="re_1", status="succeeded", amount=14_500)

    refunds.handle_refund_event(_event("refund", "re_1"))

    assert refund.status is RefundStatus.SUCCEEDED
    assert _notes(order)[-1] == "Refund of £145.00: Ordered twice"


@pytest.mark.parametrize("status", ["failed", "canceled"])
def test_a_charge_event_records_each_refund_of_the_charge(card_order, clerk, stripe, status):
    order = card_order()
    stripe.status = "pending"
    first = _refund_pdf(order, clerk)
    second = _refund_a_copy(order, clerk)
    stripe.of_charge["ch_1"] = [
        gateway.RefundResult(id="re_1", status="succeeded", amount=14_500),
        gateway.RefundResult(id="re_2", status=status, amount=17_500),
    ]

    refunds.handle_refund_event(_event("charge", "ch_1"))

    assert (first.status, second.status) == (RefundStatus.SUCCEEDED, RefundStatus.FAILED)
    assert _notes(order)[-2:] == [
        "Refund of £145.00: Ordered twice",
        "Refund of £175.00 failed at Stripe",
    ]


@pytest.mark.parametrize(
    "event",
    [_event("refund", None), _event("charge", None), _event("payment_intent", "re_1")],
    ids=["refund-without-id", "charge-without-id", "another-object"],
)
def test_events_that_name_no_refund_or_charge_are_ignored(card_order, clerk, stripe, event):
    order = card_order()
    stripe.status = "pending"
    refund = _refund_pdf(order, clerk)
    stripe.retrieved["re_1"] = gateway.RefundResult(id="re_1", status="succeeded", amount=14_500)
    stripe.of_charge["ch_1"] = [stripe.retrieved["re_1"]]

    refunds.handle_refund_event(event)

    assert refund.status is RefundStatus.REQUESTED


@pytest.mark.parametrize(
    ("answer", "status"), [("succeeded", RefundStatus.SUCCEEDED), ("failed", RefundStatus.FAILED)]
)
def test_a_refund_whose_answer_never_arrived_is_found_by_its_metadata(
    card_order, clerk, stripe, answer, status
):
    order = card_order()
    refund = _unanswered(order, clerk, stripe)
    made = {"portal": gateway.PORTAL_MARKER, "refund_id": str(refund.id)}
    stripe.retrieved["re_9"] = gateway.RefundResult("re_9", answer, 14_500, metadata=made)

    refunds.handle_refund_event(_event("refund", "re_9"))

    assert (refund.stripe_refund_id, refund.status) == ("re_9", status)
    # Found once, it is found by its Stripe id from then on, and recorded only once.
    notes = _notes(order)
    stripe.retrieved["re_9"] = gateway.RefundResult("re_9", answer, 14_500)
    refunds.handle_refund_event(_event("refund", "re_9"))
    assert _notes(order) == notes


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        {},
        {"refund_id": "OURS"},  # not made by the portal
        {"portal": "another-shop", "refund_id": "OURS"},
        {"portal": gateway.PORTAL_MARKER.upper(), "refund_id": "OURS"},
        {"portal": gateway.PORTAL_MARKER, "refund_id": "one"},
        {"portal": gateway.PORTAL_MARKER, "refund_id": ""},
        {"portal": gateway.PORTAL_MARKER},
        {"portal": gateway.PORTAL_MARKER, "refund_id": "999999"},  # no such refund
    ],
)
def test_refunds_that_are_not_ours_are_left_alone(card_order, clerk, stripe, metadata):
    order = card_order()
    refund = _unanswered(order, clerk, stripe)
    if metadata and metadata.get("refund_id") == "OURS":
        metadata = {**metadata, "refund_id": str(refund.id)}
    stripe.retrieved["re_9"] = gateway.RefundResult("re_9", "succeeded", 14_500, metadata=metadata)

    refunds.handle_refund_event(_event("refund", "re_9"))

    assert (refund.stripe_refund_id, refund.status) == (None, RefundStatus.REQUESTED)


def test_metadata_naming_a_refund_stripe_made_otherwise_is_left_alone(card_order, clerk, stripe):
    order = card_order()
    stripe.status = "pending"
    refund = _refund_pdf(order, clerk)  # Stripe's re_1
    made = {"portal": gateway.PORTAL_MARKER, "refund_id": str(refund.id)}
    stripe.retrieved["re_9"] = gateway.RefundResult("re_9", "succeeded", 14_500, metadata=made)

    refunds.handle_refund_event(_event("refund", "re_9"))

    assert (refund.stripe_refund_id, refund.status) == ("re_1", RefundStatus.REQUESTED)


# ------------------------------------------------------------------------------------------------
# Cancelled orders


def test_a_cancelled_card_order_refunded_in_full_gets_its_credit_note_and_is_settled(
    card_order, clerk, stripe
):
    order = card_order(state=OrderState.PAID)
    cancellation.cancel_order(order, clerk.id, "No longer needed", PAID_ON)
    assert "Refund it" in order.attention

    refund = refunds.request_refund(order, {}, "Cancelled", clerk, request_key="key-1")

    assert (refund.amount_pence, refund.postage_pence) == (order.total_pence, 0)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "order.refund"))
    assert (entry.after["lines"], entry.after["postage_pence"]) == ({}, 0)  # no lines chosen
    assert [line.refunded_at for line in order.lines] == [refund.confirmed_at] * 2  # all closed
    note = db.session.get(Document, refund.credit_note_id)
    assert (note.kind, note.total_pence) == (DocumentKind.CREDIT_NOTE, -order.total_pence)
    assert order.attention == ""


def test_a_cancelled_order_whose_invoice_was_credited_in_full_gets_no_more_paperwork(
    app, invoice_order, clerk
):
    placed = invoice_order(paid=True)
    with app.test_request_context():
        order = db.session.get(Order, placed.id)
        cancellation.cancel_order(order, clerk.id, "No longer needed", PAID_ON)
        notes = refunds.credit_note_numbers(order)

        refund = refunds.request_refund(
            order,
            {},
            "Cancelled",
            clerk,
            request_key="key-1",
            refunded_on=PAID_ON,
            bank_reference="REFUND-1",
        )

        assert refund.credit_note_id is None and refunds.credit_note_numbers(order) == notes
        assert order.attention == ""  # everything paid has gone back


def test_a_cancelled_order_whose_receipt_has_a_penny_left_to_credit_is_flagged_for_a_person(
    card_order, clerk, stripe
):
    order = card_order(state=OrderState.PAID)
    receipt = documents.first_of_kind(order, DocumentKind.RECEIPT)
    documents.issue_credit_note(receipt, order.total_pence - 1, PAID_ON, "Corrected by hand")
    cancellation.cancel_order(order, clerk.id, "No longer needed", PAID_ON)

    refund = refunds.request_refund(order, {}, "Cancelled", clerk, request_key="key-1")

    assert refund.credit_note_id is None
    assert order.attention.endswith(f"{receipt.number} has £0.01 left to credit, not £495.00.")


def test_a_bank_transfer_without_a_document_to_credit_is_flagged_without_a_stripe_id(
    ctx, create_order, clerk, stripe
):
    order = create_order(pdf=1, method=PaymentMethod.INVOICE, state=OrderState.PAID)

    refund = refunds.request_refund(
        order,
        {_line(order, FormatKind.PDF): 1},
        "Ordered twice",
        clerk,
        request_key="key-1",
        refunded_on=PAID_ON,
        bank_reference="REFUND-1",
    )

    assert refund.credit_note_id is None
    assert order.attention == (
        "Refund of £145.00 was made but no credit note could be issued: "
        f"order {order.reference} has no receipt."
    )


def test_an_order_that_is_not_cancelled_keeps_its_flag_when_refunded_in_full(
    card_order, clerk, stripe
):
    order = card_order()
    order.attention = "The buyer asked for the copies to go to another address."
    everything = {line.id: line.quantity for line in order.lines}

    refunds.request_refund(order, everything, "Ordered twice", clerk, request_key="key-1")

    assert refunds.refundable_pence(order) == 0
    assert order.attention == "The buyer asked for the copies to go to another address."


def test_a_form_of_another_order_is_refused(card_order, clerk, stripe):
    _refund_pdf(card_order(), clerk)
    with pytest.raises(refunds.RefundRefused) as refused:
        _refund_pdf(card_order(), clerk)
    assert refused.value.message == "This refund form belongs to another order. Start again."
    assert len(stripe.asked) == 1


def _transfer(order, by, **bank):
    line = {_line(order, FormatKind.PDF): 1}
    return refunds.request_refund(order, line, "Ordered twice", by, request_key="key-1", **bank)


@pytest.mark.parametrize(
    "bank",
    [
        {},
        {"refunded_on": PAID_ON},
        {"bank_reference": "REFUND-1"},
        {"refunded_on": PAID_ON, "bank_reference": "  "},
    ],
    ids=["neither", "no-reference", "no-date", "blank-reference"],
)
def test_a_bank_transfer_needs_its_date_and_reference(ctx, create_order, clerk, bank):
    order = create_order(pdf=1, method=PaymentMethod.INVOICE, state=OrderState.PAID)
    with pytest.raises(refunds.RefundRefused) as refused:
        _transfer(order, clerk, **bank)
    assert refused.value.message == "Enter the date and the reference of the bank transfer."


def test_a_bank_transfer_sent_again_with_its_form_is_the_same_refund(ctx, create_order, clerk):
    order = create_order(pdf=1, method=PaymentMethod.INVOICE, state=OrderState.PAID)
    bank = {"refunded_on": PAID_ON, "bank_reference": "REFUND-1"}
    first = _transfer(order, clerk, **bank)
    assert (first.status, first.bank_reference) == (RefundStatus.SUCCEEDED, "REFUND-1")
    assert _transfer(order, clerk, **bank) is first


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        ({}, "Choose at least one line to refund."),
        ({999_999: 1}, "That line is not part of this order. Start again."),
        ({"print": 3}, "Choose between 1 and 2 copies of “{title}” to refund."),
        ({"print": 0}, "Choose between 1 and 2 copies of “{title}” to refund."),
    ],
    ids=["nothing", "another-orders-line", "too-many", "none"],
)
def test_a_choice_that_cannot_be_refunded_says_why(card_order, chosen, message):
    order = card_order()
    lines = {
        _line(order, line) if isinstance(line, str) else line: copies
        for line, copies in chosen.items()
    }
    with pytest.raises(refunds.RefundRefused) as refused:
        refunds.check_choice(order, lines, False)
    assert refused.value.message == message.format(title=order.lines[0].report_title)


# ------------------------------------------------------------------------------------------------
# What is left to refund: copies held by refunds, postage, a penny


def _report(create_report, *, pdf_pence=14_500, print_pence=17_500, vat=0, postage=0):
    """A report whose PDF and printed copy cost what is given, the printed copy with that VAT
    rate (basis points) and postage."""
    return create_report(
        formats=[
            ReportFormat(kind=FormatKind.PDF, price_pence=pdf_pence, subscriber_price_pence=0),
            ReportFormat(
                kind=FormatKind.PRINT,
                price_pence=print_pence,
                vat_rate_basis_points=vat,
                stock=10,
                postage_pence=postage,
            ),
        ]
    )


def _refund_postage(order, by, key="key-1"):
    return refunds.request_refund(order, {}, "Not posted", by, request_key=key, postage=True)


def test_copies_taken_are_counted_by_line_for_that_order_alone(card_order, clerk, stripe):
    order, other = card_order(), card_order()
    pdf, printed = _line(order, FormatKind.PDF), _line(order, FormatKind.PRINT)
    stripe.status = "pending"  # asked for, held until Stripe says
    refunds.request_refund(order, {pdf: 1, printed: 1}, "Ordered twice", clerk, request_key="a")
    refunds.request_refund(order, {printed: 1}, "Ordered twice", clerk, request_key="b")
    refunds.request_refund(
        other, {_line(other, FormatKind.PRINT): 2}, "Ordered twice", clerk, request_key="c"
    )

    assert refund_lines.taken(order) == {pdf: 1, printed: 2}


def test_a_copy_after_those_a_refund_not_yet_confirmed_holds_is_priced_after_them(
    card_order, create_report, clerk, stripe
):
    # Three copies at £10.01 with VAT at 20%: £30.03 and £6.01 of VAT, given back £12.01, then
    # £12.02, then £12.01, so that the three add up to the line to the penny.
    order = card_order(report=_report(create_report, print_pence=1_001, vat=2_000), prints=3)
    printed = _line(order, FormatKind.PRINT)
    stripe.status = "pending"

    first = refunds.request_refund(order, {printed: 1}, "Damaged", clerk, request_key="key-1")

    assert (first.status, first.amount_pence) == (RefundStatus.REQUESTED, 1_201)
    assert refunds.check_choice(order, {printed: 1}, False).amount_pence == 1_202


def test_a_line_that_cost_a_penny_is_refunded_once(card_order, create_report, clerk, stripe):
    order = card_order(report=_report(create_report, pdf_pence=1))
    pdf = _line(order, FormatKind.PDF)
    assert refunds.check_choice(order, {pdf: 1}, False).amount_pence == 1
    stripe.status = "pending"
    _refund_pdf(order, clerk)

    with pytest.raises(refunds.RefundRefused) as refused:
        refunds.check_choice(order, {pdf: 1}, False)

    assert refused.value.message == f"“{order.lines[0].report_title}” has already been refunded."


@pytest.mark.parametrize("postage", [1, 450])
def test_postage_goes_back_when_chosen_and_only_then(card_order, create_report, postage):
    order = card_order(report=_report(create_report, postage=postage))
    assert order.postage_pence == postage
    pdf = _line(order, FormatKind.PDF)

    alone = refunds.check_choice(order, {pdf: 1}, False)
    with_postage = refunds.check_choice(order, {pdf: 1}, True)

    assert (alone.postage_pence, alone.amount_pence) == (0, 14_500)
    assert (with_postage.postage_pence, with_postage.amount_pence) == (postage, 14_500 + postage)


@pytest.mark.parametrize(
    ("stripe_says", "then_says", "refunded"),
    [
        ("succeeded", None, True),
        ("pending", None, True),  # asked for: held until Stripe says
        ("failed", None, False),  # never made: the postage may be refunded again
        ("succeeded", "failed", True),  # failed after it was made: owed, never refunded again
    ],
    ids=["made", "asked-for", "failed-before-made", "failed-after-made"],
)
def test_postage_refunded_or_asked_for_is_not_refunded_again(
    card_order, create_report, clerk, stripe, stripe_says, then_says, refunded
):
    order = card_order(report=_report(create_report, postage=450))
    stripe.status = stripe_says
    refund = _refund_postage(order, clerk)
    if then_says:
        stripe.retrieved["re_1"] = gateway.RefundResult(id="re_1", status=then_says, amount=450)
        refunds.handle_refund_event(_event("refund", "re_1"))
        assert refund.failed_after_made

    if refunded:
        with pytest.raises(refunds.RefundRefused) as refused:
            refunds.check_choice(order, {}, True)
        assert refused.value.message == "The postage has already been refunded."
    else:
        assert refunds.check_choice(order, {}, True).postage_pence == 450


def test_postage_refunded_on_one_order_leaves_another_orders(
    card_order, create_report, clerk, stripe
):
    report = _report(create_report, postage=450)
    order, other = card_order(report=report), card_order(report=report)

    _refund_postage(other, clerk)

    assert refunds.check_choice(order, {}, True).postage_pence == 450


def _stripe_reported_paid(order, pence: int | None) -> None:
    attempt = db.session.scalar(select(CheckoutAttempt).where(CheckoutAttempt.order_id == order.id))
    attempt.amount_paid_pence = pence


def test_a_card_payment_stripe_reported_without_an_amount_counts_as_nothing_paid(card_order):
    order = card_order()
    _stripe_reported_paid(order, None)
    assert (refunds.summary(order).paid_pence, refunds.refundable_pence(order)) == (0, 0)


def test_a_penny_that_reached_a_cancelled_order_is_refunded_to_the_card(card_order, clerk, stripe):
    order = card_order(state=OrderState.PAID, receipt=False)
    _stripe_reported_paid(order, 1)
    cancellation.cancel_order(order, clerk.id, "No longer needed", PAID_ON)
    assert refunds.refusal(order) is None

    refund = refunds.request_refund(order, {}, "Cancelled", clerk, request_key="key-1")

    assert [asked["amount_pence"] for asked in stripe.asked] == [1]
    assert (refund.amount_pence, refund.status) == (1, RefundStatus.SUCCEEDED)
    assert refunds.refundable_pence(order) == 0


def _invoice_order(create_order, person=VERIFIED):
    return create_order(
        pdf=0,
        prints=1,
        method=PaymentMethod.INVOICE,
        person=person,
        invoice=InvoiceDetails("PO-9", "Town Hall", "", "Eastbridge", "EB1 2CD", FINANCE),
    )


def _free(create_order, create_report):
    report = create_report(
        formats=[ReportFormat(kind=FormatKind.PDF, price_pence=0, subscriber_price_pence=0)]
    )
    return create_order(report=report)


def _invoice_cancelled_unpaid(create_order, create_report):
    order = _invoice_order(create_order)
    invoices.issue_invoice_for(order, PAID_ON)
    cancellation.cancel_order(order, None, "No longer needed", PAID_ON)
    return order


def _invoice_not_yet_issued(create_order, create_report):
    return _invoice_order(create_order)


def _invoice_waiting_for_approval(create_order, create_report):
    return _invoice_order(create_order, person=pricing.GUEST)


@pytest.mark.parametrize(
    ("make", "state", "message"),
    [
        (
            _free,
            OrderState.FULFILLED,
            "Nothing was paid for this order, so there is nothing to refund.",
        ),
        (
            _invoice_cancelled_unpaid,
            OrderState.CANCELLED,
            "This order is cancelled: there is no payment to refund.",
        ),
        (
            _invoice_not_yet_issued,
            OrderState.AWAITING_INVOICE_PAYMENT,
            "This order is waiting for invoice payment: there is no invoice to credit.",
        ),
        (
            _invoice_waiting_for_approval,
            OrderState.AWAITING_APPROVAL,
            "This order is waiting for approval: no invoice has been issued to credit. "
            "Cancel it instead.",
        ),
    ],
    ids=["free", "invoice-cancelled-unpaid", "invoice-not-issued", "waiting-for-approval"],
)
def test_an_order_with_nothing_to_refund_or_credit_says_why(
    ctx, create_order, create_report, make, state, message
):
    order = make(create_order, create_report)
    assert order.state is state
    assert refunds.refusal(order) == message
    with pytest.raises(refunds.RefundRefused) as refused:
        refunds.check_choice(order, {order.lines[0].id: 1}, False)
    assert refused.value.message == message


# ------------------------------------------------------------------------------------------------
# A refund that failed after it was made, repaid by a new refund to the card


def test_a_card_refund_repaying_a_failed_one_marks_it_repaid_and_gives_back_nothing_again(
    card_order, clerk, stripe
):
    order = card_order()
    failed = _refund_pdf(order, clerk)  # made: its credit note issued, the PDF line closed
    stripe.retrieved["re_1"] = gateway.RefundResult(
        id="re_1", status="failed", amount=14_500, failure_reason="declined"
    )
    refunds.handle_refund_event(_event("refund", "re_1"))  # then it failed
    assert failed.owed_pence == 14_500
    notes_before = len(documents.documents_for(order))

    repayment = card_repayments.repay_by_card(failed, clerk, request_key="repay-key-1")

    assert stripe.asked[-1]["amount_pence"] == 14_500
    assert (repayment.status, repayment.repays_refund_id) == (RefundStatus.SUCCEEDED, failed.id)
    assert (failed.repaid_on, failed.repaid_reference) == (today_in_london(), "Stripe re_2")
    assert failed.owed_pence == 0 and order.attention == ""
    assert len(documents.documents_for(order)) == notes_before  # no second credit note
    assert repayment.lines == []
    totals = refunds.summary(order)
    assert (totals.refunded_pence, totals.pending_pence) == (14_500, 0)  # counted once
    assert _notes(order)[-1].startswith("Failed refund of £145.00 repaid to the card on ")
