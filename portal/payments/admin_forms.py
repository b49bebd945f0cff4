"""The administrators' refund form: chosen lines (and copies of a printed line), the postage, how
the money went back, and the request key that makes a repeated submission refund once."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovTextInput
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField
from wtforms.validators import Length, ValidationError

from portal.form_fields import DateBoxesField, request_key_field, strip, text_field
from portal.payments.models import RefundMethod

#: Copies typed for a printed line: a few digits, never a number too large to mean anything.
MOST_DIGITS = 6


class RefundForm(FlaskForm):
    # Checkboxes named after their lines' ids; copies of a printed line in ``quantity-<id>``.
    lines = SelectMultipleField("Lines to refund", coerce=str, validate_choice=False)
    postage = BooleanField("Postage and packing", widget=GovCheckboxInput())
    refunded_on = DateBoxesField(
        "Date the bank transfer was sent",
        required=None,
        invalid="Date the bank transfer was sent must be a real date",
        not_after_today=True,
        description="For example, 27 3 2026",
    )
    bank_reference = StringField(
        "Bank transfer reference",
        validators=[
            Length(max=100, message="Bank transfer reference must be 100 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    reason = text_field(
        "Reason for the refund",
        "Enter the reason for the refund",
        300,
        too_long="Reason must be 300 characters or fewer",
        area=True,
        description="The buyer sees this on their credit note.",
    )
    request_key = request_key_field("Check the details and refund again")
    confirm = HiddenField()

    def __init__(self, *args, method: RefundMethod | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.method = method

    def validate_refunded_on(self, field) -> None:
        if self.method is RefundMethod.BANK_TRANSFER and field.data is None:
            raise ValidationError("Enter the date the bank transfer was sent")

    def validate_bank_reference(self, field) -> None:
        if self.method is RefundMethod.BANK_TRANSFER and not field.data:
            raise ValidationError("Enter the bank transfer reference")


class RepaymentForm(FlaskForm):
    """How a card refund that failed after it was made was repaid: a bank transfer's date and
    reference."""

    repaid_on = DateBoxesField(
        "Date the bank transfer was sent",
        required="Enter the date the bank transfer was sent",
        invalid="Date the bank transfer was sent must be a real date",
        not_after_today=True,
        description="For example, 27 3 2026",
    )
    reference = text_field(
        "Bank transfer reference",
        "Enter the bank transfer reference",
        100,
        too_long="Bank transfer reference must be 100 characters or fewer",
    )


class CardRepaymentForm(FlaskForm):
    """Repay a card refund that failed after it was made with a new refund to the card."""

    request_key = request_key_field("Refund to the card again")
