"""The buyer switching an unpaid order between card and invoice, from the order's page: the
owner, the browser that placed it, or the holder of its emailed link (``payments.switching``
does the work)."""

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.accounts.models import User
from portal.checkout.forms import SwitchToInvoiceForm
from portal.checkout.views import bp
from portal.clock import today_in_london
from portal.extensions import db
from portal.operations.limits import PAY, post_limit
from portal.orders import services as orders
from portal.orders.access import find_order, may_view, placed_here
from portal.organisations.services import person_for
from portal.payments import services as payments
from portal.payments import switching
from portal.pricing import GUEST


def _order_for(reference: str, token: str | None):
    order = find_order(reference)
    if order is None or not may_view(order, current_user, placed_here(session), token):
        abort(404)  # someone else's order looks exactly like one that does not exist
    return order


def _back(order, token: str | None):
    return redirect(url_for("orders.show", reference=order.reference, token=token or None))


def _buyer(order):
    """The order's buyer as pricing sees them: their account's verified address, or a guest."""
    user = db.session.get(User, order.user_id) if order.user_id is not None else None
    return person_for(user, today_in_london()) if user is not None else GUEST


@bp.route("/orders/<reference>/pay-by-invoice", methods=["GET", "POST"])
@post_limit(PAY)
def switch_to_invoice(reference: str):
    token = request.values.get("token") or None
    order = _order_for(reference, token)
    if not switching.may_switch_to_invoice(order):
        flash("This order cannot switch to paying by invoice.", "info")
        return _back(order, token)
    form = SwitchToInvoiceForm(
        data=None
        if request.method == "POST"
        else {"organisation": order.organisation_name, "token": token or ""}
    )
    if form.validate_on_submit():
        details = orders.InvoiceDetails(
            po_number="" if form.po_to_follow.data else form.po_number.data,
            line1=form.billing_line1.data,
            line2=form.billing_line2.data or "",
            town=form.billing_town.data,
            postcode=form.billing_postcode.data,
            finance_email=form.finance_email.data,
            organisation=form.billing_organisation.data or "",
            phone=form.billing_phone.data or "",
        )
        order.organisation_name = form.organisation.data
        try:
            switching.switch_to_invoice(order, details, _buyer(order), _actor(), today_in_london())
        except switching.PaidMeanwhile as paid:
            db.session.commit()  # the payment found is kept
            flash(str(paid), "info")
            return _back(order, token)
        except switching.SwitchRefused as refused:
            db.session.rollback()
            flash(str(refused), "error")
            return _back(order, token)
        db.session.commit()
        flash(_switched_message(order), "success")
        return _back(order, token)
    return render_template(
        "checkout/switch_to_invoice.html", order=order, form=form, token=token
    ), (400 if form.errors else 200)


def _actor() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _switched_message(order) -> str:
    if order.state.value == "awaiting_approval":
        return (
            f"Order {order.reference} is now paid on invoice. It waits for our approval: we "
            f"will email the VAT invoice to {order.email} once it is approved."
        )
    if order.released:
        return (
            f"Order {order.reference} is now paid on invoice, on credit terms. We have emailed "
            f"the VAT invoice to {order.email}. Your PDFs can be downloaded now."
        )
    return (
        f"Order {order.reference} is now paid on invoice. We have emailed the VAT invoice to "
        f"{order.email}. Your order is released once it is paid, or sooner if we approve credit."
    )


@bp.route("/orders/<reference>/pay-by-card", methods=["POST"])
@post_limit(PAY)
def switch_to_card(reference: str):
    token = request.form.get("token") or None
    order = _order_for(reference, token)
    try:
        switching.switch_to_card(order, _actor())
        stripe_page = payments.start_checkout(order)
    except switching.SwitchRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return _back(order, token)
    except payments.NotPayable:
        db.session.rollback()
        flash(
            "This order cannot open another card payment page, so it stays paid on invoice.",
            "error",
        )
        return _back(order, token)
    except payments.PaymentUnavailable:
        db.session.rollback()
        flash(
            "We could not reach our card processor, so your order is unchanged: it is still "
            "paid on invoice. Try again in a few minutes.",
            "error",
        )
        return _back(order, token)
    db.session.commit()
    return redirect(stripe_page or url_for("orders.show", reference=order.reference), 303)
