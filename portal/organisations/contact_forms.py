"""The form administrators add a subscription contact with, on the organisation's page (field
names start ``contact_`` because other forms share that page)."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from portal.form_fields import strip


class ContactForm(FlaskForm):
    contact_name = StringField(
        "Name",
        validators=[
            DataRequired(message="Enter the contact's name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    contact_email = EmailField(
        "Email address",
        validators=[
            InputRequired(message="Enter the contact's email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(message="Enter an email address in the correct format, like name@example.gov.uk"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    contact_role = StringField(
        "Role (optional)",
        validators=[Optional(), Length(max=200, message="Role must be 200 characters or fewer")],
        filters=[strip],
        widget=GovTextInput(),
    )
