"""Forms for registering, signing in, managing a password and two-factor sign-in."""

from flask import current_app
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)

from portal.accounts.passwords import MAX_LENGTH, password_problem
from portal.form_fields import strip

EMAIL_REQUIRED = InputRequired(message="Enter your email address")
EMAIL_SHAPE = Email(
    message="Enter an email address in the correct format, like name@example.gov.uk"
)
EMAIL_LENGTH = Length(max=254, message="Email address must be 254 characters or fewer")


def _email_field(label: str = "Email address") -> EmailField:
    return EmailField(
        label,
        validators=[EMAIL_REQUIRED, EMAIL_LENGTH, EMAIL_SHAPE],
        filters=[strip],
        widget=GovTextInput(),
    )


def own_password_field(label: str, wrong: str, description: str | None = None) -> PasswordField:
    """The account's own password, to prove who is asking (``wrong``: what an over-long one gets,
    as it can never be right)."""
    return PasswordField(
        label,
        validators=[
            InputRequired(message="Enter your password"),
            Length(max=MAX_LENGTH, message=wrong),
        ],
        widget=GovPasswordInput(),
        description=description,
    )


def _new_password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[InputRequired(message="Enter a password")],
        widget=GovPasswordInput(),
        description="Use 10 characters or more. A few unrelated words together work well.",
    )


def _confirm_password_field(label: str, missing: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(message=missing),
            EqualTo("password", message="Passwords do not match"),
        ],
        widget=GovPasswordInput(),
    )


class NewPasswordMixin:
    """Checks ``password`` against the rules, knowing the person's own details when it has them."""

    def personal_details(self) -> list[str]:
        return []

    def validate_password(self, field) -> None:
        problem = password_problem(
            field.data or "", current_app.config["PASSWORD_MIN_LENGTH"], self.personal_details()
        )
        if problem:
            raise ValidationError(problem)


def _name_field() -> StringField:
    return StringField(
        "Full name",
        # DataRequired, not InputRequired: a name of only spaces is no name.
        validators=[
            DataRequired(message="Enter your full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )


def _organisation_field() -> StringField:
    return StringField(
        "Organisation",
        validators=[Length(max=200, message="Organisation must be 200 characters or fewer")],
        filters=[strip],
        description=(
            "For example, the council you work for. Leave blank if you are ordering for yourself."
        ),
        widget=GovTextInput(),
    )


class RegisterForm(NewPasswordMixin, FlaskForm):
    name = _name_field()
    email = _email_field()
    organisation = _organisation_field()
    password = _new_password_field("Create a password")
    password_confirm = _confirm_password_field("Confirm password", "Confirm your password")
    submit = SubmitField("Create account", widget=GovSubmitInput())

    def personal_details(self) -> list[str]:
        return [self.email.data or "", self.name.data or "", self.organisation.data or ""]


class SignInForm(FlaskForm):
    email = _email_field()
    password = own_password_field("Password", "Enter a correct email address and password")
    remember = BooleanField(
        "Keep me signed in on this device for 30 days", widget=GovCheckboxInput()
    )
    next = HiddenField()
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ForgottenPasswordForm(FlaskForm):
    email = _email_field()
    submit = SubmitField("Send reset link", widget=GovSubmitInput())


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    password = _new_password_field("New password")
    password_confirm = _confirm_password_field("Confirm new password", "Confirm your new password")
    submit = SubmitField("Set new password", widget=GovSubmitInput())

    def __init__(self, *args, personal: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._personal = personal or []

    def personal_details(self) -> list[str]:
        return self._personal


class ChoosePasswordForm(ResetPasswordForm):
    """Verifying an address whose password this browser did not choose: choose it now."""

    password = _new_password_field("Password")
    password_confirm = _confirm_password_field("Confirm password", "Confirm your password")
    submit = SubmitField("Confirm my address", widget=GovSubmitInput())


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(
        "Current password",
        validators=[
            InputRequired(message="Enter your current password"),
            Length(max=MAX_LENGTH, message="Current password is not correct"),
        ],
        widget=GovPasswordInput(),
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


class DetailsForm(FlaskForm):
    name = _name_field()
    organisation = _organisation_field()
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class ChangeEmailForm(FlaskForm):
    email = _email_field("New email address")
    password = own_password_field(
        "Your password",
        "Password is not correct",
        "So that only you can move your account to another address.",
    )
    submit = SubmitField("Send a link to the new address", widget=GovSubmitInput())


class ResendVerificationForm(FlaskForm):
    submit = SubmitField("Send the link again", widget=GovSubmitInput())


def _code_field(label: str, description: str) -> StringField:
    return StringField(
        label,
        validators=[
            InputRequired(message="Enter the code"),
            Length(max=32, message="Enter the code"),
        ],
        filters=[strip],
        description=description,
        widget=GovTextInput(),
    )


_APP_CODE_HINT = "The 6-digit code your authenticator app shows now."


class TwoFactorSetUpForm(FlaskForm):
    code = _code_field("Code from your app", _APP_CODE_HINT)
    submit = SubmitField("Turn on two-factor sign-in", widget=GovSubmitInput())


class TwoFactorSignInForm(FlaskForm):
    code = _code_field(
        "Security code",
        "The 6-digit code from your authenticator app, or one of your recovery codes.",
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class RecoveryCodesForm(FlaskForm):
    code = _code_field("Code from your app", _APP_CODE_HINT)
    submit = SubmitField("Make new recovery codes", widget=GovSubmitInput())


class TurnOffTwoFactorForm(FlaskForm):
    password = own_password_field("Password", "Password is not correct")
    code = _code_field("Code from your app", _APP_CODE_HINT)
    submit = SubmitField("Turn off two-factor sign-in", widget=GovSubmitInput())
