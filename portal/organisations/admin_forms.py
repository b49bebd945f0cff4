"""Forms administrators use for organisations, their domains, subscriptions and named members.

Field names differ between the forms (``domain``, ``member_email``…) because several of them sit on
the one organisation page, where ids must be unique.
"""

from datetime import datetime

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovFileInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import DateField, EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from portal.organisations.models import OrganisationKind


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class _DayMonthYearField(DateField):
    """A GOV.UK date input (day, month, year boxes) with messages in the service's words."""

    def __init__(self, label: str, **kwargs):
        super().__init__(label, format="%d %m %Y", widget=GovDateInput(), **kwargs)

    def process_formdata(self, valuelist):
        # The widget shows exactly three boxes again: a request with fewer or more values (not
        # from our form) must still re-render, never fail.
        valuelist = [*valuelist[:3], *[""] * (3 - len(valuelist[:3]))]
        self.raw_data = valuelist
        if not valuelist or not any(part.strip() for part in valuelist):
            self.data = None
            raise ValueError(f"Enter the {self.label.text.lower()}")
        text = " ".join(part.strip() for part in valuelist)
        try:
            self.data = datetime.strptime(text, "%d %m %Y").date()
        except ValueError:
            self.data = None
            raise ValueError(
                f"The {self.label.text.lower()} must be a real date, like 1 4 2026"
            ) from None


class OrganisationForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[
            DataRequired(message="Enter the name of the organisation"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
        filters=[_strip],
        widget=GovTextInput(),
    )
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
    domain = StringField(
        "Email domain",
        validators=[
            DataRequired(message="Enter an email domain like leeds.gov.uk"),
            Length(max=253, message="A domain is 253 characters or fewer"),
        ],
        filters=[_strip],
        widget=GovTextInput(),
        description="Addresses at this domain and its subdomains belong to the organisation.",
    )


class SubscriptionForm(FlaskForm):
    starts_on = _DayMonthYearField("Start date")
    ends_on = _DayMonthYearField("End date")
    notes = TextAreaField(
        "Notes (optional)",
        validators=[Length(max=2000, message="Notes must be 2,000 characters or fewer")],
        filters=[_strip],
        widget=GovTextArea(),
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
        filters=[_strip],
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
