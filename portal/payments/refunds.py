"""Refunds of card payments: asked of Stripe by an administrator, recorded against the order.

``request_refund`` locks the order row while it checks what is left and records the refund, so
two clicks can never refund more than was paid; the form's request key is the refund's idempotency
key, so a retried click finds the refund it already made and Stripe is asked only once.
``confirm_refund`` is the one idempotent function that records a refund Stripe has confirmed
(credit note, order history, email, and for a full refund the end of download access); it runs
when Stripe's first answer is final, or later when its webhook says so.

Services flush; the caller commits once.
"""

import logging
from dataclasses import dataclass

from sqlalchemy import select

from portal import audit, pricing
from portal.clock import today_in_london, utcnow
from portal.documents import services as documents
from portal.documents.models import Document, DocumentKind
from portal.email import send_email
from portal.extensions import db
from portal.money import format_pence
from portal.orders import states
from portal.orders.access import order_link
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.payments import gateway
from portal.payments.models import AttemptStatus, CheckoutAttempt, Refund, RefundStatus

log = logging.getLogger(__name__)

REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed", "charge.refunded"})


class RefundRefused(Exception):
    """The refund cannot be made (wrong kind of order, wrong state); nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AmountRefused(RefundRefused):
    """The amount is not between one penny and what is left to refund."""


class RefundUnavailable(Exception):
    """Stripe could not be reached or did not answer clearly. The refund is kept as requested:
    asking again with the same request key completes it."""

    def __init__(self, refund: Refund):
        super().__init__(f"refund {refund.id} could not be sent to Stripe")
        self.refund = refund


@dataclass(frozen=True)
class RefundSummary:
    """What was paid by card, refunded (confirmed, or asked and not yet confirmed) and is left."""

    paid_pence: int
    refunded_pence: int
    pending_pence: int
    refunds: list[Refund]

    @property
    def left_pence(self) -> int:
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


def refunds_of(order: Order) -> list[Refund]:
    """The order's refunds, oldest first."""
    return list(
        db.session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id))
    )


def summary(order: Order) -> RefundSummary:
    """The order's card payments and refunds, totalled."""
    refunds = refunds_of(order)
    return RefundSummary(
        paid_pence=sum(p.amount_paid_pence or 0 for p in _payments(order)),
        refunded_pence=sum(r.amount_pence for r in refunds if r.status is RefundStatus.SUCCEEDED),
        pending_pence=sum(r.amount_pence for r in refunds if r.status is RefundStatus.REQUESTED),
        refunds=refunds,
    )


def refundable_pence(order: Order) -> int:
    """What is left to refund: card payments received minus refunds confirmed or asked for."""
    return summary(order).left_pence


def refusal(order: Order) -> str | None:
    """Why no refund can be made on ``order`` through Stripe, or None when it can.

    The one rule for both ``request_refund`` and the order page's refund action (``may_refund``).
    """
    if order.payment_method is not PaymentMethod.CARD:
        return "Only card payments can be refunded here. This order was not paid by card."
    if order.state in pricing.PAID_STATES:
        return None
    # A card payment that arrived after the order was cancelled is flagged "refund it".
    if order.state is OrderState.CANCELLED and summary(order).paid_pence > 0:
        return None
    return f"This order is {order.state.label.lower()}: there is no card payment to refund."


def may_refund(order: Order) -> bool:
    """Whether ``request_refund`` would take a refund of ``order``: the order page offers the
    refund action exactly then (what amount is left is for the refund page to say)."""
    return refusal(order) is None


def request_refund(
    order: Order, amount_pence: int, reason: str, by_user, *, request_key: str
) -> Refund:
    """Refund ``amount_pence`` of the card payment of ``order`` through Stripe, once per
    ``request_key``.

    A request key seen before returns that refund (sent to Stripe again, with the same
    idempotency key, if Stripe never answered). Otherwise the order must be a card order that is
    paid or fulfilled (RefundRefused) and the amount between 1p and what is left (AmountRefused).
    The refund is recorded as requested, audited, and confirmed at once when Stripe's answer is
    final. Raises RefundUnavailable when Stripe cannot be reached (the refund stays requested),
    and AmountRefused when Stripe says the payment has less left than that.
    """
    if isinstance(amount_pence, bool) or not isinstance(amount_pence, int):
        raise TypeError(f"money is integer pence, not {type(amount_pence).__name__}")
    order = states.lock_order(order)
    existing = db.session.scalar(select(Refund).where(Refund.idempotency_key == request_key))
    if existing is not None:
        if existing.order_id != order.id:
            raise RefundRefused("This refund form belongs to another order. Start again.")
        if existing.status is RefundStatus.REQUESTED and existing.stripe_refund_id is None:
            _send(order, existing)
        return existing
    refused = refusal(order)
    if refused:
        raise RefundRefused(refused)
    before = summary(order)
    if before.left_pence <= 0:
        raise AmountRefused("Everything paid on this order has been refunded or asked for")
    if not 0 < amount_pence <= before.left_pence:
        raise AmountRefused(
            f"Enter an amount between £0.01 and {format_pence(before.left_pence)}, "
            "the amount left to refund"
        )
    refund = Refund(
        order_id=order.id,
        amount_pence=amount_pence,
        reason=reason,
        status=RefundStatus.REQUESTED,
        idempotency_key=request_key,
        requested_by_user_id=getattr(by_user, "id", None),
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
            "amount_pence": amount_pence,
            "left_pence": before.left_pence - amount_pence,
        },
        note=reason,
    )
    _send(order, refund)
    return refund


def _send(order: Order, refund: Refund) -> None:
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
            metadata={"order_id": str(order.id), "refund_id": str(refund.id)},
        )
    except gateway.RefundTooLarge as error:
        raise AmountRefused(
            "Stripe says that is more than is left of the card payment. "
            "Check the payment in Stripe's dashboard."
        ) from error
    except gateway.StripeError as error:
        log.warning("Stripe could not refund %s (refund %s): %s", order.reference, refund.id, error)
        raise RefundUnavailable(refund) from error
    refund.stripe_refund_id = result.id
    db.session.flush()
    _apply(order, refund, result)


def _apply(order: Order, refund: Refund, result: gateway.RefundResult) -> None:
    if result.status == "succeeded":
        confirm_refund(refund)
    elif result.status in ("failed", "canceled") and refund.status is RefundStatus.REQUESTED:
        refund.status = RefundStatus.FAILED
        states.add_note(
            order, None, f"Refund of {format_pence(refund.amount_pence)} failed at Stripe"
        )
        db.session.flush()


def confirm_refund(refund: Refund) -> Refund:
    """Record that Stripe has made ``refund``. Idempotent: a confirmed refund is left alone.

    Marks it succeeded, issues a credit note against the order's receipt, notes it in the
    order's history, emails the buyer (credit note attached), and when the order is refunded in
    full, closes every line's downloads at once. The order keeps its state.
    """
    order = states.lock_order(db.session.get(Order, refund.order_id))
    db.session.refresh(refund)
    if refund.status is RefundStatus.SUCCEEDED:
        return refund  # a repeated event, or the webhook after the immediate answer
    refund.status = RefundStatus.SUCCEEDED
    refund.confirmed_at = utcnow()
    credit_note = _credit_note(order, refund)
    totals = summary(order)
    if totals.refunded_pence >= totals.paid_pence:
        for line in order.lines:
            if line.refunded_at is None:
                line.refunded_at = refund.confirmed_at
    states.add_note(
        order,
        refund.requested_by_user_id,
        f"Refund of {format_pence(refund.amount_pence)}"
        + (f": {refund.reason}" if refund.reason else ""),
    )
    send_email(
        "refund",
        order.email,
        attachments=[(credit_note.filename, "application/pdf", credit_note.pdf)]
        if credit_note
        else [],
        order=order,
        refund=refund,
        credit_note=credit_note,
        link=order_link(order),
    )
    db.session.flush()
    return refund


def _credit_note(order: Order, refund: Refund) -> Document | None:
    receipt = next(
        (d for d in documents.documents_for(order) if d.kind is DocumentKind.RECEIPT), None
    )
    if receipt is None and order.state is OrderState.CANCELLED:
        # A late payment on a cancelled order was never receipted: there is nothing to correct,
        # and once it is all given back the flag asking for the refund is settled.
        if refundable_pence(order) == 0:
            order.attention = ""
        return None
    try:
        if receipt is None:
            raise documents.DocumentRefused(f"order {order.reference} has no receipt")
        note = documents.issue_credit_note(
            receipt, refund.amount_pence, today_in_london(), refund.reason or "Refund"
        )
    except documents.DocumentRefused as error:
        # The money has gone back all the same: record it, and leave the paperwork to a person.
        log.warning("no credit note for refund %s: %s", refund.id, error)
        order.attention = (
            f"Refund of {format_pence(refund.amount_pence)} (Stripe {refund.stripe_refund_id}) "
            f"was made but no credit note could be issued: {error}."
        )
        return None
    refund.credit_note_id = note.id
    return note


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
            _apply(states.lock_order(db.session.get(Order, refund.order_id)), refund, result)


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
