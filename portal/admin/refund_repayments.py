"""Repaying a card refund that failed after it was made: by a new refund to the card, or by a
bank transfer recorded with its date and reference."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.admin.blueprint import bp
from portal.extensions import db
from portal.form_fields import new_request_key
from portal.money import format_pence
from portal.orders.access import find_order
from portal.payments import card_repayments, refund_failures, refunds
from portal.payments.admin_forms import CardRepaymentForm, RepaymentForm
from portal.payments.models import Refund, RefundStatus


def _owed_refund(reference: str, refund_id: int):
    """The order and its refund that failed after it was made, or 404."""
    order = find_order(reference)
    refund = db.session.get(Refund, refund_id) if order is not None else None
    if refund is None or refund.order_id != order.id or not refund.failed_after_made:
        abort(404)
    return order, refund


def _page(order, refund, *, form=None, card_form=None, problem=None, status=None):
    form = form or RepaymentForm(formdata=None)
    if card_form is None:
        card_form = CardRepaymentForm(formdata=None)
        card_form.request_key.data = new_request_key()
    errors = form.errors or card_form.errors
    return render_template(
        "admin/orders/refund_repaid.html",
        order=order,
        refund=refund,
        form=form,
        card_form=card_form,
        problem=problem,
        words=refund_failures.failure_words(refund.failure_reason),
        in_flight=refund_failures.repayment_in_flight(refund),
        by_card=refund_failures.card_refunds_repaying(order).get(refund.id),
        refund_page=url_for("admin.refund", reference=order.reference),
    ), status or (409 if problem else 400 if errors else 200)


@bp.route("/orders/<reference>/refunds/<int:refund_id>/repaid", methods=["GET", "POST"])
def record_refund_repaid(reference: str, refund_id: int):
    order, refund = _owed_refund(reference, refund_id)
    form = RepaymentForm()
    if not form.validate_on_submit():
        return _page(order, refund, form=form)
    try:
        refund_failures.record_repayment(
            refund, form.repaid_on.data, form.reference.data, current_user
        )
    except refund_failures.RepaymentRefused as refused:
        db.session.rollback()
        return _page(order, refund, form=form, problem=refused.message)
    db.session.commit()
    flash(
        f"Recorded: the failed refund of {format_pence(refund.amount_pence)} was repaid "
        "by bank transfer. The buyer has been emailed.",
        "success",
    )
    return redirect(url_for("admin.refund", reference=reference), 303)


@bp.route("/orders/<reference>/refunds/<int:refund_id>/repay-by-card", methods=["POST"])
def repay_refund_by_card(reference: str, refund_id: int):
    order, refund = _owed_refund(reference, refund_id)
    card_form = CardRepaymentForm()
    if not card_form.validate_on_submit():
        card_form.request_key.data = new_request_key()
        return _page(order, refund, card_form=card_form)
    try:
        repayment = card_repayments.repay_by_card(
            refund, current_user, request_key=card_form.request_key.data
        )
    except refunds.StripeRefused as refused:
        if refused.recorded:
            db.session.commit()
        else:
            db.session.rollback()
        return _page(find_order(reference), refund, problem=refused.message)
    except (refund_failures.RepaymentRefused, refunds.RefundRefused) as refused:
        db.session.rollback()
        return _page(order, refund, problem=refused.message)
    except refunds.RefundUnavailable:
        # The repayment is kept as requested (and audited): the same form sends it again.
        db.session.commit()
        message = (
            "Stripe could not be reached, so nothing has been refunded yet. "
            "The card refund is saved: press Refund to the card again to send it."
        )
        return _page(order, refund, card_form=card_form, problem=message, status=503)
    db.session.commit()
    amount = format_pence(repayment.amount_pence)
    if repayment.status is RefundStatus.SUCCEEDED:
        flash(f"Refunded {amount} to the card again. The buyer has been emailed.", "success")
    elif repayment.status is RefundStatus.FAILED:
        flash(f"Stripe could not refund {amount} to the card: it is still owed.", "info")
    else:
        flash(
            f"Stripe is making the refund of {amount} to the card. The failed refund is "
            "recorded as repaid, and the buyer emailed, when Stripe confirms it.",
            "info",
        )
    return redirect(url_for("admin.refund", reference=reference), 303)
