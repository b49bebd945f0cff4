"""Forms for closing an account: the person's own, and an administrator's on a person's request."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import Length

from portal.accounts.forms import own_password_field
from portal.form_fields import strip, text_field


class CloseAccountForm(FlaskForm):
    password = own_password_field("Your password", "Password is not correct")
    # Asked for only when two-factor sign-in is on (the page leaves it out otherwise).
    code = StringField(
        "Code from your app",
        validators=[Length(max=32, message="Enter the code")],
        filters=[strip],
        description="The 6-digit code your authenticator app shows now, or a recovery code.",
        widget=GovTextInput(),
    )
    submit = SubmitField("Close my account and erase my details", widget=GovSubmitInput())


class EraseOnRequestForm(FlaskForm):
    reason = text_field(
        "Why (recorded in the audit log)",
        "Say whose request this is and how it reached you",
        500,
        too_long="Reason must be 500 characters or fewer",
        area=True,
    )
    submit = SubmitField("Close the account and erase the person", widget=GovSubmitInput())
