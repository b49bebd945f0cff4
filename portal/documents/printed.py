"""What issued documents (VAT invoices, receipts, credit notes) print, as plain data.

The renderer (``portal.documents.pdf``) is given everything it prints in these classes and reads
nothing else: no database, no configuration, no clock.
"""

from dataclasses import dataclass, replace
from datetime import date


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
    # A copy drawn again after the document was issued says so: "Copy - PO number added on …".
    marking: str = ""

    def with_payment(self, payment: InvoiceTerms) -> "DocumentContent":
        return replace(self, payment=payment)

    def with_sections(self, *sections: Section) -> "DocumentContent":
        return replace(self, sections=self.sections + sections)

    def marked(self, marking: str) -> "DocumentContent":
        return replace(self, marking=marking)
