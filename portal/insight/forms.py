"""The request form on the "What Insight is" page, and the administrators' step on a request."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from portal.form_fields import request_key_field, strip
from portal.insight.models import RequestState, RequestTopic

MESSAGE_LENGTH = 2000


def _text(label: str, missing: str | None, length: int, **kwargs) -> StringField:
    required = [DataRequired(message=missing)] if missing else [Optional()]
    return StringField(
        label,
        validators=[
            *required,
            Length(max=length, message=f"{label} must be {length} characters or fewer"),
        ],
        filters=[strip],
        widget=GovTextInput(),
        **kwargs,
    )


class InsightRequestForm(FlaskForm):
    topic = RadioField(
        "What would you like to do?",
        choices=[SelectChoice(topic.value, topic.label) for topic in RequestTopic],
        validators=[InputRequired(message="Choose what you would like to do")],
        widget=GovRadioInput(),
    )
    name = _text("Full name", "Enter your full name", 200)
    organisation = _text("Organisation", "Enter the name of your organisation", 200)
    email = EmailField(
        "Work email address",
        validators=[
            InputRequired(message="Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(message="Enter an email address in the correct format, like name@example.gov.uk"),
        ],
        filters=[strip],
        widget=GovTextInput(),
    )
    role = _text("Your role (optional)", None, 200)
    message = TextAreaField(
        "Message (optional for joining or renewing)",
        validators=[
            Length(
                max=MESSAGE_LENGTH,
                message=f"Message must be {MESSAGE_LENGTH:,} characters or fewer",
            )
        ],
        filters=[strip],
        widget=GovTextArea(),
    )
    request_key = request_key_field("Check the details and send it again")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.topic.data == RequestTopic.QUESTION.value and not self.message.data:
            self.message.errors.append("Enter your question")
            return False
        return valid


class RequestStepForm(FlaskForm):
    state = SelectField(
        "Change the state to",
        choices=[SelectChoice("", "Keep as it is")]
        + [SelectChoice(state.value, state.label) for state in RequestState],
        widget=GovSelect(),
    )

    def offer_states(self, states) -> None:
        """Offer only ``states`` (those the request may move to) besides keeping it as it is."""
        self.state.choices = [SelectChoice("", "Keep as it is")] + [
            SelectChoice(state.value, state.label) for state in states
        ]

    note = TextAreaField(
        "Note (optional)",
        validators=[
            Length(
                max=MESSAGE_LENGTH, message=f"Note must be {MESSAGE_LENGTH:,} characters or fewer"
            )
        ],
        filters=[strip],
        widget=GovTextArea(),
    )

    @property
    def chosen_state(self) -> RequestState | None:
        return RequestState(self.state.data) if self.state.data else None
