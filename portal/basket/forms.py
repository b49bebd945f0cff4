"""Forms for putting reports in the basket and changing quantities."""

import re

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import ValidationError

QUANTITY_MESSAGE = "Enter the number of copies as a whole number, like 2"
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")
_BIG_NUMBER = re.compile(r"[0-9]{10,}")


class QuantityForm(FlaskForm):
    quantity = StringField(
        "Number of copies", filters=[lambda v: v.strip() if isinstance(v, str) else v]
    )

    def validate_quantity(self, field) -> None:
        value = field.data or ""
        if _BIG_NUMBER.fullmatch(value):
            field.data = 10**9  # far beyond any stock; the basket says how many there are
            return
        if not _WHOLE_NUMBER.fullmatch(value):
            raise ValidationError(QUANTITY_MESSAGE)
        field.data = int(value)
        if field.data < 1:
            raise ValidationError("Enter a number of copies of 1 or more")


class AddToBasketForm(QuantityForm):
    format_id = HiddenField()

    def chosen_format_id(self) -> int | None:
        value = self.format_id.data
        return int(value) if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value) else None
