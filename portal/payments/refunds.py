"""Refunds and credits of chosen lines of any paid order, recorded against the order.

How the money goes back follows from how the order was paid (``method_for``): a card payment is
refunded through Stripe; an invoice paid by bank transfer is refunded by bank transfer, recorded
with its date and reference; an invoice not yet paid is credited, so that less is owed and no
money moves. Each issues a credit note naming the lines (and copies) it gives back; refunded
PDF lines lose access, and printed copies never posted go back into stock.

``request_refund`` locks the order row while it checks what is left and records the refund, so
two administrators can never refund one line twice or more than was paid; the form's request
key is the refund's idempotency key, so a retried click finds the refund it already made and
Stripe is asked only once. ``confirm_refund`` is the one idempotent function that records a
refund made (credit note, stock, order history, email); for a card it runs when Stripe's first
answer is final, or later when its webhook says so, and never before Stripe accepts.

Services flush; the caller commits once.
"""

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from portal import audit, pricing
from portal.clock import today_in_london, utcnow
from portal.documents import services as documents
from portal.documents.models import DocumentKind
from portal.extensions import db
from portal.money import format_pence
from portal.orders import states
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.payments import finance_contacts, gateway, refund_failures, refund_lines
from portal.payments import refund_effects as effects
from portal.payments.models import (
    AttemptStatus,
    CheckoutAttempt,
    InvoicePayment,
    Refund,
    RefundLine,
    RefundMethod,
    RefundStatus,
)
from portal.payments.receipts import pdf_attachment

log = logging.getLogger(__name__)

REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed", "charge.refunded"})


class RefundRefused(Exception):
    """The refund cannot be made (wrong kind of order, wrong state); nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AmountRefused(RefundRefused):
    """What was chosen comes to more than is left to refund (or credit), or nothing is left."""


class StripeRefused(RefundRefused):
    """Stripe answered and refused the refund; the message gives its reason. ``recorded`` is
    True when a refund saved earlier was marked failed (the caller commits that)."""

    def __init__(self, reason: str, *, recorded: bool = False):
        super().__init__(f"Stripe refused the refund: {reason} Nothing has been refunded.")
        self.recorded = recorded


class RefundUnavailable(Exception):
    """Stripe could not be reached or did not answer clearly. The refund is kept as requested:
    asking again with the same request key completes it."""

    def __init__(self, refund: Refund):
        super().__init__(f"refund {refund.id} could not be sent to Stripe")
        self.refund = refund


@dataclass(frozen=True)
class RefundSummary:
    """What was paid (by card or bank transfer), refunded (confirmed, or asked and not yet
    confirmed) and credited against the invoice, and what is left to give back."""

    paid_pence: int
    refunded_pence: int
    pending_pence: int
    refunds: list[Refund]
    method: RefundMethod | None = None
    invoiced_pence: int = 0
    credited_pence: int = 0

    @property
    def left_pence(self) -> int:
        """Money left to refund; for an unpaid invoice, what is left to credit on it."""
        if self.method is RefundMethod.CREDIT:
            return max(self.invoiced_pence - self.credited_pence - self.pending_pence, 0)
        return max(self.paid_pence - self.refunded_pence - self.pending_pence, 0)


def _payments(order: Order) -> list[CheckoutAttempt]:
    return list(
        db.session.scalars(
            select(CheckoutAttempt)
            .where(
                CheckoutAttempt.order_id == order.id,
                CheckoutAttempt.status == AttemptStatus.PAID,
            )
            .order_by(CheckoutAttempt.id)
        )
    )


def _invoice_payment(order: Order) -> InvoicePayment | None:
    return db.session.scalar(select(InvoicePayment).where(InvoicePayment.order_id == order.id))


def refunds_of(order: Order) -> list[Refund]:
    """The order's refunds, oldest first."""
    return list(
        db.session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id))
    )


def method_for(order: Order) -> RefundMethod | None:
    """How a refund of ``order`` goes back: to the card, by bank transfer (an invoice paid), or
    as a credit against its invoice (not paid yet); None when nothing is paid for."""
    if order.payment_method is PaymentMethod.CARD:
        return RefundMethod.CARD
    if order.payment_method is PaymentMethod.INVOICE:
        if order.state in pricing.PAID_STATES or _invoice_payment(order) is not None:
            return RefundMethod.BANK_TRANSFER
        return RefundMethod.CREDIT
    return None


def summary(order: Order) -> RefundSummary:
    """The order's payments, refunds and credits, totalled."""
    refunds = refunds_of(order)
    method = method_for(order)
    paid = invoiced = 0
    if method is RefundMethod.CARD:
        paid = sum(p.amount_paid_pence or 0 for p in _payments(order))
    elif method is RefundMethod.BANK_TRANSFER:
        payment = _invoice_payment(order)
        paid = payment.amount_pence if payment is not None else order.total_pence
    invoice = documents.first_of_kind(order, DocumentKind.INVOICE)
    if invoice is not None:
        invoiced = invoice.total_pence
    # A refund that failed after it was made is given back all the same: owed to the buyer
    # until repaid another way, and never refunded again. A card refund repaying it is counted
    # in it, never again on its own.
    own = [r for r in refunds if not r.is_repayment]
    done = [r for r in own if r.status is RefundStatus.SUCCEEDED or r.failed_after_made]
    return RefundSummary(
        paid_pence=paid,
        refunded_pence=sum(r.amount_pence for r in done if r.method is not RefundMethod.CREDIT),
        pending_pence=sum(r.amount_pence for r in own if r.status is RefundStatus.REQUESTED),
        refunds=refunds,
        method=method,
        invoiced_pence=invoiced,
        credited_pence=sum(r.amount_pence for r in done if r.method is RefundMethod.CREDIT),
    )


def refundable_pence(order: Order) -> int:
    """What is left to refund (or credit): payments received minus refunds confirmed or asked
    for; for an unpaid invoice, its total minus what was credited."""
    return summary(order).left_pence


def refusal(order: Order) -> str | None:
    """Why no refund or credit can be made on ``order``, or None when it can.

    The one rule for both ``request_refund`` and the order page's refund action (``may_refund``).
    A cancelled order's lines are never refunded one by one, but money that reached it (a card
    payment arriving after it was cancelled, or paid before) is refunded in full.
    """
    method = method_for(order)
    if method is None:
        return "Nothing was paid for this order, so there is nothing to refund."
    noun = "card payment" if method is RefundMethod.CARD else "payment"
    if order.state is OrderState.CANCELLED:
        if method is not RefundMethod.CREDIT and summary(order).paid_pence > 0:
            return None
        return f"This order is cancelled: there is no {noun} to refund."
    if method is not RefundMethod.CREDIT:
        if order.state in pricing.PAID_STATES:
            return None
        return f"This order is {order.state.label.lower()}: there is no {noun} to refund."
    if order.state is OrderState.AWAITING_INVOICE_PAYMENT and (
        documents.first_of_kind(order, DocumentKind.INVOICE) is not None
    ):
        return None
    if order.state is OrderState.AWAITING_APPROVAL:
        return (
            "This order is waiting for approval: no invoice has been issued to credit. "
            "Cancel it instead."
        )
    return f"This order is {order.state.label.lower()}: there is no invoice to credit."


def may_refund(order: Order) -> bool:
    """Whether ``request_refund`` would take a refund of ``order``: the order page offers the
    refund action exactly then (what is left is for the refund page to say)."""
    return refusal(order) is None


def check_choice(order: Order, lines: dict[int, int], postage: bool) -> refund_lines.RefundPlan:
    """Price a refund of ``lines`` (copies by line id) and ``postage`` of ``order`` as
    ``request_refund`` would take it, without writing anything: for the confirmation page.
    Raises RefundRefused or AmountRefused with the reason."""
    if refused := refusal(order):
        raise RefundRefused(refused)
    before = summary(order)
    if before.left_pence <= 0:
        raise AmountRefused(_nothing_left(before))
    if order.state is OrderState.CANCELLED:
        if lines or postage:
            raise RefundRefused(
                "This order is cancelled, so its lines cannot be refunded one by one: "
                "refund what was paid, in full."
            )
        return refund_lines.RefundPlan((), 0)
    try:
        chosen = refund_lines.plan(order, lines, postage)
    except refund_lines.LineRefused as refused:
        raise RefundRefused(refused.message) from refused
    if chosen.amount_pence > before.left_pence:
        raise AmountRefused(
            f"Those come to {format_pence(chosen.amount_pence)}, more than the "
            f"{format_pence(before.left_pence)} left to refund."
        )
    if before.method is RefundMethod.CREDIT and chosen.amount_pence >= before.left_pence:
        raise AmountRefused(
            "That credits everything still owed on the invoice: cancel the order instead, "
            "which credits the whole invoice."
        )
    return chosen


def amount_of(order: Order, chosen: refund_lines.RefundPlan) -> int:
    """What a refund of ``chosen`` gives back: its lines and postage, or for a cancelled order
    everything left."""
    if order.state is OrderState.CANCELLED:
        return refundable_pence(order)
    return chosen.amount_pence


def _nothing_left(before: RefundSummary) -> str:
    if before.method is RefundMethod.CREDIT:
        return "Everything on this invoice has been credited"
    return "Everything paid on this order has been refunded or asked for"


def request_refund(
    order: Order,
    lines: dict[int, int],
    reason: str,
    by_user,
    *,
    request_key: str,
    postage: bool = False,
    refunded_on: date | None = None,
    bank_reference: str = "",
) -> Refund:
    """Refund (or credit) the copies ``lines`` names (by order line id) of ``order``, and with
    ``postage`` what is left of its postage, once per ``request_key``. A cancelled order takes
    no lines: what was paid is refunded in full.

    A request key seen before returns that refund (sent to Stripe again, with the same
    idempotency key, if Stripe never answered). Otherwise the order must allow it (``refusal``:
    RefundRefused), every line be the order's, not refunded already and have that many copies
    left (RefundRefused), and the whole come to no more than is left (AmountRefused). A bank
    transfer needs ``refunded_on`` and ``bank_reference``. The refund is recorded as requested,
    audited, and confirmed at once unless it goes to a card, which Stripe must accept first.
    Raises RefundUnavailable when Stripe cannot be reached (the refund stays requested) and
    StripeRefused when Stripe says no.
    """
    order = states.lock_order(order)
    existing = db.session.scalar(select(Refund).where(Refund.idempotency_key == request_key))
    if existing is not None:
        if existing.order_id != order.id:
            raise RefundRefused("This refund form belongs to another order. Start again.")
        if existing.status is RefundStatus.REQUESTED and existing.stripe_refund_id is None:
            send_again(order, existing)
        return existing
    chosen = check_choice(order, lines, postage)
    method = method_for(order)
    if method is RefundMethod.BANK_TRANSFER and (refunded_on is None or not bank_reference.strip()):
        raise RefundRefused("Enter the date and the reference of the bank transfer.")
    before = summary(order)
    amount = amount_of(order, chosen)
    bank = method is RefundMethod.BANK_TRANSFER
    refund = Refund(
        order_id=order.id,
        method=method,
        amount_pence=amount,
        postage_pence=chosen.postage_pence,
        reason=reason,
        status=RefundStatus.REQUESTED,
        idempotency_key=request_key,
        requested_by_user_id=getattr(by_user, "id", None),
        refunded_on=refunded_on if bank else None,
        bank_reference=bank_reference.strip() if bank else "",
        lines=[
            RefundLine(
                order_line_id=choice.line.id,
                quantity=choice.quantity,
                net_pence=choice.net_pence,
                vat_pence=choice.vat_pence,
            )
            for choice in chosen.lines
        ],
    )
    db.session.add(refund)
    db.session.flush()
    audit.record(
        by_user,
        "order.refund",
        "order",
        order.reference,
        before={"refunded_pence": before.refunded_pence, "left_pence": before.left_pence},
        after={
            "refund_id": refund.id,
            "method": method.value,
            "amount_pence": amount,
            "left_pence": before.left_pence - amount,
            "lines": {str(c.line.id): c.quantity for c in chosen.lines},
            "postage_pence": chosen.postage_pence,
        },
        note=reason,
    )
    if method is RefundMethod.CARD and amount > 0:
        send(order, refund)
    else:  # no money moves by card: free copies given back are given back at once
        confirm_refund(refund)
    return refund


def send_again(order: Order, refund: Refund) -> None:
    """Send a refund Stripe never answered; when Stripe now refuses it, it is marked failed
    (its lines free to refund again) and the caller commits that."""
    try:
        send(order, refund)
    except StripeRefused as refused:
        refund.status = RefundStatus.FAILED
        states.add_note(
            order, None, f"Refund of {format_pence(refund.amount_pence)} refused by Stripe"
        )
        db.session.flush()
        raise StripeRefused(str(refused.__cause__), recorded=True) from refused


def send(order: Order, refund: Refund) -> None:
    """Ask Stripe for the refund, with its idempotency key, and act on the answer."""
    payments = _payments(order)
    intent = payments[0].stripe_payment_intent_id if payments else None
    if intent is None:
        raise RefundRefused("This order has no card payment recorded to refund.")
    try:
        result = gateway.create_refund(
            payment_intent=intent,
            amount_pence=refund.amount_pence,
            idempotency_key=refund.idempotency_key,
            metadata={
                "order_id": str(order.id),
                "refund_id": str(refund.id),
                "reference": order.reference,
                "description": gateway.payment_description(order.reference),
            },
        )
    except gateway.RefundTooLarge as error:
        raise AmountRefused(
            "Stripe says that is more than is left of the card payment. "
            "Check the payment in Stripe's dashboard."
        ) from error
    except gateway.RefundDeclined as error:
        log.warning("Stripe refused refund %s of %s: %s", refund.id, order.reference, error)
        raise StripeRefused(str(error)) from error
    except gateway.StripeError as error:
        log.warning("Stripe could not refund %s (refund %s): %s", order.reference, refund.id, error)
        raise RefundUnavailable(refund) from error
    refund.stripe_refund_id = result.id
    db.session.flush()
    _apply(order, refund, result, later=False)


def _apply(order: Order, refund: Refund, result: gateway.RefundResult, *, later: bool) -> None:
    """Bring ``refund`` up to date with what Stripe says of it now. Failed is final: a refund
    that failed is never confirmed, whatever order the events arrive in."""
    if result.status == "succeeded":
        confirm_refund(refund)
    elif result.status in ("failed", "canceled"):
        refund_failures.record_failure(order, refund, result.failure_reason, later=later)


def confirm_refund(refund: Refund) -> Refund:
    """Record that ``refund`` is made. Idempotent: a confirmed refund is left alone.

    Marks it succeeded; counts its copies refunded on their lines (a line refunded in full
    loses access at once) and puts printed copies never posted back in stock (and free ones
    back in the organisation's allowance); issues a credit note naming them against the order's
    invoice (or else its receipt); notes it in the order's history; and emails the buyer (and
    an invoice's finance contact), credit note attached. When everything paid is refunded every
    line closes (its copies never posted given back too); when no printed copy is left to post,
    a paid order is complete. The order keeps its state otherwise.
    """
    order = states.lock_order(db.session.get(Order, refund.order_id))
    db.session.refresh(refund)
    if refund.status is not RefundStatus.REQUESTED:
        # A repeated event, or the webhook after the immediate answer; or a refund that failed,
        # which stays failed.
        return refund
    refund.status = RefundStatus.SUCCEEDED
    refund.confirmed_at = utcnow()
    if refund.is_repayment:  # its lines and credit note are the failed refund's
        refund_failures.repaid_by_card(order, refund)
        return refund
    effects.give_back_lines(order, refund)
    credit_note = effects.credit_note(order, refund, refundable_pence)
    totals = summary(order)
    if refund.method is not RefundMethod.CREDIT and totals.refunded_pence >= totals.paid_pence:
        effects.close_every_line(order, refund.confirmed_at)
    effects.complete_when_nothing_is_left_to_post(order, refund)
    states.add_note(order, refund.requested_by_user_id, effects.history_note(refund))
    finance_contacts.email_buyer_and_finance(
        "refund",
        order,
        today_in_london(),
        attachments=[pdf_attachment(credit_note)] if credit_note else [],
        refund=refund,
        credit_note=credit_note,
    )
    db.session.flush()
    return refund


def credit_note_numbers(order: Order) -> dict[int, str]:
    """The numbers of the order's credit notes, by document id (to show beside refunds)."""
    return {
        d.id: d.number for d in documents.documents_for(order) if d.kind is DocumentKind.CREDIT_NOTE
    }


def handle_refund_event(event: gateway.Event) -> None:
    """A webhook event about refunds: re-read the refunds from Stripe and record those that are
    ours and final. Refunds the portal does not know are ignored."""
    if event.object_id is None:
        return
    if event.object_type == "refund":
        results = [gateway.retrieve_refund(event.object_id)]
    elif event.object_type == "charge":
        results = gateway.refunds_of_charge(event.object_id)
    else:
        return
    for result in results:
        refund = _find(result)
        if refund is not None:
            order = states.lock_order(db.session.get(Order, refund.order_id))
            _apply(order, refund, result, later=True)


def _find(result: gateway.RefundResult) -> Refund | None:
    refund = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == result.id))
    if refund is not None:
        return refund
    # Stripe made it but its answer never reached us: the metadata names our refund.
    meta = result.metadata or {}
    if meta.get("portal") != gateway.PORTAL_MARKER or not meta.get("refund_id", "").isdigit():
        return None
    refund = db.session.get(Refund, int(meta["refund_id"]))
    if refund is None or refund.stripe_refund_id not in (None, result.id):
        return None
    refund.stripe_refund_id = result.id
    db.session.flush()
    return refund


def refund_for_key(request_key: str | None) -> Refund | None:
    """The refund a form with this request key already asked for, if any."""
    if not request_key:
        return None
    return db.session.scalar(select(Refund).where(Refund.idempotency_key == request_key))
