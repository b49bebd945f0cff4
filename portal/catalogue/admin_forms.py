"""Forms administrators use to edit the catalogue: reports, their formats, and their files.

Amounts are typed in pounds ("145.00") and VAT as a percentage ("20" or "17.5"); both are parsed
as text into whole pence and basis points, so no float ever touches money.
"""

import re

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    FileField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, ValidationError

from portal import pricing
from portal.catalogue.isbn import IsbnRefused, parse_isbn
from portal.catalogue.models import DEFAULT_SAMPLE_PAGES
from portal.catalogue.services import SLUG
from portal.form_fields import DateBoxesField, strip, text_field

# Pounds with optional pence; thousands may be grouped with commas ("1,234.50").
_POUNDS = re.compile(r"£?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?")
_PERCENT = re.compile(r"(\d{1,3})(?:\.(\d{1,2}))?%?")
_WHOLE = re.compile(r"\d{1,9}")
#: The largest amount the portal takes, in pence (well inside a 32-bit integer column).
MAX_PENCE = 100_000_000
#: The most pages a free sample may have.
MAX_SAMPLE_PAGES = 50
#: The largest page limit an administrator may set (well inside a 32-bit integer column).
MAX_PAGE_LIMIT = 1_000_000


def same_line_endings(value):
    """A WTForms filter: line breaks as "\\n", whether the browser sent CRLF, CR or LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def parse_pounds(text: str) -> int | None:
    """``"145.00"`` → ``14500`` pence; None for anything that is not an amount of money."""
    match = _POUNDS.fullmatch((text or "").strip())
    if not match:
        return None
    pounds = int(match.group(1).replace(",", ""))
    pence = int((match.group(2) or "0").ljust(2, "0"))
    total = pounds * 100 + pence
    return total if total <= MAX_PENCE else None


def parse_percent(text: str) -> int | None:
    """``"17.5"`` → ``1750`` basis points; None unless a percentage from 0 to 100."""
    match = _PERCENT.fullmatch((text or "").strip())
    if not match:
        return None
    basis_points = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    return basis_points if basis_points <= 10_000 else None


def parse_whole(text: str) -> int | None:
    """A whole number of 0 or more, or None."""
    value = (text or "").strip()
    return int(value) if _WHOLE.fullmatch(value) else None


def pounds_text(pence: int) -> str:
    """Pence as the pounds an administrator typed: ``14500`` → ``"145.00"``."""
    return f"{pence // 100}.{pence % 100:02d}"


def percent_text(basis_points: int) -> str:
    whole, part = divmod(basis_points, 100)
    return str(whole) if not part else f"{whole}.{part:02d}".rstrip("0")


def _chargeable(field, name: str) -> None:
    """A price a card can be charged: nothing, or within Stripe's limits."""
    pence = parse_pounds(field.data or "")
    if pence is not None and (refused := pricing.price_refusal(pence)):
        raise ValidationError(f"{name} {refused}")


class TopicsField(SelectMultipleField):
    """Topics ticked from those offered; one that is not (removed meanwhile) is refused."""

    def pre_validate(self, form) -> None:
        offered = {value for value, _ in self.choices or []}
        if any(value not in offered for value in self.data or []):
            raise ValidationError(
                "Choose topics from the list: one of those chosen has been removed"
            )


class ReportForm(FlaskForm):
    title = text_field("Title", "Enter the report's title", 300)
    slug = text_field(
        "Web address name (optional)",
        None,
        120,
        description="The last part of the report's web address: lower-case letters, numbers "
        "and hyphens, like modern-public-services. Leave it empty to make it from the title.",
    )
    series = text_field("Series (optional)", None, 200)
    authors = text_field(
        "Authors (optional)",
        None,
        500,
        description="As the report credits them, like Priya Shah and Tom Evans",
    )
    edition = text_field(
        "Edition (optional)",
        None,
        200,
        description="As printed in the report, like Second edition, revised March 2025",
    )
    isbn = text_field(
        "ISBN (optional)",
        None,
        20,
        description="13 digits; hyphens are fine, like 978-1-4028-9462-6",
    )
    topic_ids = TopicsField(
        "Topics (optional)",
        coerce=int,
        choices=[],
        widget=GovCheckboxesInput(),
        description="The catalogue can be filtered by topic",
    )
    summary = TextAreaField(
        "Summary",
        validators=[DataRequired(message="Enter a summary"), Length(max=20_000)],
        filters=[strip, same_line_endings],
        widget=GovTextArea(),
        description="Leave a blank line between paragraphs.",
    )
    contents = TextAreaField(
        "Contents (optional)",
        validators=[Length(max=20_000, message="Contents must be 20,000 characters or fewer")],
        filters=[strip, same_line_endings],
        widget=GovTextArea(),
        description="One chapter or section per line.",
    )
    published_on = DateBoxesField(
        "Publication date",
        required=None,  # the message comes from validate_published_on
        invalid="Publication date must be a real date, like 14 2 2006",
        description="For example, 14 2 2006",
    )
    sample_pages = StringField(
        "Sample pages",
        validators=[DataRequired(message="Enter the number of sample pages")],
        # The report's own value is a number; what is typed is text.
        filters=[lambda value: str(value) if isinstance(value, int) else strip(value)],
        widget=GovTextInput(),
        description="How many of the PDF's first pages anyone may download free, stamped "
        "\u201cSample\u201d",
        default=str(DEFAULT_SAMPLE_PAGES),
    )
    is_published = BooleanField("Published: show it in the catalogue", widget=GovCheckboxInput())
    submit = SubmitField("Save report", widget=GovSubmitInput())

    def validate_sample_pages(self, field) -> None:
        pages = parse_whole(field.data or "")
        if pages is None or not 1 <= pages <= MAX_SAMPLE_PAGES:
            raise ValidationError(
                f"Sample pages must be a whole number from 1 to {MAX_SAMPLE_PAGES}, like 5"
            )

    def validate_slug(self, field) -> None:
        if field.data and not SLUG.fullmatch(field.data):
            raise ValidationError(
                "Web address name must be lower-case letters, numbers and single hyphens, "
                "like modern-public-services"
            )

    def validate_isbn(self, field) -> None:
        if field.data:
            try:
                field.data = parse_isbn(field.data)
            except IsbnRefused as refused:
                raise ValidationError(str(refused)) from None

    def offer_topics(self, topics) -> None:
        """The topics to choose from (checkboxes), by name."""
        self.topic_ids.choices = [(topic.id, topic.name) for topic in topics]

    def validate_published_on(self, field) -> None:
        if field.errors:
            return  # not a real date: the field said so already
        if field.data is None:
            raise ValidationError("Enter the publication date")
        if not 1900 <= field.data.year <= 2200:
            raise ValidationError("Publication date must have a year between 1900 and 2200")


def _amount(label: str, **kwargs) -> StringField:
    return StringField(
        label,
        validators=[DataRequired(message=f"Enter the {label.lower()}")],
        filters=[strip],
        widget=GovTextInput(),
        **kwargs,
    )


class FormatForm(FlaskForm):
    """A format's prices and, for printed copies, stock and postage; for PDFs the download limit.
    ``kind`` decides which fields apply; the rest are ignored."""

    price = _amount("Standard price", description="In pounds, for example 145.00")
    subscriber_price = _amount(
        "Subscriber price", description="In pounds; 0.00 makes it free to Insight subscribers"
    )
    vat_rate = _amount(
        "VAT rate", description="A percentage; printed and electronic publications are 0"
    )
    free_copies = text_field(
        "Free printed copies per organisation", None, 9, description="Per subscribing organisation"
    )
    stock = text_field(
        "Copies in stock",
        None,
        9,
        description="Free to order now: copies held by unpaid orders are not counted",
    )
    postage = text_field(
        "Postage", None, 20, description="In pounds, per order with printed copies"
    )
    max_copies = text_field(
        "Most printed copies per order",
        None,
        9,
        description="Also the most one email address may order in a day; larger orders by "
        "arrangement",
    )
    download_limit = text_field("Downloads allowed per order line", None, 9)
    page_limit = text_field(
        "Pages allowed in the report PDF",
        None,
        9,
        description="A PDF with more pages is refused when it is uploaded",
    )
    submit = SubmitField("Save format", widget=GovSubmitInput())

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind

    def _check(self, field, parse, message: str) -> None:
        if field.data and parse(field.data) is None:
            raise ValidationError(message)

    def validate_price(self, field) -> None:
        self._check(field, parse_pounds, "Standard price must be an amount in pounds, like 145.00")
        _chargeable(field, "Standard price")

    def validate_subscriber_price(self, field) -> None:
        self._check(field, parse_pounds, "Subscriber price must be an amount in pounds, like 0.00")
        _chargeable(field, "Subscriber price")

    def validate_vat_rate(self, field) -> None:
        self._check(field, parse_percent, "VAT rate must be a percentage from 0 to 100, like 20")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        wanted = (
            [
                (self.free_copies, parse_whole, "Enter the free copies as a whole number, like 1"),
                (self.stock, parse_whole, "Enter the copies in stock as a whole number, like 250"),
                (self.postage, parse_pounds, "Postage must be an amount in pounds, like 3.50"),
                (
                    self.max_copies,
                    lambda text: n if (n := parse_whole(text)) else None,
                    "Most printed copies per order must be a whole number of 1 or more, like 20",
                ),
            ]
            if self.kind == "print"
            else [
                (
                    self.download_limit,
                    lambda text: n if (n := parse_whole(text)) else None,
                    "Downloads allowed must be a whole number of 1 or more, like 10",
                ),
                (
                    self.page_limit,
                    lambda text: n if (n := parse_whole(text)) and n <= MAX_PAGE_LIMIT else None,
                    "Pages allowed must be a whole number of 1 or more, like 2000",
                ),
            ]
        )
        for field, parse, message in wanted:
            if not field.errors and parse(field.data or "") is None:
                field.errors.append(message)
                valid = False
        return valid

    def values(self) -> dict:
        """The parsed values, for a valid form: pence, basis points and whole numbers."""
        values = {
            "price_pence": parse_pounds(self.price.data),
            "subscriber_price_pence": parse_pounds(self.subscriber_price.data),
            "vat_rate_basis_points": parse_percent(self.vat_rate.data),
        }
        if self.kind == "print":
            values |= {
                "free_copies_per_organisation": parse_whole(self.free_copies.data),
                "stock": parse_whole(self.stock.data),
                "postage_pence": parse_pounds(self.postage.data),
                "max_copies_per_order": parse_whole(self.max_copies.data),
            }
        else:
            values["download_limit"] = parse_whole(self.download_limit.data)
            values["page_limit"] = parse_whole(self.page_limit.data)
        return values

    def fill_from(self, report_format) -> None:
        """Show a format's current values (GET only)."""
        self.price.data = pounds_text(report_format.price_pence)
        self.subscriber_price.data = pounds_text(report_format.subscriber_price_pence)
        self.vat_rate.data = percent_text(report_format.vat_rate_basis_points)
        self.free_copies.data = str(report_format.free_copies_per_organisation)
        self.stock.data = str(report_format.stock or 0)
        self.postage.data = pounds_text(report_format.postage_pence)
        self.max_copies.data = str(report_format.max_copies_per_order)
        self.download_limit.data = str(report_format.download_limit)
        self.page_limit.data = str(report_format.page_limit)


class PdfUploadForm(FlaskForm):
    pdf = FileField("Report PDF", widget=GovFileInput())
    submit = SubmitField("Upload PDF", widget=GovSubmitInput())


class CoverUploadForm(FlaskForm):
    cover = FileField(
        "Cover image",
        widget=GovFileInput(),
        description="A PNG or JPEG image, up to the size limit",
    )
    submit = SubmitField("Upload cover", widget=GovSubmitInput())
