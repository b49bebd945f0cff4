"""Changing the catalogue: what administrators do to reports, formats and their files.

Every function here writes its audit entry in the same transaction as the change, flushes, and
leaves the commit to the request. A refused change raises ``CatalogueRefusal`` before anything is
written. Uploaded files are checked by what they contain, never by their name or stated type, and
are stored under keys the portal makes up.
"""

import secrets
import warnings
from dataclasses import asdict, dataclass
from datetime import date
from io import BytesIO
from typing import BinaryIO

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import audit
from portal.catalogue import topics
from portal.catalogue.models import (
    DEFAULT_MAX_COPIES_PER_ORDER,
    DEFAULT_PAGE_LIMIT,
    FormatKind,
    Report,
    ReportFormat,
)
from portal.catalogue.services import SLUG
from portal.extensions import db
from portal.orders.models import OrderLine
from portal.storage import get_storage

REPORT_FIELDS = (
    "slug",
    "title",
    "series",
    "summary",
    "contents",
    "published_on",
    "is_published",
    "authors",
    "isbn",
    "edition",
    "topic_names",
)
FORMAT_FIELDS = (
    "kind",
    "price_pence",
    "subscriber_price_pence",
    "vat_rate_basis_points",
    "free_copies_per_organisation",
    "stock",
    "postage_pence",
    "max_copies_per_order",
    "download_limit",
    "page_limit",
)
PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
_DAMAGED_PDF = "The selected file is damaged or is not a real PDF"


class CatalogueRefusal(ValueError):
    """A change that cannot be made; the message says why, in words for the administrator."""


@dataclass(frozen=True)
class ReportDetails:
    title: str
    slug: str
    series: str
    summary: str
    contents: str
    published_on: date
    is_published: bool
    authors: str = ""
    isbn: str | None = None  # 13 digits, checked by the form (``catalogue.isbn``)
    edition: str = ""
    topic_ids: tuple[int, ...] = ()

    def columns(self) -> dict:
        """The report's own columns (its topics are rows of their own)."""
        return {k: v for k, v in asdict(self).items() if k != "topic_ids"}


@dataclass(frozen=True)
class FormatDetails:
    """A format's prices (pence), VAT (basis points) and the settings for its kind."""

    price_pence: int
    subscriber_price_pence: int
    vat_rate_basis_points: int
    free_copies_per_organisation: int = 1
    stock: int | None = None
    postage_pence: int = 0
    download_limit: int = 10
    page_limit: int = DEFAULT_PAGE_LIMIT
    max_copies_per_order: int = DEFAULT_MAX_COPIES_PER_ORDER


def all_reports() -> list[Report]:
    """Every report, published or not, newest first, with formats loaded."""
    return list(
        db.session.scalars(
            select(Report)
            .options(selectinload(Report.formats))
            .order_by(Report.published_on.desc(), Report.title)
        )
    )


def report_by_slug(slug: str) -> Report | None:
    """Any report (published or not) with this slug, or None."""
    if not SLUG.fullmatch(slug or "") or len(slug) > 120:
        return None
    return db.session.scalar(
        select(Report).where(Report.slug == slug).options(selectinload(Report.formats))
    )


def format_of(report: Report, kind: str) -> ReportFormat | None:
    return next((f for f in report.formats if f.kind.value == kind), None)


#: Slugs that would hide an administration page (/admin/reports/new).
RESERVED_SLUGS = frozenset({"new"})


def _slug_taken(slug: str, report_id: int | None) -> bool:
    if slug in RESERVED_SLUGS:
        return True
    query = select(Report.id).where(Report.slug == slug)
    if report_id is not None:
        query = query.where(Report.id != report_id)
    return db.session.scalar(query) is not None


def _flush_unique_slug(slug: str) -> None:
    """Flush in a savepoint so that two administrators racing for one slug get a message,
    not an error: the unique constraint decides and the loser's change is undone."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise CatalogueRefusal(f"Another report already uses the web address name {slug}") from None


def create_report(actor, details: ReportDetails) -> Report:
    """Add a report (with no formats yet); refused if the slug is taken."""
    if _slug_taken(details.slug, None):
        raise CatalogueRefusal(f"Another report already uses the web address name {details.slug}")
    report = Report(**details.columns(), topics=topics.by_ids(details.topic_ids))
    db.session.add(report)
    _flush_unique_slug(details.slug)
    audit.record(
        actor, "report.create", "report", report.slug, after=audit.snapshot(report, *REPORT_FIELDS)
    )
    return report


def update_report(actor, report: Report, details: ReportDetails) -> Report:
    """Change a report's details; a new slug must not be another report's."""
    if _slug_taken(details.slug, report.id):
        raise CatalogueRefusal(f"Another report already uses the web address name {details.slug}")
    before = audit.snapshot(report, *REPORT_FIELDS)
    for name, value in details.columns().items():
        setattr(report, name, value)
    report.topics = topics.by_ids(details.topic_ids)
    _flush_unique_slug(details.slug)
    after = audit.snapshot(report, *REPORT_FIELDS)
    changed = [name for name in REPORT_FIELDS if before[name] != after[name]]
    audit.record(
        actor,
        "report.update",
        "report",
        report.slug,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return report


def _apply_format(report_format: ReportFormat, details: FormatDetails) -> None:
    report_format.price_pence = details.price_pence
    report_format.subscriber_price_pence = details.subscriber_price_pence
    report_format.vat_rate_basis_points = details.vat_rate_basis_points
    if report_format.kind is FormatKind.PRINT:
        if details.stock is None or details.stock < 0:
            raise CatalogueRefusal("Copies in stock cannot be below zero")
        report_format.free_copies_per_organisation = details.free_copies_per_organisation
        report_format.stock = details.stock
        report_format.postage_pence = details.postage_pence
        if details.max_copies_per_order < 1:
            raise CatalogueRefusal("Most printed copies per order must be 1 or more")
        report_format.max_copies_per_order = details.max_copies_per_order
    else:
        if details.download_limit < 1:
            raise CatalogueRefusal("Downloads allowed must be 1 or more")
        if details.page_limit < 1:
            raise CatalogueRefusal("Pages allowed must be 1 or more")
        report_format.download_limit = details.download_limit
        report_format.page_limit = details.page_limit
        report_format.stock = None


def add_format(actor, report: Report, kind: FormatKind, details: FormatDetails) -> ReportFormat:
    """Add a PDF or print format; a report has at most one of each."""
    if format_of(report, kind.value) is not None:
        raise CatalogueRefusal(f"This report already has a {kind.label.lower()} format")
    report_format = ReportFormat(kind=kind, postage_pence=0, free_copies_per_organisation=1)
    _apply_format(report_format, details)
    report.formats.append(report_format)
    db.session.flush()
    audit.record(
        actor,
        "format.create",
        "report",
        report.slug,
        after=audit.snapshot(report_format, *FORMAT_FIELDS),
    )
    return report_format


def update_format(actor, report_format: ReportFormat, details: FormatDetails) -> ReportFormat:
    """Change a format's prices and settings (orders already placed keep their prices)."""
    before = audit.snapshot(report_format, *FORMAT_FIELDS)
    _apply_format(report_format, details)
    db.session.flush()
    audit.record(
        actor,
        "format.update",
        "report",
        report_format.report.slug,
        before=before,
        after=audit.snapshot(report_format, *FORMAT_FIELDS),
    )
    return report_format


def remove_format(actor, report_format: ReportFormat) -> None:
    """Remove a format that no order line uses (orders keep pointing at what they bought)."""
    used = db.session.scalar(select(exists().where(OrderLine.report_format_id == report_format.id)))
    if used:
        raise CatalogueRefusal(
            f"The {report_format.kind.label.lower()} format has been ordered, so it cannot be "
            "removed. Unpublish the report instead, or leave the format in place."
        )
    report = report_format.report
    before = audit.snapshot(report_format, *FORMAT_FIELDS)
    report.formats.remove(report_format)
    db.session.flush()
    audit.record(actor, "format.remove", "report", report.slug, before=before)


def _size_of(stream: BinaryIO) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):.3g} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"


def page_limit_of(report: Report) -> int:
    """How many pages the report's PDF may have: the limit set on its PDF format, or the
    default when it has none."""
    pdf = format_of(report, FormatKind.PDF.value)
    return pdf.page_limit if pdf is not None else DEFAULT_PAGE_LIMIT


def pdf_problem(stream: BinaryIO, limit: int, page_limit: int = DEFAULT_PAGE_LIMIT) -> str | None:
    """Why this upload is not a report PDF we can sell, or None when it is one.

    It must fit the size limit, start with the PDF header, open with pypdf, not be encrypted
    (the stamping of each copy would fail) and have at least one page and at most
    ``page_limit`` (every download stamps every page).
    """
    size = _size_of(stream)
    if size == 0:
        return "Select a PDF file to upload"
    if size > limit:
        return f"The PDF must be {_megabytes(limit)} or smaller"
    if stream.read(len(PDF_MAGIC)) != PDF_MAGIC:
        return "The selected file must be a PDF"
    stream.seek(0)
    from pypdf import PdfReader  # only when a report file is uploaded

    try:
        # pypdf warns about files it can repair; a warning is not a reason to refuse.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(stream)
            if reader.is_encrypted:
                return "The PDF is password-protected or encrypted: upload an unprotected copy"
            pages = len(reader.pages)
            if pages < 1:
                return "The PDF has no pages"
            if pages > page_limit:
                return (
                    f"The PDF has {pages:,} pages; this report allows {page_limit:,} at most. "
                    "Upload a shorter file, or raise the limit on the report's PDF format"
                )
    except Exception:  # any failure to read it means it is not a usable PDF
        return _DAMAGED_PDF
    finally:
        stream.seek(0)
    return None


def _new_key(folder: str, slug: str, extension: str) -> str:
    return f"{folder}/{slug}-{secrets.token_hex(8)}.{extension}"


@dataclass(frozen=True)
class StoredPdf:
    """A report PDF as stored: its key, and the active content removed from the upload (in
    words for the administrator; empty when there was none)."""

    key: str
    removed: list[str]


def store_report_pdf(actor, report: Report, stream: BinaryIO, limit: int) -> StoredPdf:
    """Check, clean and store a new PDF for the report and point the report at it.

    What is stored is a copy of the upload without its active content (actions run on opening
    or by events, JavaScript, embedded files, launch and form actions, XFA forms: see
    ``pdf_cleaning``), never the upload itself. The old file is kept: copies already
    stamped from it, and orders that refer to it, stay valid. Raises ``CatalogueRefusal`` (and
    stores nothing) when the file is not a usable PDF or has more pages than the report allows.
    """
    problem = pdf_problem(stream, limit, page_limit_of(report))
    if problem:
        raise CatalogueRefusal(problem)
    from portal.catalogue.pdf_cleaning import DAMAGED, UnreadablePdf, cleaned_writer

    try:
        cleaned, removed = cleaned_writer(stream)
    except UnreadablePdf:
        raise CatalogueRefusal(_DAMAGED_PDF) from None
    finally:
        stream.seek(0)
    key = _new_key("reports", report.slug, "pdf")
    try:
        with get_storage().writer(key) as target:
            cleaned.write(target)
    except DAMAGED:  # an object pypdf could not write: nothing is kept under the key
        raise CatalogueRefusal(_DAMAGED_PDF) from None
    before = {"pdf_file_key": report.pdf_file_key}
    report.pdf_file_key = key
    db.session.flush()
    audit.record(
        actor,
        "report.upload_pdf",
        "report",
        report.slug,
        before=before,
        after={"pdf_file_key": key, "removed": removed},
    )
    return StoredPdf(key, removed)


def cover_problem(data: bytes, limit: int) -> tuple[str | None, str]:
    """Why these bytes are not a cover image we accept (None when they are), and the file
    extension to store them under: PNG or JPEG, checked by content and by Pillow."""
    if not data:
        return "Select an image file to upload", ""
    if len(data) > limit:
        return f"The image must be {_megabytes(limit)} or smaller", ""
    if data.startswith(PNG_MAGIC):
        expected, extension = "PNG", "png"
    elif data.startswith(JPEG_MAGIC):
        expected, extension = "JPEG", "jpg"
    else:
        return "The selected file must be a PNG or JPEG image", ""
    from PIL import Image  # only when a cover is uploaded

    try:
        with warnings.catch_warnings():
            # A huge picture in a small file is refused rather than decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as image:
                if image.format != expected:
                    return "The selected file must be a PNG or JPEG image", ""
                image.verify()
    except Exception:  # any failure to read it means it is not a usable image
        return "The selected image is damaged or is not a real PNG or JPEG", ""
    return None, extension


def store_cover_image(actor, report: Report, data: bytes, limit: int) -> str:
    """Check and store a cover image for the report; refused (nothing stored) if not an image."""
    problem, extension = cover_problem(data, limit)
    if problem:
        raise CatalogueRefusal(problem)
    key = _new_key("covers", report.slug, extension)
    get_storage().save(key, data)
    before = {"cover_image_key": report.cover_image_key}
    report.cover_image_key = key
    db.session.flush()
    audit.record(
        actor,
        "report.upload_cover",
        "report",
        report.slug,
        before=before,
        after={"cover_image_key": key},
    )
    return key
