"""What issued documents (VAT invoices, receipts, credit notes) print, and drawing them as A4 PDFs.

The renderer (``portal.documents.drawing``) is given everything it prints as plain data and reads
nothing else: no database, no configuration, no clock. It uses the PDF standard Helvetica
fonts, which carry only the Windows "WinAnsi" character set, so every piece of text passes
through ``printable`` first.
"""

from dataclasses import dataclass, replace
from datetime import date

from portal.pdf_text import printable  # noqa: F401  (what the drawing applies to text)


@dataclass(frozen=True)
class Supplier:
    """Who issues the document."""

    name: str
    address_lines: tuple[str, ...]
    vat_number: str


@dataclass(frozen=True)
class BankAccount:
    name: str
    sort_code: str
    account_number: str


@dataclass(frozen=True)
class InvoiceTerms:
    """When and how an invoice is to be paid."""

    payment_days: int
    due_on: date
    bank: BankAccount
    payment_reference: str


@dataclass(frozen=True)
class Line:
    """One row of the table of supplies. ``quantity``, ``unit_pence`` and the VAT rate may be
    None, and then show as a dash."""

    description: str
    quantity: int | None
    unit_pence: int | None
    net_pence: int
    vat_rate_basis_points: int | None
    vat_pence: int
    total_pence: int
    note: str = ""


@dataclass(frozen=True)
class Section:
    """A heading and a few paragraphs under the totals (e.g. "Paid", "What this corrects")."""

    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class DocumentContent:
    """Everything printed on one document."""

    title: str  # "VAT invoice", "Receipt", "Credit note"
    number: str
    issued_on: date  # also the tax point
    supplier: Supplier
    addressee_heading: str  # "Invoice to", "Receipt for", "Credit note to"
    addressee_lines: tuple[str, ...]
    order_reference: str
    po_number: str
    lines: tuple[Line, ...]
    net_pence: int  # everything excluding VAT, postage included
    vat_pence: int
    total_pence: int
    total_label: str = "Total"
    corrects_number: str = ""  # a credit note: the document it corrects
    payment: InvoiceTerms | None = None
    sections: tuple[Section, ...] = ()

    def with_payment(self, payment: InvoiceTerms) -> "DocumentContent":
        return replace(self, payment=payment)

    def with_sections(self, *sections: Section) -> "DocumentContent":
        return replace(self, sections=self.sections + sections)


def render_document(content: DocumentContent) -> bytes:
    """The PDF of ``content``, as bytes. ReportLab is imported with the first document drawn
    (``portal.documents.drawing``), not when the app starts."""
    from portal.documents.drawing import draw

    return draw(content)


def render_with_stand_in(content: DocumentContent, stand_in: str) -> bytes | None:
    """The PDF of ``content``, whose number is ``stand_in``, drawn so that ``numbered`` can put
    the real number in its place: None when that cannot be done safely (the stand-in also
    appears in the text, or not in the PDF)."""
    from portal.documents.drawing import draw

    if content.number != stand_in or stand_in in repr(replace(content, number="")):
        return None
    pdf = draw(content, compressed=False)
    return pdf if stand_in.encode("latin-1") in pdf else None


def numbered(pdf: bytes, stand_in: str, number: str) -> bytes | None:
    """``pdf`` from ``render_with_stand_in`` with ``number`` printed where ``stand_in`` was; None
    when the two differ in length (the PDF's cross-reference table counts bytes)."""
    if len(number) != len(stand_in) or not number.isascii():
        return None
    return pdf.replace(stand_in.encode("latin-1"), number.encode("ascii"))
