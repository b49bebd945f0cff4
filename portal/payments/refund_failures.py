"""Card refunds that fail, and the repayment of those that failed after Stripe reported them made.

A card refund can fail before Stripe reports it made (a pending refund) or days after (the
card's bank cannot return the money; Stripe sends ``refund.failed``). Either way the failure is
recorded once with Stripe's reason, written in the order's history in plain words, raised on
the administrators' attention list and emailed to staff. A refund that failed after it was made
keeps its credit note and its lines given back: the amount is owed to the buyer, who is told the
money did not reach them, until an administrator records how it was repaid (a bank transfer,
with its date and reference).

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
from portal.payments.models import Refund, RefundMethod, RefundStatus
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
        + f" failed after it was made: {words}. The buyer is owed {amount}: repay it by "
        "bank transfer and record the repayment on the refund page.",
    )
    finance_contacts.email_buyer_and_finance(
        "refund_failed", order, today_in_london(), refund=refund, words=words
    )
    _email_staff(order, refund, words)
    db.session.flush()
    return True


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
    query = select(Refund).where(
        Refund.order_id == order.id,
        Refund.status == RefundStatus.FAILED,
        Refund.confirmed_at.is_not(None),
    )
    return list(db.session.scalars(query.order_by(Refund.id)))


def owed_refunds(order: Order) -> list[Refund]:
    """The order's refunds that failed after they were made and are not yet repaid."""
    return [refund for refund in failed_after_made(order) if refund.owed_pence]


def record_repayment(refund: Refund, repaid_on: date | None, reference: str, by_user) -> Refund:
    """Record that the amount of ``refund``, which failed after it was made, was repaid by
    bank transfer on ``repaid_on`` with ``reference``. Refused (RepaymentRefused) when nothing
    is owed on it, or the date or reference is missing; the order's flag is cleared once
    nothing is owed on it."""
    order = states.lock_order(db.session.get(Order, refund.order_id))
    db.session.refresh(refund)
    if refund.method is not RefundMethod.CARD or not refund.failed_after_made:
        raise RepaymentRefused("This refund did not fail after it was made: nothing is owed.")
    if refund.repaid_on is not None:
        raise RepaymentRefused(
            f"This refund was repaid on {long_date(refund.repaid_on)}, "
            f"reference {refund.repaid_reference}."
        )
    reference = (reference or "").strip()
    if repaid_on is None or not reference:
        raise RepaymentRefused("Enter the date and the reference of the bank transfer.")
    if repaid_on > today_in_london():
        raise RepaymentRefused("The date of the bank transfer must be today or in the past.")
    refund.repaid_on = repaid_on
    refund.repaid_reference = reference[:100]
    amount = format_pence(refund.amount_pence)
    states.add_note(
        order,
        getattr(by_user, "id", None),
        f"Failed refund of {amount} repaid by bank transfer on {long_date(repaid_on)}, "
        f"reference {refund.repaid_reference}",
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
    if not owed_refunds(order):
        order.attention = ""
    finance_contacts.email_buyer_and_finance(
        "refund_repaid", order, today_in_london(), refund=refund
    )
    db.session.flush()
    return refund
