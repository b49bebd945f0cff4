"""One order, for administrators: everything about it, and the actions its state allows.

Each action is a POST: parse the form, find the order, call one service, commit once, and come
back to the order page with a message. A form with mistakes re-renders the page with the error
summary and changes nothing; an action from the wrong state is refused with a message.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.admin import order_queries
from portal.admin.blueprint import bp
from portal.clock import today_in_london
from portal.documents import services as documents
from portal.downloads import admin_services as download_actions
from portal.downloads.admin_services import DownloadActionRefused
from portal.extensions import db
from portal.operations.limits import emails_typed_address, withheld
from portal.orders import admin_services
from portal.orders.admin_forms import (
    AddPoNumberForm,
    CancelForm,
    ClearAttentionForm,
    DispatchForm,
    MarkInvoicePaidForm,
    action_forms,
)
from portal.orders.admin_services import ActionRefused
from portal.payments import admin_services as payment_actions
from portal.payments import owed, refunds
from portal.payments.admin_services import PaymentActionRefused

#: What the order's actions refuse with: the message says why, and nothing was changed.
Refused = ActionRefused | PaymentActionRefused | DownloadActionRefused


def _order_or_404(reference: str):
    order = order_queries.find_order(reference)
    if order is None:
        abort(404)
    return order


def _render_order(order, failed: tuple[str, object] | None = None):
    forms = action_forms()
    status = 200
    if failed is not None:
        name, form = failed
        forms[name] = form
        status = 400
    return render_template(
        "admin/orders/order.html",
        order=order,
        record=order_queries.order_record(order),
        standing=owed.standing_of(order),
        forms=forms,
        failed=failed[1] if failed else None,
        may={
            "approve": payment_actions.may_approve_credit(order),
            "paid": payment_actions.may_mark_invoice_paid(order),
            "dispatch": admin_services.may_dispatch(order),
            "cancel": payment_actions.may_cancel(order),
            "resend": payment_actions.may_resend_email(order),
            "refund": refunds.may_refund(order),
            "po": payment_actions.may_add_po_number(order),
        },
        copies=documents.copies_for(order),
    ), status


def _done(order, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.order", reference=order.reference))


def _refused(order, refused: Refused):
    db.session.rollback()
    flash(str(refused), "error")
    return redirect(url_for("admin.order", reference=order.reference))


@bp.route("/orders/<reference>")
def order(reference: str):
    return _render_order(_order_or_404(reference))


@bp.route("/orders/<reference>/mark-paid", methods=["POST"])
def mark_invoice_paid(reference: str):
    order = _order_or_404(reference)
    form = MarkInvoicePaidForm()
    if not form.validate():
        return _render_order(order, ("paid", form))
    try:
        payment_actions.mark_invoice_paid(
            order, form.paid_on.data, form.payment_reference.data, current_user
        )
    except PaymentActionRefused as refused:
        return _refused(order, refused)
    return _done(order, f"Invoice for {order.reference} marked paid.")


@bp.route("/orders/<reference>/approve-credit", methods=["POST"])
def approve_credit(reference: str):
    order = _order_or_404(reference)
    try:
        invoiced = payment_actions.approve_credit(order, current_user, today_in_london())
    except PaymentActionRefused as refused:
        return _refused(order, refused)
    return _done(
        order,
        f"Credit approved for {order.reference}: its PDFs can be downloaded and its printed "
        "copies posted before the invoice is paid."
        + (" Its VAT invoice has been emailed." if invoiced else ""),
    )


@bp.route("/orders/<reference>/dispatch", methods=["POST"])
def mark_dispatched(reference: str):
    order = _order_or_404(reference)
    form = DispatchForm()
    if not form.validate():
        return _render_order(order, ("dispatch", form))
    try:
        admin_services.mark_dispatched(
            order, form.dispatched_on.data, form.dispatch_note.data or "", current_user
        )
    except ActionRefused as refused:
        return _refused(order, refused)
    return _done(order, f"Printed copies of {order.reference} marked dispatched.")


@bp.route("/orders/<reference>/cancel", methods=["POST"])
def cancel_order(reference: str):
    order = _order_or_404(reference)
    form = CancelForm()
    if not form.validate():
        return _render_order(order, ("cancel", form))
    try:
        payment_actions.cancel_order(order, form.cancel_note.data, current_user, today_in_london())
    except PaymentActionRefused as refused:
        return _refused(order, refused)
    return _done(order, f"Order {order.reference} cancelled.")


@bp.route("/orders/<reference>/resend-email", methods=["POST"])
@emails_typed_address
def resend_email(reference: str):
    order = _order_or_404(reference)
    try:
        name = payment_actions.resend_email(order, current_user, today_in_london())
    except PaymentActionRefused as refused:
        return _refused(order, refused)
    if not_sent := withheld():
        return _done(
            order,
            f"Not sent to {', '.join(not_sent)}: that address has had several emails from us "
            "recently. Try again later.",
        )
    what = "invoice" if name == "invoice" else "order confirmation"
    return _done(order, f"The {what} email was sent again.")


@bp.route("/orders/<reference>/lines/<int:line_id>/reset-downloads", methods=["POST"])
def reset_downloads(reference: str, line_id: int):
    order = _order_or_404(reference)
    if all(line.id != line_id for line in order.lines):
        abort(404)
    try:
        line = download_actions.reset_download_count(order, line_id, current_user)
    except DownloadActionRefused as refused:
        return _refused(order, refused)
    return _done(order, f"Download count of “{line.report_title}” reset.")


@bp.route("/orders/<reference>/clear-attention", methods=["POST"])
def clear_attention(reference: str):
    order = _order_or_404(reference)
    form = ClearAttentionForm()
    if not form.validate():
        return _render_order(order, ("attention", form))
    try:
        admin_services.clear_attention(order, form.attention_note.data, current_user)
    except ActionRefused as refused:
        return _refused(order, refused)
    return _done(order, "Attention flag cleared.")


@bp.route("/orders/<reference>/po-number", methods=["POST"])
def add_po_number(reference: str):
    order = _order_or_404(reference)
    form = AddPoNumberForm()
    if not form.validate():
        return _render_order(order, ("po", form))
    try:
        payment_actions.add_po_number(order, form.po_number.data, current_user, today_in_london())
    except PaymentActionRefused as refused:
        return _refused(order, refused)
    return _done(order, f"Purchase order number {order.po_number} added to {order.reference}.")
