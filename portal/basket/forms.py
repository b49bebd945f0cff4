"""Forms for putting reports in the basket and changing quantities."""

import re

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired, NumberRange

QUANTITY_MESSAGE = "Enter the number of copies as a whole number, like 2"


class QuantityForm(FlaskForm):
    quantity = IntegerField(
        "Number of copies",
        validators=[
            InputRequired(message=QUANTITY_MESSAGE),
            NumberRange(min=1, message="Enter a number of copies of 1 or more"),
        ],
    )


class AddToBasketForm(QuantityForm):
    format_id = HiddenField()

    def chosen_format_id(self) -> int | None:
        value = self.format_id.data
        return int(value) if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value) else None
