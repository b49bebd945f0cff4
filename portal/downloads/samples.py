"""A report's free sample: its first pages, cut from the report's PDF and stamped "Sample".

Anyone may download the sample, signed in or not, and it is not counted: it is the same file for
everyone, so it is cut once and kept in storage. Its key is made from the PDF's key and the number
of pages, so a new PDF or a new number of pages makes a new sample, and a sample is never served
from a file it was not cut from.
"""

import logging
from io import BytesIO
from typing import BinaryIO

from portal.catalogue.models import Report
from portal.extensions import db
from portal.storage import Storage, get_storage

log = logging.getLogger(__name__)

#: What an administrator is told when a sample cannot be cut: the report is still sold.
SAMPLE_FAILED = (
    "The sample pages could not be cut from this PDF, so the report is shown without a "
    "sample. Buyers can still order it; upload a repaired PDF to offer a sample."
)


def sample_key(pdf_key: str, pages: int) -> str:
    """Where the sample of ``pages`` pages cut from the PDF at ``pdf_key`` is kept."""
    stem = pdf_key.rsplit(".", 1)[0].replace("reports/", "samples/", 1)
    return f"{stem}-first-{pages}.pdf"


def sample_line(title: str, pages: int) -> str:
    """The words stamped at the foot of each page of a sample."""
    first = "the first page" if pages == 1 else f"the first {pages} pages"
    return f"Sample: {first} of {title}. Not for resale."


def cut_sample(source: BinaryIO, target: BinaryIO, *, title: str, pages: int) -> int:
    """Write to ``target`` the first ``pages`` pages of the PDF in ``source`` (all of them when
    it has fewer), stamped as a sample; return how many pages it has. Raises ``StampError``
    when the pages cannot be cut."""
    # Here, not at the top: the web servers start without the PDF libraries.
    from pypdf import PdfReader, PdfWriter

    from portal.downloads.stamp import StampError, stamp_pdf

    first = BytesIO()
    try:
        reader = PdfReader(source)
        if reader.is_encrypted:
            raise StampError("the PDF is encrypted")
        writer = PdfWriter()
        for page in reader.pages[:pages]:
            writer.add_page(page)
        cut = len(writer.pages)
        if not cut:
            raise StampError("the PDF has no pages")
        writer.write(first)
    except StampError:
        raise
    except Exception as error:  # pypdf raises many kinds of error on a damaged file
        raise StampError(f"the pages could not be read ({error})") from error
    first.seek(0)
    return stamp_pdf(
        first, target, licence_line=sample_line(title, cut), licensee="Sample", title=title
    )


def refresh_sample(report: Report, storage: Storage | None = None) -> bool:
    """Make sure the report's sample matches its PDF and its number of sample pages, cutting it
    when it is missing; point the report at it (flushed) and return True. With no PDF, or one
    whose pages cannot be cut, the report has no sample and this returns False (the report is
    still sold: only the sample is missing). ``storage`` is the configured one unless given."""
    if not report.pdf_file_key:
        report.sample_file_key = None
        db.session.flush()
        return False
    from portal.downloads.stamp import StampError

    key = sample_key(report.pdf_file_key, report.sample_pages)
    storage = storage or get_storage()
    if not storage.exists(key):
        made = BytesIO()
        try:
            with storage.open(report.pdf_file_key) as source:
                cut_sample(
                    BytesIO(source.read()), made, title=report.title, pages=report.sample_pages
                )
        except (StampError, FileNotFoundError, OSError) as error:
            log.warning("no sample for report %s: %s", report.slug, error)
            report.sample_file_key = None
            db.session.flush()
            return False
        storage.save(key, made.getvalue())
    report.sample_file_key = key
    db.session.flush()
    return True
