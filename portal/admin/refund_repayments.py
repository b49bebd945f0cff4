"""Recording how a card refund that failed after it was made was repaid to the buyer."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.admin.blueprint import bp
from portal.extensions import db
from portal.money import format_pence
from portal.orders.access import find_order
from portal.payments import refund_failures
from portal.payments.admin_forms import RepaymentForm
from portal.payments.models import Refund


@bp.route("/orders/<reference>/refunds/<int:refund_id>/repaid", methods=["GET", "POST"])
def record_refund_repaid(reference: str, refund_id: int):
    order = find_order(reference)
    refund = db.session.get(Refund, refund_id) if order is not None else None
    if refund is None or refund.order_id != order.id or not refund.failed_after_made:
        abort(404)
    form = RepaymentForm()
    problem = None
    if form.validate_on_submit():
        try:
            refund_failures.record_repayment(
                refund, form.repaid_on.data, form.reference.data, current_user
            )
        except refund_failures.RepaymentRefused as refused:
            db.session.rollback()
            problem = refused.message
        else:
            db.session.commit()
            flash(
                f"Recorded: the failed refund of {format_pence(refund.amount_pence)} was repaid "
                "by bank transfer. The buyer has been emailed.",
                "success",
            )
            return redirect(url_for("admin.refund", reference=reference), 303)
    return render_template(
        "admin/orders/refund_repaid.html",
        order=order,
        refund=refund,
        form=form,
        problem=problem,
        words=refund_failures.failure_words(refund.failure_reason),
        refund_page=url_for("admin.refund", reference=reference),
    ), (409 if problem else 400 if form.errors else 200)
