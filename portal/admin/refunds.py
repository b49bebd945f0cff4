"""Refunding a card order: the page that shows what was paid and refunded, and the form."""

import re
import secrets

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from portal.admin.blueprint import bp
from portal.extensions import db
from portal.form_fields import strip
from portal.money import format_pence
from portal.orders.access import find_order
from portal.payments import refunds
from portal.payments.models import RefundStatus

# Pounds, optionally with pence: "12", "12.5", "12.50", "£1,234.50". Never through a float.
_POUNDS = re.compile(r"^£?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$")
# Anything above this is surely a typing slip, and would not fit the database's integer.
_MOST_PENCE = 10_000_000_00


def pence_from_pounds(text: str) -> int | None:
    """``"12.50"`` → 1250; None when it is not an amount in pounds and pence."""
    match = _POUNDS.match(text.strip().replace(" ", ""))
    if not match:
        return None
    pounds, pence = match.group(1).replace(",", ""), match.group(2) or "0"
    if len(pounds) > 12:
        return None
    return int(pounds) * 100 + int(pence.ljust(2, "0"))


class RefundForm(FlaskForm):
    amount = StringField(
        "Amount to refund, in pounds",
        filters=[strip],
        widget=GovTextInput(),
        description="For example, 12.50",
    )
    reason = TextAreaField(
        "Reason for the refund",
        validators=[
            DataRequired(message="Enter the reason for the refund"),
            Length(max=300, message="Reason must be 300 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextArea(),
        description="The buyer sees this on their credit note.",
    )
    # Made when the form is shown: a repeated submission reuses it, so the refund happens once.
    request_key = HiddenField(
        validators=[
            DataRequired(message="This form has expired. Check the details and refund again"),
            Regexp(r"^[A-Za-z0-9_-]{16,100}$", message="This form has expired. Refund again"),
        ]
    )
    submit = SubmitField("Refund", widget=GovSubmitInput())

    def validate_amount(self, field) -> None:
        if not field.data:
            raise ValidationError("Enter the amount to refund")
        pence = pence_from_pounds(field.data)
        if pence is None:
            raise ValidationError("Enter the amount in pounds and pence, like 12.50")
        if pence <= 0:
            raise ValidationError("Enter an amount of at least £0.01")
        if pence > _MOST_PENCE:
            raise ValidationError("Enter an amount no more than the amount left to refund")

    @property
    def amount_pence(self) -> int:
        return pence_from_pounds(self.amount.data or "") or 0


def _new_key() -> str:
    return secrets.token_urlsafe(24)


def _order_page(reference: str) -> str:
    return url_for("admin.order", reference=reference)


def _page(order, form, problem: str | None = None, status: int = 200):
    totals = refunds.summary(order)
    return (
        render_template(
            "admin/orders/refund.html",
            order=order,
            form=form,
            totals=totals,
            refused=refunds.refusal(order),
            problem=problem,
            credit_notes=refunds.credit_note_numbers(order),
            order_page=_order_page(order.reference),
            RefundStatus=RefundStatus,
        ),
        status,
    )


@bp.route("/orders/<reference>/refund", methods=["GET", "POST"])
def refund(reference: str):
    order = find_order(reference)
    if order is None:
        abort(404)
    form = RefundForm()
    if not form.is_submitted():
        form.request_key.data = _new_key()
        return _page(order, form)
    if not form.validate():
        if form.request_key.errors:
            form.request_key.data = _new_key()
        return _page(order, form)
    amount = form.amount_pence
    try:
        made = refunds.request_refund(
            order, amount, form.reason.data, current_user, request_key=form.request_key.data
        )
    except refunds.AmountRefused as refused:
        db.session.rollback()
        form.amount.errors.append(refused.message)
        form.request_key.data = _new_key()  # Stripe may remember the refused key
        return _page(find_order(reference), form)
    except refunds.RefundRefused as refused:
        db.session.rollback()
        return _page(find_order(reference), form, refused.message, 409)
    except refunds.RefundUnavailable:
        # Keep the refund as requested (and its audit entry): the same key completes it later.
        db.session.commit()
        message = (
            "Stripe could not be reached, so nothing has been refunded yet. "
            "The refund is saved: press Refund again to send it."
        )
        return _page(find_order(reference), form, message, 503)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same form submitted twice at once: the other one made it
        flash("This refund was already requested.", "info")
        return redirect(_order_page(reference), 303)
    if made.status is RefundStatus.SUCCEEDED:
        flash(f"Refunded {format_pence(made.amount_pence)}. The buyer has been emailed.", "success")
    elif made.status is RefundStatus.FAILED:
        flash(f"Stripe could not refund {format_pence(made.amount_pence)}.", "info")
    else:
        flash(
            f"Stripe is making the refund of {format_pence(made.amount_pence)}. It is recorded "
            "here, and the buyer emailed, when Stripe confirms it.",
            "info",
        )
    return redirect(_order_page(reference), 303)
