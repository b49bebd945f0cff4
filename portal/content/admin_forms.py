"""The form administrators edit a content page with. Its rules (lengths, inserts) live in
``services.problems``, so the form only carries what was typed."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import HiddenField, StringField, SubmitField, TextAreaField

from portal.content.services import Draft
from portal.form_fields import strip


class ContentPageForm(FlaskForm):
    title = StringField("Title", filters=[strip], widget=GovTextInput())
    body = TextAreaField(
        "Text",
        description="Written in Markdown (see below); shown to the public once published.",
        widget=GovTextArea(),
    )
    note = StringField(
        "What changed (optional)",
        description="Kept in the page's history, for example “Added the new cookie”.",
        filters=[strip],
        widget=GovTextInput(),
    )
    #: The version the editor opened, so a save made after someone else's is refused.
    based_on = HiddenField()
    preview = SubmitField("Preview", widget=GovSubmitInput())
    publish = SubmitField("Publish", widget=GovSubmitInput())

    def based_on_id(self) -> int | None:
        """The version id the form was opened at; None for a page with no version yet.
        Raises ValueError when the field holds anything else."""
        value = (self.based_on.data or "").strip()
        if not value:
            return None
        if not (value.isascii() and value.isdigit() and len(value) < 10):
            raise ValueError(value)
        return int(value)

    def draft(self) -> Draft:
        return Draft(
            title=self.title.data or "",
            body=self.body.data or "",
            note=self.note.data or "",
            based_on=self.based_on_id(),
        )

    def fill_from(self, version) -> None:
        self.title.data, self.body.data = version.title, version.body
        self.based_on.data = str(version.id)
