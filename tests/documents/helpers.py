"""Reading issued PDFs back, and the details an invoice order carries."""

from dataclasses import replace
from datetime import date
from io import BytesIO

from pypdf import PdfReader

from portal.documents.printed import DocumentContent, Line, Section, Supplier
from portal.pricing import FormatKind

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


def sample_receipt(**changes) -> DocumentContent:
    """A receipt for one PDF paid by card, as plain content (no order, no database); ``changes``
    replace any of its fields."""
    content = DocumentContent(
        title="Receipt",
        number="RCT-000045",
        issued_on=TODAY,
        supplier=Supplier("Socitm Limited", ("1 Example Street", "Northampton"), "GB 1"),
        addressee_heading="Receipt for",
        addressee_lines=("Jo Evans",),
        order_reference="INS-2026-000123",
        po_number="",
        lines=(Line("Report (PDF download)", 1, 14_500, 14_500, 0, 0, 14_500),),
        net_pence=14_500,
        vat_pence=0,
        total_pence=14_500,
        total_label="Total paid",
        sections=(Section("Paid", ("Paid in full by card.",)),),
    )
    return replace(content, **changes)
