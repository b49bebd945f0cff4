"""What issued documents (VAT invoices, receipts, credit notes) print, as plain data.

The renderer (``portal.documents.pdf``) is given everything it prints in these classes and reads
nothing else: no database, no configuration, no clock.
"""

from dataclasses import dataclass, replace
from datetime import date


def percent(basis_points: int) -> str:
    """A VAT rate in basis points as printed: ``20%``, ``17.5%``."""
    whole, rest = divmod(basis_points, 100)
    return f"{whole}%" if rest == 0 else f"{basis_points / 100:g}%"


@dataclass(frozen=True)
class Supplier:
    """Who issues the document: the company's name and address, VAT registration, and the
    company number and registered office a company's invoices must show."""

    name: str
    address_lines: tuple[str, ...]
    vat_number: str
    company_number: str = ""
    registered_office: str = ""


@dataclass(frozen=True)
class BankAccount:
    """Where invoices are paid: a UK account, and its IBAN and BIC for payers abroad (each
    printed only when given)."""

    name: str
    sort_code: str
    account_number: str
    iban: str = ""
    bic: str = ""


@dataclass(frozen=True)
class InvoiceTerms:
    """When and how an invoice is to be paid. The payment reference is the invoice's number,
    and ``remittance_email`` is where payers send their remittance advice."""

    payment_days: int
    due_on: date
    bank: BankAccount
    remittance_email: str = ""


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
class VatBand:
    """The lines of one VAT rate, added up, for the VAT summary (a rate of None: lines whose
    rates were mixed, as on a credit note for part of an order of several rates)."""

    rate_basis_points: int | None
    net_pence: int
    vat_pence: int

    @property
    def label(self) -> str:
        rate = self.rate_basis_points
        if rate is None:
            return "Mixed rates"
        if rate == 0:
            return "Zero-rated (0%)"
        name = {2000: "Standard rate", 500: "Reduced rate"}.get(rate)
        return f"{name} ({percent(rate)})" if name else percent(rate)


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

    @property
    def vat_bands(self) -> tuple[VatBand, ...]:
        """The lines' net amounts and VAT by rate, lowest rate first (mixed rates last)."""
        bands: dict[int | None, tuple[int, int]] = {}
        for line in self.lines:
            net, vat = bands.get(line.vat_rate_basis_points, (0, 0))
            bands[line.vat_rate_basis_points] = (net + line.net_pence, vat + line.vat_pence)
        order = sorted(bands, key=lambda rate: (rate is None, rate or 0))
        return tuple(VatBand(rate, *bands[rate]) for rate in order)

    def with_payment(self, payment: InvoiceTerms) -> "DocumentContent":
        return replace(self, payment=payment)

    def with_sections(self, *sections: Section) -> "DocumentContent":
        return replace(self, sections=self.sections + sections)

    def marked(self, marking: str) -> "DocumentContent":
        return replace(self, marking=marking)
