"""Repaying a card refund that failed after it was made with a new refund to the same card.

The new refund is an ordinary card refund of the order in every way Stripe sees (its own random
idempotency key, the order's reference, the same webhooks), but it names the refund it repays:
it gives back no lines and issues no credit note, because the failed refund's stand, and it is
never counted as money refunded on its own (``refunds.summary``, ``owed``). When Stripe makes it
the failed refund is recorded as repaid (``refund_failures.repaid_by_card``); when it fails,
what it repays is still owed.

Services flush; the caller commits once.
"""

from portal import audit
from portal.extensions import db
from portal.money import format_pence
from portal.orders import states
from portal.orders.models import Order
from portal.payments import refund_failures, refunds
from portal.payments.models import Refund, RefundMethod, RefundStatus
from portal.payments.refund_failures import RepaymentRefused


def repay_by_card(refund: Refund, by_user, *, request_key: str) -> Refund:
    """Send a new card refund of ``refund``'s amount to repay it, once per ``request_key``.

    A key seen before returns that repayment (sent to Stripe again, with the same idempotency
    key, if Stripe never answered). Refused (RepaymentRefused) when nothing is owed on
    ``refund``: it did not fail after it was made, it was repaid, or a repayment is on its way.
    Raises ``refunds.RefundUnavailable`` when Stripe cannot be reached (the repayment stays
    requested, audited: the caller commits it, and the same key sends it again) and
    ``refunds.StripeRefused`` when Stripe says no.
    """
    order = states.lock_order(db.session.get(Order, refund.order_id))
    db.session.refresh(refund)
    sent_before = refunds.refund_for_key(request_key)
    if sent_before is not None:
        if sent_before.repays_refund_id != refund.id:
            raise RepaymentRefused("This form belongs to another refund. Start again.")
        if sent_before.status is RefundStatus.REQUESTED and sent_before.stripe_refund_id is None:
            refunds.send_again(order, sent_before)
        return sent_before
    refund_failures.check_owed(refund)
    amount = format_pence(refund.amount_pence)
    repayment = Refund(
        order_id=order.id,
        method=RefundMethod.CARD,
        amount_pence=refund.amount_pence,
        postage_pence=0,
        reason=f"Repays the refund of {amount} that failed after it was made",
        status=RefundStatus.REQUESTED,
        idempotency_key=request_key,
        requested_by_user_id=getattr(by_user, "id", None),
        repays_refund_id=refund.id,
    )
    db.session.add(repayment)
    db.session.flush()
    audit.record(
        by_user,
        "order.refund_repay_by_card",
        "order",
        order.reference,
        before={"owed_pence": refund.amount_pence},
        after={"refund_id": refund.id, "repayment_id": repayment.id},
    )
    refunds.send(order, repayment)
    return repayment
