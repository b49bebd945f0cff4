"""Forms administrators use for organisations, their domains, subscriptions and named members.

Field names differ between the forms (``domain``, ``member_email``…) because several of them sit on
the one organisation page, where ids must be unique.
"""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovSelect,
    GovTextInput,
)
from wtforms import EmailField, HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from portal.form_fields import DateBoxesField, strip, text_field
from portal.organisations.models import OrganisationKind


class OrganisationForm(FlaskForm):
    name = text_field("Name", "Enter the name of the organisation", 200)
    kind = SelectField(
        "Kind",
        choices=[SelectChoice(kind.value, kind.label) for kind in OrganisationKind],
        validators=[InputRequired(message="Choose the kind of organisation")],
        widget=GovSelect(),
    )

    @property
    def kind_value(self) -> OrganisationKind:
        return OrganisationKind(self.kind.data)


class DomainForm(FlaskForm):
    domain = text_field(
        "Email domain",
        "Enter an email domain like leeds.gov.uk",
        253,
        too_long="A domain is 253 characters or fewer",
        description="Addresses at this domain and its subdomains belong to the organisation.",
    )


class SubscriptionForm(FlaskForm):
    starts_on = DateBoxesField(
        "Start date",
        required="Enter the start date",
        invalid="The start date must be a real date, like 1 4 2026",
    )
    ends_on = DateBoxesField(
        "End date",
        required="Enter the end date",
        invalid="The end date must be a real date, like 1 4 2026",
    )
    notes = text_field(
        "Notes (optional)",
        None,
        2000,
        too_long="Notes must be 2,000 characters or fewer",
        area=True,
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.ends_on.data < self.starts_on.data:
            self.ends_on.errors.append("The end date must be the same as or after the start date")
            return False
        return valid


class MemberForm(FlaskForm):
    member_email = EmailField(
        "Email address",
        validators=[
            InputRequired(message="Enter the email address of the member"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
        description="For someone whose address is not at one of its domains.",
    )


class ImportUploadForm(FlaskForm):
    file = FileField(
        "Subscribers CSV file",
        validators=[FileRequired(message="Choose a CSV file to upload")],
        widget=GovFileInput(),
    )


class ImportApplyForm(FlaskForm):
    """The previewed file, carried back signed so exactly what was previewed is applied."""

    content = HiddenField()


class OnStopForm(FlaskForm):
    stop_reason = text_field(
        "Why is the organisation going on stop?",
        "Enter why the organisation is going on stop",
        500,
        too_long="Reason must be 500 characters or fewer",
        area=True,
        description="For administrators only: the organisation's people are told only that "
        "its account is on hold.",
    )


class PublicSectorDomainForm(FlaskForm):
    public_domain = text_field(
        "Public-sector email domain",
        "Enter an email domain like gov.uk",
        253,
        too_long="A domain is 253 characters or fewer",
        description="Verified addresses at this domain and its subdomains buy on credit terms.",
    )


class ManagerForm(FlaskForm):
    manager_email = EmailField(
        "Email address of the new manager",
        validators=[
            InputRequired(message="Enter the email address of the new manager"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
        description="They need an account with a confirmed address of the organisation.",
    )
