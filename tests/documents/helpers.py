"""Reading issued PDFs back, and the details an invoice order carries."""

from datetime import date
from io import BytesIO

from pypdf import PdfReader

from portal.catalogue.models import FormatKind

TODAY = date(2026, 11, 26)

BILLING = {
    "po_number": "PO-77123",
    "billing_line1": "Finance Department, Civic Centre",
    "billing_line2": "High Street",
    "billing_town": "Eastbridge",
    "billing_postcode": "EB1 2CD",
    "finance_email": "payables@eastbridge.gov.uk",
}


def format_of(report, kind: FormatKind):
    return next(f for f in report.formats if f.kind is kind)


def pdf_text(data: bytes) -> str:
    """All the text of a PDF, pages joined, with runs of white space made single spaces."""
    reader = PdfReader(BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def pdf_metadata(data: bytes):
    return PdfReader(BytesIO(data)).metadata
