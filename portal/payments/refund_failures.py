"""Card refunds that fail, and the repayment of those that failed after Stripe reported them made.

A card refund can fail before Stripe reports it made (a pending refund) or days after (the
card's bank cannot return the money; Stripe sends ``refund.failed``). Either way the failure is
recorded once with Stripe's reason, written in the order's history in plain words, raised on
the administrators' attention list and emailed to staff. A refund that failed after it was made
keeps its credit note and its lines given back: the amount is owed to the buyer, who is told the
money did not reach them, until it is repaid: by a new card refund (``card_repayments``; it
names the refund it repays, gives back no lines and issues no credit note, and is recorded here
when Stripe makes it) or by a bank transfer an administrator records with its date and
reference. A card repayment that fails leaves the refund owed again.

Services flush; the caller commits once.
"""

import logging
from datetime import date

from flask import current_app
from sqlalchemy import select

from portal import audit
from portal.clock import long_date, today_in_london, utcnow
from portal.email import send_email
from portal.extensions import db
from portal.money import format_pence
from portal.orders import states
from portal.orders.models import Order
from portal.payments import finance_contacts
from portal.payments.models import (
    Refund,
    RefundMethod,
    RefundStatus,
    failed_after_made_clause,
    owed_clause,
)
from portal.public_url import external_url

log = logging.getLogger(__name__)

#: Stripe's ``failure_reason`` values, in words for people.
FAILURE_WORDS = {
    "charge_for_pending_refund_disputed": "the buyer disputed the payment while it was refunded",
    "declined": "the card's bank declined it",
    "expired_or_canceled_card": "the card has expired or been cancelled",
    "insufficient_funds": "there was not enough in Socitm's Stripe balance",
    "lost_or_stolen_card": "the card was reported lost or stolen",
    "merchant_request": "it was cancelled at Socitm's request",
    "unknown": "the card's bank gave no reason",
}


#: What an administrator does about a refund owed to the buyer, on the attention list.
REPAY_HOW = "refund it to the card again, or repay it by bank transfer, from the refund page."


def failure_words(reason: str | None) -> str:
    """Stripe's reason for a failed refund, in plain words."""
    reason = (reason or "").strip()
    if not reason:
        return "Stripe gave no reason"
    return FAILURE_WORDS.get(reason, f"Stripe's reason: {reason[:100]}")


class RepaymentRefused(Exception):
    """The repayment cannot be recorded; nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def record_failure(order: Order, refund: Refund, reason: str | None, *, later: bool) -> bool:
    """Record that Stripe says ``refund`` failed, for ``reason`` (its ``failure_reason``).

    Idempotent: a refund already failed is left alone (False). One never reported made frees
    its lines to refund again; one made keeps its credit note and is owed to the buyer. When
    the failure arrives ``later`` than the administrator's request (by a webhook), the order is
    flagged and staff are emailed; one made is also told to the buyer (and the finance contact).
    """
    if refund.status is RefundStatus.FAILED:
        return False
    made = refund.status is RefundStatus.SUCCEEDED
    refund.status = RefundStatus.FAILED
    refund.failure_reason = (reason or "")[:300]
    refund.failed_at = utcnow()
    amount = format_pence(refund.amount_pence)
    words = failure_words(reason)
    if refund.is_repayment:
        _repayment_failed(order, refund, words, made=made, later=later)
        db.session.flush()
        return True
    if not made:
        because = f": {words}" if reason else ""
        states.add_note(order, None, f"Refund of {amount} failed at Stripe{because}")
        if later:
            _flag(order, f"Refund of {amount} failed at Stripe ({words}): nothing was refunded.")
            _email_staff(order, refund, words)
        db.session.flush()
        return True
    log.warning("refund %s of %s failed after it was made: %s", refund.id, order.reference, reason)
    states.add_note(
        order,
        None,
        f"Refund of {amount} failed after Stripe reported it made: {words}. "
        f"{amount} is owed to the buyer until it is repaid another way",
    )
    _flag(
        order,
        f"Refund of {amount}"
        + (f" (Stripe {refund.stripe_refund_id})" if refund.stripe_refund_id else "")
        + f" failed after it was made: {words}. The buyer is owed {amount}: "
        + REPAY_HOW,
    )
    finance_contacts.email_buyer_and_finance(
        "refund_failed", order, today_in_london(), refund=refund, words=words
    )
    _email_staff(order, refund, words)
    db.session.flush()
    return True


def _repayment_failed(
    order: Order, repayment: Refund, words: str, *, made: bool, later: bool
) -> None:
    """A card refund sent to repay a failed one failed too: what it repays is owed again (when
    Stripe had reported it made, the buyer, told it was repaid, is told it was not). Staff are
    told unless the administrator who sent it is reading Stripe's answer."""
    owed = db.session.get(Refund, repayment.repays_refund_id)
    amount = format_pence(repayment.amount_pence)
    if made and owed.repaid_on is not None:
        owed.repaid_on = None
        owed.repaid_reference = ""
        finance_contacts.email_buyer_and_finance(
            "refund_failed", order, today_in_london(), refund=repayment, words=words
        )
    states.add_note(
        order,
        None,
        f"Card refund of {amount} repaying the failed refund failed at Stripe: {words}. "
        f"{amount} is still owed to the buyer",
    )
    if made or later:
        _flag(
            order,
            f"The card refund of {amount} repaying a failed refund failed too ({words}). "
            f"The buyer is still owed {amount}: {REPAY_HOW}",
        )
        _email_staff(order, repayment, words)


def _flag(order: Order, message: str) -> None:
    order.attention = f"{order.attention} {message}".strip() if order.attention else message


def _email_staff(order: Order, refund: Refund, words: str) -> None:
    send_email(
        "refund_failed_staff",
        current_app.config["SUPPORT_EMAIL"],
        order=order,
        refund=refund,
        words=words,
        link=external_url("admin.order", reference=order.reference),
        limited=False,
    )


def failed_after_made(order: Order) -> list[Refund]:
    """The order's card refunds that failed after they were made, repaid or not, oldest first."""
    query = select(Refund).where(Refund.order_id == order.id, failed_after_made_clause())
    return list(db.session.scalars(query.order_by(Refund.id)))


def orders_owed_a_refund(order_ids) -> set[int]:
    """Which of the orders ``order_ids`` owe their buyer a refund that failed after it was made
    (one query, for a list of orders)."""
    if not order_ids:
        return set()
    query = select(Refund.order_id).where(Refund.order_id.in_(order_ids), owed_clause())
    return set(db.session.scalars(query.distinct()))


def owed_refunds(order: Order) -> list[Refund]:
    """The order's refunds that failed after they were made and are not yet repaid."""
    return [refund for refund in failed_after_made(order) if refund.owed_pence]


def repayment_in_flight(refund: Refund) -> Refund | None:
    """The card refund sent to repay ``refund`` that Stripe has not yet made or failed."""
    return db.session.scalar(
        select(Refund).where(
            Refund.repays_refund_id == refund.id, Refund.status == RefundStatus.REQUESTED
        )
    )


def card_refunds_repaying(order: Order) -> dict[int, Refund]:
    """The card refunds that repaid the order's failed refunds, by the id of the refund each
    repaid (one made; the latest, should there be several)."""
    query = select(Refund).where(
        Refund.order_id == order.id,
        Refund.repays_refund_id.is_not(None),
        Refund.status == RefundStatus.SUCCEEDED,
    )
    return {r.repays_refund_id: r for r in db.session.scalars(query.order_by(Refund.id))}


def check_owed(refund: Refund) -> None:
    """Refuse (RepaymentRefused) to repay ``refund`` when nothing is owed on it: it did not
    fail after it was made, it was repaid, or a card refund repaying it is on its way."""
    if refund.method is not RefundMethod.CARD or not refund.failed_after_made:
        raise RepaymentRefused("This refund did not fail after it was made: nothing is owed.")
    if refund.repaid_on is not None:
        raise RepaymentRefused(
            f"This refund was repaid on {long_date(refund.repaid_on)}, "
            f"reference {refund.repaid_reference}."
        )
    if (sent := repayment_in_flight(refund)) is not None:
        raise RepaymentRefused(
            f"A card refund of {format_pence(sent.amount_pence)} repaying it was sent to Stripe "
            "and is waiting for Stripe to make it."
        )


def repaid_by_card(order: Order, repayment: Refund) -> None:
    """Record that Stripe made ``repayment``, the card refund repaying a failed one: that one
    is repaid today, with the new refund's Stripe id as its reference."""
    owed = db.session.get(Refund, repayment.repays_refund_id)
    _mark_repaid(
        order,
        owed,
        today_in_london(),
        f"Stripe {repayment.stripe_refund_id}" if repayment.stripe_refund_id else "card refund",
        repayment.requested_by_user_id,
        how="to the card",
    )


def record_repayment(refund: Refund, repaid_on: date | None, reference: str, by_user) -> Refund:
    """Record that the amount of ``refund``, which failed after it was made, was repaid by
    bank transfer on ``repaid_on`` with ``reference``. Refused (RepaymentRefused) when nothing
    is owed on it, or the date or reference is missing; the order's flag is cleared once
    nothing is owed on it."""
    order = states.lock_order(db.session.get(Order, refund.order_id))
    db.session.refresh(refund)
    check_owed(refund)
    reference = (reference or "").strip()
    if repaid_on is None or not reference:
        raise RepaymentRefused("Enter the date and the reference of the bank transfer.")
    if repaid_on > today_in_london():
        raise RepaymentRefused("The date of the bank transfer must be today or in the past.")
    _mark_repaid(
        order, refund, repaid_on, reference, getattr(by_user, "id", None), how="by bank transfer"
    )
    audit.record(
        by_user,
        "order.refund_repaid",
        "order",
        order.reference,
        before={"owed_pence": refund.amount_pence},
        after={
            "refund_id": refund.id,
            "repaid_on": repaid_on.isoformat(),
            "reference": refund.repaid_reference,
        },
    )
    db.session.flush()
    return refund


def _mark_repaid(
    order: Order, refund: Refund, repaid_on: date, reference: str, by_user_id, *, how: str
) -> None:
    refund.repaid_on = repaid_on
    refund.repaid_reference = reference.strip()[:100]
    amount = format_pence(refund.amount_pence)
    states.add_note(
        order,
        by_user_id,
        f"Failed refund of {amount} repaid {how} on {long_date(repaid_on)}, "
        f"reference {refund.repaid_reference}",
    )
    db.session.flush()
    if not owed_refunds(order):
        order.attention = ""
    finance_contacts.email_buyer_and_finance(
        "refund_repaid", order, today_in_london(), refund=refund, how=how
    )
    db.session.flush()
