"""Form fields shared by the portal's forms."""

import re
import secrets
from contextlib import suppress
from datetime import date

from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovTextArea, GovTextInput
from wtforms import Field, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, StopValidation

from portal.clock import today_in_london

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def strip(value):
    """A WTForms filter: surrounding spaces are never part of what someone meant."""
    return value.strip() if isinstance(value, str) else value


def new_request_key() -> str:
    """A fresh one-time key for a form that takes one (``request_key_field``)."""
    return secrets.token_urlsafe(24)


def request_key_field(again: str) -> HiddenField:
    """A form's request key, made when the form is shown (``secrets.token_urlsafe``): a repeated
    submission sends the same one, so what it asks for happens once. Missing or malformed, the
    form has expired and the person is told to ``again`` (e.g. "Refund again")."""
    expired = f"This form has expired. {again}"
    return HiddenField(
        validators=[
            DataRequired(message=expired),
            Regexp(r"^[A-Za-z0-9_-]{16,100}$", message=expired),
        ]
    )


def text_field(
    label: str,
    required: str | None,
    max_length: int,
    *,
    too_long: str | None = None,
    area: bool = False,
    **kwargs,
) -> StringField:
    """A text box (``area``: a text area for a longer reason or note), its surrounding spaces
    stripped. ``required`` is the message when it is left empty (None: it may be); it holds at
    most ``max_length`` characters, ``too_long`` being the message beyond that (by default
    "<label> must be <max_length> characters or fewer"). Other arguments go to the field.
    """
    validators = [DataRequired(message=required)] if required else [Optional()]
    validators.append(
        Length(
            max=max_length,
            message=too_long or f"{label} must be {max_length:,} characters or fewer",
        )
    )
    field, widget = (TextAreaField, GovTextArea()) if area else (StringField, GovTextInput())
    return field(label, validators=validators, filters=[strip], widget=widget, **kwargs)


class DateBoxesField(Field):
    """A date typed in GOV.UK's day, month and year boxes (one ``YYYY-MM-DD`` value works too).

    ``required`` is the message when all boxes are empty (None: an empty date is allowed, and
    ``data`` is None); ``invalid`` the message for a date that does not exist, like 31 2 2026;
    ``not_after_today`` refuses dates in the future. A request with fewer or more values than
    three boxes (not from our form) still re-renders its three boxes, never fails.
    """

    widget = GovDateInput()

    def __init__(
        self,
        label: str,
        *,
        required: str | None,
        invalid: str,
        not_after_today: bool = False,
        **kwargs,
    ):
        super().__init__(label, **kwargs)
        self.required_message = required
        self.invalid_message = invalid
        self.not_after_today = not_after_today

    def _value(self):
        return self.data.isoformat() if self.data else ""

    def process_formdata(self, valuelist) -> None:
        parts = [value.strip() for value in valuelist]
        self.data = None
        if len(parts) == 1 and _ISO.fullmatch(parts[0]):
            with suppress(ValueError):
                self.data = date.fromisoformat(parts[0])
            self.raw_data = list(reversed(parts[0].split("-")))
            return
        self.raw_data = [*parts, "", "", ""][:3]
        if all(p.isascii() and p.isdigit() and len(p) <= 4 for p in self.raw_data):
            day, month, year = (int(p) for p in self.raw_data)
            with suppress(ValueError):
                self.data = date(year, month, day) if year >= 1000 else None

    def pre_validate(self, form) -> None:
        if self.data is None:
            if not self.raw_data or not any(self.raw_data):
                if self.required_message is None:
                    return
                raise StopValidation(self.required_message)
            raise StopValidation(self.invalid_message)
        if self.not_after_today and self.data > today_in_london():
            raise StopValidation(f"{self.label.text} must be today or in the past")
