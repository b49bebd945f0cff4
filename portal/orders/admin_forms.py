"""Forms for administrators' actions on an order. Field names differ between forms, because
several forms share the order page (and the error summary links to fields by id)."""

import re
from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from portal.clock import today_in_london
from portal.form_fields import DateBoxesField, strip

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class MarkInvoicePaidForm(FlaskForm):
    paid_on = DateBoxesField(
        "Date the money arrived",
        required="Enter the date the money arrived",
        invalid="Date the money arrived must be a real date",
        not_after_today=True,
        description="For example, 27 3 2026",
    )
    payment_reference = StringField(
        "Payment reference",
        validators=[
            DataRequired(message="Enter the payment reference"),
            Length(max=100, message="Payment reference must be 100 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
        description="For example, the bank transfer's reference.",
    )
    submit = SubmitField("Mark invoice paid", widget=GovSubmitInput())


class DispatchForm(FlaskForm):
    dispatched_on = DateBoxesField(
        "Date posted",
        required="Enter the date the copies were posted",
        invalid="Date posted must be a real date",
        not_after_today=True,
    )
    dispatch_note = StringField(
        "Note or tracking number (optional)",
        validators=[
            Optional(),
            Length(max=200, message="Note must be 200 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    submit = SubmitField("Mark printed copies dispatched", widget=GovSubmitInput())


class CancelForm(FlaskForm):
    cancel_note = StringField(
        "Why is the order being cancelled?",
        validators=[
            DataRequired(message="Enter why the order is being cancelled"),
            Length(max=500, message="Reason must be 500 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    submit = SubmitField("Cancel order", widget=GovSubmitInput())


class ClearAttentionForm(FlaskForm):
    attention_note = StringField(
        "What was done?",
        validators=[
            DataRequired(message="Enter what was done about it"),
            Length(max=500, message="Note must be 500 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    submit = SubmitField("Clear the flag", widget=GovSubmitInput())


class AddPoNumberForm(FlaskForm):
    po_number = StringField(
        "Purchase order number",
        validators=[
            DataRequired(message="Enter the purchase order number"),
            Length(max=64, message="Purchase order number must be 64 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
        description="A copy of the invoice showing it, marked as a copy, is emailed to the "
        "buyer and the finance contact.",
    )
    submit = SubmitField("Add purchase order number", widget=GovSubmitInput())


def action_forms(today: date | None = None) -> dict[str, FlaskForm]:
    """A blank form of each action, dates set to today."""
    today = today or today_in_london()
    return {
        "paid": MarkInvoicePaidForm(formdata=None, paid_on=today),
        "dispatch": DispatchForm(formdata=None, dispatched_on=today),
        "cancel": CancelForm(formdata=None),
        "attention": ClearAttentionForm(formdata=None),
        "po": AddPoNumberForm(formdata=None),
    }
