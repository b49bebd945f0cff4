"""Refunding or crediting lines of a paid order: the page that shows what was paid, refunded
and credited and lets an administrator choose lines (and copies of a printed line), then a page
that shows the amount and the lines before anything irreversible happens, then the refund.

How the money goes back follows from the order (``refunds.method_for``): to the card through
Stripe, recorded as sent by bank transfer, or credited against the unpaid invoice.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.admin.blueprint import bp
from portal.documents import services as documents
from portal.documents.models import DocumentKind
from portal.extensions import db
from portal.form_fields import new_request_key
from portal.money import format_pence
from portal.orders.access import find_order
from portal.payments import refund_failures, refund_lines, refunds
from portal.payments.admin_forms import MOST_DIGITS, RefundForm
from portal.payments.models import RefundMethod, RefundStatus


def _order_page(reference: str) -> str:
    return url_for("admin.order", reference=reference)


def _line_rows(order) -> list[dict]:
    """Each line with the copies left to refund and what they are worth."""
    taken = refund_lines.taken(order)
    rows = []
    for line in order.lines:
        already = max(taken.get(line.id, 0), line.refunded_quantity)
        left = refund_lines.copies_left(line, already)
        rows.append(
            {
                "line": line,
                "left": left,
                "already": already,
                "worth_left": sum(refund_lines.worth(line, already, left)) if left else 0,
            }
        )
    return rows


def _chosen(order, form: RefundForm) -> dict[int, int] | None:
    """The copies chosen of each line, by line id; None (with the reason on the form) when a
    choice cannot be read."""
    lines = {str(line.id): line for line in order.lines}
    taken = refund_lines.taken(order)
    chosen: dict[int, int] = {}
    for value in form.lines.data or []:
        line = lines.get(value)
        if line is None:
            form.lines.errors.append("That line is not part of this order. Start again.")
            return None
        typed = request.form.get(f"quantity-{line.id}", "").strip()
        if not typed:
            already = max(taken.get(line.id, 0), line.refunded_quantity)
            chosen[line.id] = max(refund_lines.copies_left(line, already), 1)
        elif typed.isascii() and typed.isdigit() and len(typed) <= MOST_DIGITS:
            chosen[line.id] = int(typed)
        else:
            form.lines.errors.append(
                f"Enter the number of copies of “{line.report_title}” to refund, like 2"
            )
            return None
    return chosen


def _page(order, form, problem: str | None = None, status: int = 200):
    return (
        render_template(
            "admin/orders/refund.html",
            order=order,
            form=form,
            totals=refunds.summary(order),
            refused=refunds.refusal(order),
            problem=problem,
            rows=_line_rows(order),
            postage_left=max(order.postage_pence - refund_lines.postage_taken(order), 0),
            credit_notes=refunds.credit_note_numbers(order),
            order_page=_order_page(order.reference),
            RefundStatus=RefundStatus,
            RefundMethod=RefundMethod,
            failure_words=refund_failures.failure_words,
            repaid_by_card=refund_failures.card_refunds_repaying(order),
        ),
        status,
    )


def _confirmation(order, form, chosen: dict[int, int], plan):
    invoice = documents.first_of_kind(order, DocumentKind.INVOICE)
    totals = refunds.summary(order)
    return render_template(
        "admin/orders/refund_confirm.html",
        order=order,
        form=form,
        plan=plan,
        chosen=chosen,
        amount=refunds.amount_of(order, plan),
        totals=totals,
        invoice=invoice,
        order_page=_order_page(order.reference),
        RefundMethod=RefundMethod,
    )


@bp.route("/orders/<reference>/refund", methods=["GET", "POST"])
def refund(reference: str):
    order = find_order(reference)
    if order is None:
        abort(404)
    form = RefundForm(method=refunds.method_for(order))
    if not form.is_submitted():
        form.request_key.data = new_request_key()
        return _page(order, form)
    if not form.validate():
        if form.request_key.errors:
            form.request_key.data = new_request_key()
        return _page(order, form)
    sent_before = refunds.refund_for_key(form.request_key.data)
    if sent_before is None:
        if refused := refunds.refusal(order):
            return _page(order, form, refused, 409)
        chosen = _chosen(order, form)
        if chosen is None:
            return _page(order, form)
        try:
            plan = refunds.check_choice(order, chosen, form.postage.data)
        except refunds.RefundRefused as refused:
            form.lines.errors.append(refused.message)
            return _page(order, form)
        if form.confirm.data != "yes" or "change" in request.form:
            if "change" in request.form:
                return _page(order, form)
            return _confirmation(order, form, chosen, plan)
    else:
        chosen = {}
    return _refund(order, form, chosen)


def _refund(order, form: RefundForm, chosen: dict[int, int]):
    reference = order.reference
    try:
        made = refunds.request_refund(
            order,
            chosen,
            form.reason.data,
            current_user,
            request_key=form.request_key.data,
            postage=bool(form.postage.data),
            refunded_on=form.refunded_on.data,
            bank_reference=form.bank_reference.data or "",
        )
    except refunds.StripeRefused as refused:
        if refused.recorded:
            db.session.commit()
        else:
            db.session.rollback()
        form.request_key.data = new_request_key()
        return _page(find_order(reference), form, refused.message, 409)
    except refunds.RefundRefused as refused:
        db.session.rollback()
        form.request_key.data = new_request_key()
        return _page(find_order(reference), form, refused.message, 409)
    except refunds.RefundUnavailable:
        # Keep the refund as requested (and its audit entry): the same key completes it later.
        db.session.commit()
        message = (
            "Stripe could not be reached, so nothing has been refunded yet. "
            "The refund is saved: press Send again to send it."
        )
        return _page(find_order(reference), form, message, 503)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same form submitted twice at once: the other one made it
        flash("This refund was already requested.", "info")
        return redirect(_order_page(reference), 303)
    flash(_outcome(made), "success" if made.status is RefundStatus.SUCCEEDED else "info")
    return redirect(_order_page(reference), 303)


def _outcome(made) -> str:
    amount = format_pence(made.amount_pence)
    if made.status is RefundStatus.FAILED:
        return f"Stripe could not refund {amount}."
    if made.status is RefundStatus.REQUESTED:
        return (
            f"Stripe is making the refund of {amount}. It is recorded here, and the buyer "
            "emailed, when Stripe confirms it."
        )
    if made.amount_pence == 0:
        return (
            "The free printed copies will not be posted: they are back in stock and in the "
            "organisation's free copies. The buyer has been emailed."
        )
    if made.method is RefundMethod.CREDIT:
        return f"Credited {amount} against the invoice. The buyer has been emailed."
    return f"Refunded {amount}. The buyer has been emailed."
