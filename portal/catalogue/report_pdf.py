"""A report's PDF: checking an upload, cleaning it and storing it with its page count and size.

Uploaded files are checked by what they contain, never by their name or stated type, and are
stored under keys the portal makes up.
"""

import secrets
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from portal import audit
from portal.catalogue.admin_services import CatalogueRefusal, format_of
from portal.catalogue.models import DEFAULT_PAGE_LIMIT, FormatKind, Report
from portal.extensions import db
from portal.storage import get_storage

PDF_MAGIC = b"%PDF-"
_DAMAGED_PDF = "The selected file is damaged or is not a real PDF"


def _size_of(stream: BinaryIO) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def megabytes(limit: int) -> str:
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
        return f"The PDF must be {megabytes(limit)} or smaller"
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
    report.page_count = len(cleaned.pages)
    report.pdf_size_bytes = get_storage().size(key)
    report.sample_file_key = None  # the old sample was cut from the old file
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
