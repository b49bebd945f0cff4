"""Forms for administrators' actions on an order. Field names differ between forms, because
several forms share the order page (and the error summary links to fields by id)."""

import re
from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from portal.clock import today_in_london
from portal.form_fields import DateBoxesField, text_field

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class MarkInvoicePaidForm(FlaskForm):
    paid_on = DateBoxesField(
        "Date the money arrived",
        required="Enter the date the money arrived",
        invalid="Date the money arrived must be a real date",
        not_after_today=True,
        description="For example, 27 3 2026",
    )
    payment_reference = text_field(
        "Payment reference",
        "Enter the payment reference",
        100,
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
    dispatch_note = text_field(
        "Note or tracking number (optional)",
        None,
        200,
        too_long="Note must be 200 characters or fewer",
    )
    submit = SubmitField("Mark printed copies dispatched", widget=GovSubmitInput())


class CancelForm(FlaskForm):
    cancel_note = text_field(
        "Why is the order being cancelled?",
        "Enter why the order is being cancelled",
        500,
        too_long="Reason must be 500 characters or fewer",
    )
    submit = SubmitField("Cancel order", widget=GovSubmitInput())


class ClearAttentionForm(FlaskForm):
    attention_note = text_field(
        "What was done?",
        "Enter what was done about it",
        500,
        too_long="Note must be 500 characters or fewer",
    )
    submit = SubmitField("Clear the flag", widget=GovSubmitInput())


class AddPoNumberForm(FlaskForm):
    po_number = text_field(
        "Purchase order number",
        "Enter the purchase order number",
        64,
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
