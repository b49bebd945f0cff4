"""Checkout forms: who is ordering, and where printed copies go."""

import re

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from portal.form_fields import strip, text_field

# UK postcodes: outward code, then inward code (digit and two letters); GIR 0AA is Girobank's.
_POSTCODE = re.compile(r"^(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})$")


# A UK or international phone number as people write them: digits, spaces, brackets, hyphens.
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]*$")
PHONE_PROBLEM = "Enter a phone number, like 01632 960 001 or +44 1632 960 001"


def normalise_postcode(value: str) -> str:
    """``sw1a1aa`` → ``SW1A 1AA``."""
    compact = re.sub(r"\s+", "", value.upper())
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def phone_problem(value: str) -> str | None:
    """Why ``value`` is not a phone number (None when it is one, or is empty)."""
    digits = sum(character.isdigit() for character in value)
    if value and (not _PHONE.match(value) or not 7 <= digits <= 15):
        return PHONE_PROBLEM
    return None


class ContactForm(FlaskForm):
    name = text_field("Full name", "Enter your full name", 200)
    email = EmailField(
        "Email address",
        validators=[
            InputRequired(message="Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(message="Enter an email address in the correct format, like name@example.gov.uk"),
        ],
        filters=[strip],
        widget=GovTextInput(),
        description="We send your order confirmation, receipt and download links here.",
    )
    organisation = text_field(
        "Organisation", None, 200, description="For example, the council you are ordering for."
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class AddressFields:
    """A UK postal address with its organisation line and an optional phone number."""

    address_organisation = text_field(
        "Organisation (optional)",
        None,
        200,
        description="The organisation line of the address, as a council's post room needs it.",
    )
    address_line1 = text_field("Address line 1", "Enter the first line of the address", 200)
    address_line2 = text_field("Address line 2 (optional)", None, 200)
    town = text_field("Town or city", "Enter the town or city", 100)
    postcode = text_field("Postcode", "Enter a postcode", 10)
    phone = text_field(
        "Phone (optional)", None, 30, description="In case the courier needs to call."
    )

    def validate_postcode(self, field) -> None:
        value = normalise_postcode(field.data or "")
        if not _POSTCODE.match(value):
            raise ValidationError("Enter a real postcode, like SW1A 1AA")
        field.data = value

    def validate_phone(self, field) -> None:
        if problem := phone_problem(field.data or ""):
            raise ValidationError(problem)


class DeliveryForm(AddressFields, ContactForm):
    """Contact details plus a UK postal address, for orders with printed copies."""

    save_address = BooleanField("Save this address to choose next time", widget=GovCheckboxInput())


class SavedAddressForm(AddressFields, FlaskForm):
    """An address kept in a person's account, to choose at checkout."""

    submit = SubmitField("Save address", widget=GovSubmitInput())


_INVOICE_REQUIRED = {
    "billing_line1": "Enter the first line of the billing address",
    "billing_town": "Enter the town or city of the billing address",
    "billing_postcode": "Enter the postcode of the billing address",
    "finance_email": "Enter the email address of your finance contact",
}


class InvoiceDetailsForm(FlaskForm):
    """What paying on invoice needs: a purchase-order number (or "PO to follow"), a billing
    address and a finance contact. Checked by ``invoice_details_valid``."""

    po_number = text_field(
        "Purchase order number",
        None,
        64,
        description="Leave this empty if you choose PO to follow below.",
    )
    po_to_follow = BooleanField(
        "PO to follow: I will send the PO number later", widget=GovCheckboxInput()
    )
    billing_organisation = text_field("Organisation on the billing address (optional)", None, 200)
    billing_line1 = text_field("Billing address line 1", None, 200)
    billing_line2 = text_field("Billing address line 2 (optional)", None, 200)
    billing_town = text_field("Town or city", None, 100)
    billing_postcode = text_field("Postcode", None, 10)
    billing_phone = text_field("Phone for invoice queries (optional)", None, 30)
    finance_email = EmailField(
        "Finance contact email address",
        validators=[
            Optional(),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(message="Enter an email address in the correct format, like name@example.gov.uk"),
        ],
        filters=[strip],
        widget=GovTextInput(),
        description="Who pays the invoice: we send it to them as well as to you.",
    )

    def invoice_details_valid(self) -> bool:
        """Add the errors of the invoice fields (after ``validate``); whether there are none."""
        valid = True
        if not self.po_number.data and not self.po_to_follow.data and not self.po_number.errors:
            self.po_number.errors.append("Enter your purchase order number, or choose PO to follow")
            valid = False
        elif self.po_number.data and self.po_to_follow.data:
            self.po_number.errors.append(
                "Either enter your purchase order number or choose PO to follow, not both"
            )
            valid = False
        for name, message in _INVOICE_REQUIRED.items():
            field = getattr(self, name)
            if not field.data and not field.errors:
                field.errors.append(message)
                valid = False
        if (
            problem := phone_problem(self.billing_phone.data or "")
        ) and not self.billing_phone.errors:
            self.billing_phone.errors.append(problem)
            valid = False
        postcode = self.billing_postcode
        if postcode.data and not postcode.errors:
            value = normalise_postcode(postcode.data)
            if _POSTCODE.match(value):
                postcode.data = value
            else:
                postcode.errors.append("Enter a real postcode, like SW1A 1AA")
                valid = False
        return valid


#: The billing fields "same as delivery" fills, and the delivery fields they come from.
_BILLING_FROM_DELIVERY = {
    "billing_organisation": "address_organisation",
    "billing_line1": "address_line1",
    "billing_line2": "address_line2",
    "billing_town": "town",
    "billing_postcode": "postcode",
    "billing_phone": "phone",
}


class PaymentForm(InvoiceDetailsForm):
    """How to pay: by card now, or on invoice against a purchase order (organisations only)."""

    method = RadioField(
        "How would you like to pay?",
        choices=[
            SelectChoice("card", "By card now"),
            SelectChoice("invoice", "By invoice, with a purchase order"),
        ],
        validators=[InputRequired(message="Choose how you would like to pay")],
        widget=GovRadioInput(),
    )
    billing_same_as_delivery = BooleanField(
        "The billing address is the same as the delivery address", widget=GovCheckboxInput()
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def __init__(self, *args, delivery: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._delivery = delivery if delivery and delivery.get("postcode") else None
        if self._delivery is None:
            del self.billing_same_as_delivery

    def validate(self, extra_validators=None) -> bool:
        if self._delivery is not None and self.billing_same_as_delivery.data:
            for billing, delivery in _BILLING_FROM_DELIVERY.items():
                self[billing].data = self._delivery.get(delivery, "")
        valid = super().validate(extra_validators)
        if self.method.data != "invoice":
            return valid
        return self.invoice_details_valid() and valid


class SwitchToInvoiceForm(InvoiceDetailsForm):
    """An unpaid card order switched to paying on invoice."""

    organisation = text_field(
        "Organisation",
        "Enter the organisation you are ordering for",
        200,
        description="Paying by invoice is for organisations.",
    )
    token = HiddenField()
    submit = SubmitField("Pay by invoice instead", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self.invoice_details_valid() and valid
