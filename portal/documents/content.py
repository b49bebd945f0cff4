"""What each document says: an order (or a credit) turned into the plain data the PDF renderer
draws. Nothing here writes anything; amounts come from the order, fixed when it was placed."""

from dataclasses import replace
from datetime import date

from portal.clock import long_date
from portal.documents.models import Document, DocumentKind
from portal.documents.printed import (
    BankAccount,
    DocumentContent,
    InvoiceTerms,
    Line,
    Section,
    Supplier,
)
from portal.money import format_pence
from portal.orders.models import Order, OrderLine

FORMAT_NAMES = {"pdf": "PDF download", "print": "printed copy"}


def supplier_from_config(config) -> Supplier:
    """The seller named on every document, from the application's configuration."""
    # An address from the environment may carry its line breaks as a literal "\n".
    address = config["SUPPLIER_ADDRESS"].replace("\\n", "\n")
    return Supplier(
        name=config["SUPPLIER_NAME"],
        address_lines=tuple(line.strip() for line in address.splitlines() if line.strip()),
        vat_number=config["SUPPLIER_VAT_NUMBER"],
        company_number=config["SUPPLIER_COMPANY_NUMBER"].strip(),
        registered_office=_one_line(config["SUPPLIER_REGISTERED_OFFICE"]),
    )


def _one_line(address: str) -> str:
    """An address given on several lines (or with a literal "\\n") as one line, commas between."""
    lines = address.replace("\\n", "\n").splitlines()
    return ", ".join(" ".join(line.split()) for line in lines if line.strip())


def bank_from_config(config) -> BankAccount:
    """The account invoices are paid to, from the application's configuration."""
    return BankAccount(
        config["BANK_ACCOUNT_NAME"],
        config["BANK_SORT_CODE"],
        config["BANK_ACCOUNT_NUMBER"],
        iban=config["BANK_IBAN"].strip(),
        bic=config["BANK_BIC"].strip(),
    )


def invoice_content(
    order: Order, number: str, issued_on: date, supplier: Supplier, terms: InvoiceTerms
) -> DocumentContent:
    return _order_content(
        order, number, issued_on, supplier, DocumentKind.INVOICE, "Invoice to", "Total due"
    ).with_payment(terms)


def receipt_content(
    order: Order,
    number: str,
    issued_on: date,
    supplier: Supplier,
    how_paid: str,
    credited: tuple[Line, ...] = (),
) -> DocumentContent:
    """The receipt of what was paid: the order's lines, less the ``credited`` lines (positive
    amounts, printed negative) of credit notes issued against its invoice before it was paid,
    so that its total is the money received."""
    ordered = _order_content(
        order, number, issued_on, supplier, DocumentKind.RECEIPT, "Receipt for", "Total paid"
    )
    less = tuple(_negated(line) for line in credited)
    return replace(
        ordered,
        lines=ordered.lines + less,
        net_pence=ordered.net_pence + sum(line.net_pence for line in less),
        vat_pence=ordered.vat_pence + sum(line.vat_pence for line in less),
        total_pence=ordered.total_pence + sum(line.total_pence for line in less),
    ).with_sections(Section("Paid", (how_paid,)))


def credit_note_content(
    original: Document,
    note: Document,
    supplier: Supplier,
    reason: str,
    credited_lines: tuple[Line, ...] = (),
) -> DocumentContent:
    """The credit note ``note`` against ``original``, printed from the figures kept on it
    (negative): of the ``credited_lines`` named (positive amounts, printed negative), or else
    one line for it all."""
    order = original.order
    corrected = f"{original.kind.label} {original.number}"
    amount_pence = -note.total_pence
    if credited_lines:
        lines = tuple(_negated(line) for line in credited_lines)
    else:
        lines = (
            Line(
                description=f"Credit against {corrected} (order {order.reference})",
                quantity=None,
                unit_pence=None,
                net_pence=note.net_pence,
                vat_rate_basis_points=_single_vat_rate(order),
                vat_pence=note.vat_pence,
                total_pence=note.total_pence,
                note=reason,
            ),
        )
    corrects = Section(
        "What this credit note corrects",
        (
            f"This credit note corrects {corrected}, issued on {long_date(original.issued_on)} "
            f"for {format_pence(original.total_pence)}.",
            f"Amount credited: {format_pence(amount_pence)}.",
            f"Reason: {reason}" if reason.strip() else "",
        ),
    )
    return DocumentContent(
        title=DocumentKind.CREDIT_NOTE.label,
        number=note.number,
        issued_on=note.issued_on,
        supplier=supplier,
        addressee_heading="Credit note to",
        addressee_lines=addressee_lines(order),
        order_reference=order.reference or "",
        po_number=order.po_number,
        lines=lines,
        net_pence=note.net_pence,
        vat_pence=note.vat_pence,
        total_pence=note.total_pence,
        total_label="Total credited",
        corrects_number=original.number,
        sections=(corrects,),
    )


def _negated(line: Line) -> Line:
    return replace(
        line,
        net_pence=-line.net_pence,
        vat_pence=-line.vat_pence,
        total_pence=-line.total_pence,
    )


def addressee_lines(order: Order) -> tuple[str, ...]:
    """Who a document is for: name and organisation, then the billing address, or else the
    delivery address, then the email address (and the finance contact's, when different)."""
    lines = [order.name, order.organisation_name]

    def organisation_line(text: str | None) -> list[str]:
        # The address's own organisation line, when it adds to the buyer's organisation.
        text, buyers = (text or "").strip(), (order.organisation_name or "").strip()
        return [text] if text and text.lower() != buyers.lower() else []

    billing = [
        *organisation_line(order.billing_organisation),
        order.billing_line1,
        order.billing_line2,
        order.billing_town,
        order.billing_postcode,
    ]
    delivery = [
        *organisation_line(order.delivery_organisation),
        order.delivery_line1,
        order.delivery_line2,
        order.delivery_town,
        order.delivery_postcode,
    ]
    if any(part.strip() for part in billing):
        lines += billing
    elif any(part.strip() for part in delivery):
        if order.delivery_name.strip() and order.delivery_name.strip() != order.name.strip():
            lines.append(f"For the attention of {order.delivery_name}")
        lines += delivery
    lines.append(order.email)
    finance = order.finance_email.strip()
    if finance and finance.lower() != order.email.lower():
        lines.append(f"Finance contact: {finance}")
    return tuple(line.strip() for line in lines if line.strip())


def _order_content(
    order: Order,
    number: str,
    issued_on: date,
    supplier: Supplier,
    kind: DocumentKind,
    addressee_heading: str,
    total_label: str,
) -> DocumentContent:
    lines = [line_as_printed(line) for line in order.lines]
    if order.postage_pence:
        # Postage carries no VAT of its own: the order's VAT is on its lines only.
        postage = order.postage_pence
        lines.append(Line("Postage and packing", None, None, postage, 0, 0, postage))
    return DocumentContent(
        title=kind.label,
        number=number,
        issued_on=issued_on,
        supplier=supplier,
        addressee_heading=addressee_heading,
        addressee_lines=addressee_lines(order),
        order_reference=order.reference or "",
        po_number=order.po_number or ("To follow" if order.po_to_follow else ""),
        lines=tuple(lines),
        net_pence=order.net_pence + order.postage_pence,
        vat_pence=order.vat_pence,
        total_pence=order.total_pence,
        total_label=total_label,
    )


def line_as_printed(line: OrderLine) -> Line:
    """An order line as printed. When all its units cost the same, that is the unit price; when
    some were free with a subscription and others were not, the standard unit price is shown and
    the note under the description says how many were free."""
    kind = FORMAT_NAMES.get(line.format_kind, line.format_kind)
    mixed = 0 < line.subscriber_quantity < line.quantity
    unit = (
        line.subscriber_unit_pence
        if line.subscriber_quantity and not mixed
        else line.standard_unit_pence
    )
    return Line(
        description=f"{line.report_title} ({kind})",
        quantity=line.quantity,
        unit_pence=unit,
        net_pence=line.net_pence,
        vat_rate_basis_points=line.vat_rate_basis_points,
        vat_pence=line.vat_pence,
        total_pence=line.total_pence,
        note=line.reason if line.subscriber_quantity else "",
    )


def _single_vat_rate(order: Order) -> int | None:
    """The order's VAT rate when everything in it has the same one (postage counts as 0%)."""
    rates = {line.vat_rate_basis_points for line in order.lines}
    if order.postage_pence:
        rates.add(0)
    return rates.pop() if len(rates) == 1 else None
