"""Forms for administrators' actions on an order. Field names differ between forms, because
several forms share the order page (and the error summary links to fields by id)."""

import re
from contextlib import suppress
from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSubmitInput, GovTextInput
from wtforms import Field, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from portal.clock import today_in_london

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class DayField(Field):
    """A date typed as day, month and year (three boxes), or as one ``YYYY-MM-DD`` value."""

    widget = GovDateInput()

    def __init__(self, label: str, required: str, **kwargs):
        super().__init__(label, **kwargs)
        self.required_message = required

    def _value(self):
        return self.data.isoformat() if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            self.raw_data = ["", "", ""]  # the widget always shows three boxes
            return
        parts = [v.strip() for v in valuelist]
        self.data = None
        if len(parts) == 1 and _ISO.match(parts[0]):
            with suppress(ValueError):
                self.data = date.fromisoformat(parts[0])
            # The widget always shows three boxes, so keep what was typed as three parts.
            self.raw_data = list(reversed(parts[0].split("-")))
            return
        parts = [*parts, "", "", ""][:3]
        self.raw_data = parts
        if all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts):
            day, month, year = (int(p) for p in parts)
            try:
                self.data = date(year, month, day) if year >= 1000 else None
            except ValueError:
                self.data = None

    def pre_validate(self, form):
        if self.data is None:
            if not self.raw_data or not any(self.raw_data):
                raise StopValidation(self.required_message)
            raise StopValidation(f"{self.label.text} must be a real date")
        if self.data > today_in_london():
            raise StopValidation(f"{self.label.text} must be today or in the past")


class MarkInvoicePaidForm(FlaskForm):
    paid_on = DayField(
        "Date the money arrived",
        "Enter the date the money arrived",
        description="For example, 27 3 2026",
    )
    payment_reference = StringField(
        "Payment reference",
        validators=[
            DataRequired(message="Enter the payment reference"),
            Length(max=100, message="Payment reference must be 100 characters or fewer"),
        ],
        filters=[_strip],
        widget=GovTextInput(),
        description="For example, the bank transfer's reference.",
    )
    submit = SubmitField("Mark invoice paid", widget=GovSubmitInput())


class DispatchForm(FlaskForm):
    dispatched_on = DayField("Date posted", "Enter the date the copies were posted")
    dispatch_note = StringField(
        "Note or tracking number (optional)",
        validators=[
            Optional(),
            Length(max=200, message="Note must be 200 characters or fewer"),
        ],
        filters=[_strip],
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
        filters=[_strip],
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
        filters=[_strip],
        widget=GovTextInput(),
    )
    submit = SubmitField("Clear the flag", widget=GovSubmitInput())


def action_forms(today: date | None = None) -> dict[str, FlaskForm]:
    """A blank form of each action, dates set to today."""
    today = today or today_in_london()
    return {
        "paid": MarkInvoicePaidForm(formdata=None, paid_on=today),
        "dispatch": DispatchForm(formdata=None, dispatched_on=today),
        "cancel": CancelForm(formdata=None),
        "attention": ClearAttentionForm(formdata=None),
    }
