"""Drawing a document's content (``portal.documents.printed``) as an A4 PDF with ReportLab, in the
PDF standard Helvetica fonts: every piece of text passes through ``printable`` first."""

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from portal.clock import long_date
from portal.documents.pdf_text import printable
from portal.documents.printed import DocumentContent, InvoiceTerms, Section, VatBand, percent
from portal.money import format_pence

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
FRAME_PADDING = 6  # points: ReportLab's frames keep this inside the margins
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN - 2 * FRAME_PADDING
INK = colors.HexColor("#0b0c0c")
MUTED = colors.HexColor("#505a5f")
RULE = colors.HexColor("#b1b4b6")
SHADE = colors.HexColor("#f3f2f1")

_BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9.5, leading=13, textColor=INK)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8, leading=10.5, textColor=MUTED)
_NOTE = ParagraphStyle("note", parent=_SMALL, fontName="Helvetica-Oblique")
_BOLD = ParagraphStyle("bold", parent=_BODY, fontName="Helvetica-Bold")
_SUPPLIER = ParagraphStyle("supplier", parent=_BOLD, fontSize=13, leading=17)
_TITLE = ParagraphStyle(
    "title", parent=_BOLD, fontSize=22, leading=26, alignment=TA_RIGHT, spaceAfter=4
)
_HEADING = ParagraphStyle("heading", parent=_BOLD, fontSize=11, leading=15, spaceAfter=3)
_CELL = ParagraphStyle("cell", parent=_BODY, fontSize=9, leading=11.5)
_CELL_BOLD = ParagraphStyle("cell_bold", parent=_CELL, fontName="Helvetica-Bold")
_MARKING = ParagraphStyle(
    "marking", parent=_BOLD, fontSize=11, leading=14, alignment=TA_RIGHT, spaceAfter=4
)


def _para(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(escape(printable(text)), style)


def _money(pence: int) -> str:
    return printable(format_pence(pence))


def _rate(basis_points: int | None) -> str:
    return "-" if basis_points is None else percent(basis_points)


def draw(content: DocumentContent, compressed: bool = True) -> bytes:
    """The PDF of ``content``, as bytes; with ``compressed=False`` its text is written as it is,
    so a piece of it can be replaced by another of the same length afterwards."""
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pageCompression=1 if compressed else 0,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 8 * mm,
        title=printable(
            f"{content.title} {content.number}"
            + (f" ({content.marking})" if content.marking else "")
        ),
        author=printable(content.supplier.name),
        subject=printable(f"Order {content.order_reference}"),
        creator=printable(content.supplier.name),
    )
    story = [
        _header(content),
        Spacer(1, 8 * mm),
        _addressee(content),
        Spacer(1, 8 * mm),
        _lines_table(content),
        Spacer(1, 3 * mm),
        _totals(content),
        Spacer(1, 4 * mm),
        _vat_summary(content.vat_bands),
    ]
    if content.payment is not None:
        story += [Spacer(1, 8 * mm), _payment(content.payment, content.number)]
    for section in content.sections:
        story += [Spacer(1, 6 * mm), _section(section)]

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(MUTED)
        supplier = content.supplier
        company = f" - company number {supplier.company_number}" if supplier.company_number else ""
        canvas.drawString(
            MARGIN + FRAME_PADDING,
            MARGIN,
            printable(f"{supplier.name}{company} - VAT registration number {supplier.vat_number}"),
        )
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN - FRAME_PADDING,
            MARGIN,
            printable(f"{content.title} {content.number} - page {doc.page}"),
        )
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _header(content: DocumentContent) -> Table:
    supplier = content.supplier
    lines = list(supplier.address_lines)
    if lines and lines[0].strip() == supplier.name.strip():
        lines = lines[1:]  # the address often starts with the name, already printed above it
    left = [_para(supplier.name, _SUPPLIER)]
    left += [_para(line) for line in lines]
    left += [Spacer(1, 2 * mm), _para(f"VAT registration number: {supplier.vat_number}")]
    if supplier.company_number:
        left.append(_para(f"Company number: {supplier.company_number}"))
    if supplier.registered_office:
        left.append(_para(f"Registered office: {supplier.registered_office}", _SMALL))

    facts = [
        ("Number", content.number),
        ("Date of issue", long_date(content.issued_on)),
        ("Tax point", long_date(content.issued_on)),
        ("Order reference", content.order_reference),
    ]
    if content.po_number:
        facts.append(("Purchase order", content.po_number))
    if content.corrects_number:
        facts.append(("Corrects", content.corrects_number))
    facts_table = Table(
        [[_para(label, _SMALL), _para(value, _CELL_BOLD)] for label, value in facts],
        colWidths=[28 * mm, 50 * mm],
        hAlign="RIGHT",
    )
    facts_table.setStyle(_tight())
    right = [_para(content.title, _TITLE)]
    if content.marking:
        right.append(_para(content.marking, _MARKING))
    right.append(facts_table)

    table = Table([[left, right]], colWidths=[CONTENT_WIDTH - 80 * mm, 80 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _tight() -> TableStyle:
    return TableStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ]
    )


def _addressee(content: DocumentContent) -> KeepTogether:
    flowables = [_para(content.addressee_heading, _HEADING)]
    flowables += [_para(line) for line in content.addressee_lines if line.strip()]
    return KeepTogether(flowables)


_HEADINGS = ("Description", "Qty", "Unit price", "Net", "VAT rate", "VAT", "Total")
_FIGURE_WIDTHS = [x * mm for x in (12, 21, 21, 15, 19, 24)]
_WIDTHS = [CONTENT_WIDTH - sum(_FIGURE_WIDTHS), *_FIGURE_WIDTHS]


def _lines_table(content: DocumentContent) -> Table:
    rows = [[_para(h, _CELL_BOLD) if i == 0 else h for i, h in enumerate(_HEADINGS)]]
    for line in content.lines:
        description = [_para(line.description, _CELL)]
        if line.note:
            description.append(_para(line.note, _NOTE))
        rows.append(
            [
                description,
                "-" if line.quantity is None else str(line.quantity),
                "-" if line.unit_pence is None else _money(line.unit_pence),
                _money(line.net_pence),
                _rate(line.vat_rate_basis_points),
                _money(line.vat_pence),
                _money(line.total_pence),
            ]
        )
    table = Table(rows, colWidths=_WIDTHS, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                ("FONT", (1, 1), (-1, -1), "Helvetica", 9),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _totals(content: DocumentContent) -> Table:
    rows = [
        ("Total excluding VAT", _money(content.net_pence)),
        ("VAT", _money(content.vat_pence)),
        (content.total_label, _money(content.total_pence)),
    ]
    table = Table(rows, colWidths=[45 * mm, 30 * mm], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 9.5),
                ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 11),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _vat_summary(bands: tuple[VatBand, ...]) -> Table:
    """The net amount and VAT at each rate, naming zero-rated supplies as such."""
    rows = [["VAT summary", "Net", "VAT"]]
    rows += [[band.label, _money(band.net_pence), _money(band.vat_pence)] for band in bands]
    table = Table(rows, colWidths=[45 * mm, 30 * mm, 30 * mm], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.4, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _payment(terms: InvoiceTerms, reference: str) -> KeepTogether:
    """How to pay: the terms, the account (with IBAN and BIC when given), the invoice number as
    the payment reference, and where to send remittance advice."""
    bank = terms.bank
    rows = [
        ("Account name", bank.name),
        ("Sort code", bank.sort_code),
        ("Account number", bank.account_number),
        ("IBAN", bank.iban),
        ("BIC", bank.bic),
        ("Payment reference", reference),
    ]
    details = Table(
        [[_para(label, _SMALL), _para(value, _CELL_BOLD)] for label, value in rows if value],
        colWidths=[35 * mm, 80 * mm],
        hAlign="LEFT",
    )
    details.setStyle(_tight())
    flowables = [
        _para("How to pay", _HEADING),
        _para(
            f"Payment due within {terms.payment_days} days, by {long_date(terms.due_on)}.",
            _BOLD,
        ),
        Spacer(1, 2 * mm),
        _para("Please pay by bank transfer to:"),
        Spacer(1, 1 * mm),
        details,
        Spacer(1, 2 * mm),
        _para(f"Use {reference} as the payment reference."),
    ]
    if terms.remittance_email:
        flowables.append(_para(f"Please email remittance advice to {terms.remittance_email}."))
    return KeepTogether(flowables)


def _section(section: Section) -> KeepTogether:
    return KeepTogether(
        [_para(section.heading, _HEADING)] + [_para(p) for p in section.paragraphs if p]
    )
