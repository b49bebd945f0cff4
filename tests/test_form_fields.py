"""The shared text field: stripped, required or optional, at most so many characters, with the
messages the forms give."""

import pytest
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextArea, GovTextInput
from werkzeug.datastructures import MultiDict
from wtforms import TextAreaField

from portal.form_fields import text_field


class NoteForm(FlaskForm):
    class Meta:
        csrf = False

    reason = text_field("Reason", "Enter the reason", 10, area=True)
    note = text_field("Note (optional)", None, 1200, too_long="Note is too long")
    title = text_field("Title", "Enter the title", 1200)


@pytest.mark.parametrize(
    ("data", "errors", "reason"),
    [
        (
            {"reason": "  Ordered twice ", "title": "t"},
            {"reason": ["Reason must be 10 characters or fewer"]},
            "Ordered twice",
        ),
        ({"reason": "  Twice ", "title": "t"}, {}, "Twice"),
        ({"reason": "   ", "title": "t"}, {"reason": ["Enter the reason"]}, ""),
        (
            {"reason": "Twice", "title": "t", "note": "x" * 1201},
            {"note": ["Note is too long"]},
            "Twice",
        ),
        (
            {"reason": "Twice", "title": "x" * 1201},
            {"title": ["Title must be 1,200 characters or fewer"]},
            "Twice",
        ),
        ({"reason": "Twice"}, {"title": ["Enter the title"]}, "Twice"),
    ],
)
def test_text_fields_check_what_is_typed(app, data, errors, reason):
    with app.test_request_context():
        form = NoteForm(formdata=MultiDict(data))
        assert form.validate() is (not errors)
        assert form.errors == errors
        assert form.reason.data == reason


def test_a_text_area_is_a_text_area(app):
    with app.test_request_context():
        form = NoteForm(formdata=None)
        assert isinstance(form.reason, TextAreaField) and isinstance(
            form.reason.widget, GovTextArea
        )
        assert isinstance(form.note.widget, GovTextInput)
