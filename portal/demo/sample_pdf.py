"""A sample report PDF, drawn with ReportLab, so the demo needs no committed binary."""

from io import BytesIO

_BODY = (
    "This is a sample edition of the report, made for demonstrating the ordering portal. "
    "The published report discusses this topic in depth, with evidence from councils "
    "across the United Kingdom."
)


def sample_report_pdf(title: str, series: str, contents: list[str]) -> bytes:
    """A few A4 pages: a cover, a contents page, and one page for each contents entry."""
    # Here, not at the top: the portal's web servers import this module (for the CLI) and never
    # draw a sample.
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen.canvas import Canvas

    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle(title)
    canvas.setAuthor("Socitm Insight")
    width, height = A4
    margin = 25 * mm

    # The title wraps at word boundaries within the margins, however long it is.
    canvas.setFont("Helvetica-Bold", 22)
    lines = simpleSplit(title, "Helvetica-Bold", 22, width - 2 * margin)
    top = height - 80 * mm
    for number, line in enumerate(lines):
        canvas.drawString(margin, top - number * 10 * mm, line)
    below = top - len(lines) * 10 * mm - 5 * mm
    canvas.setFont("Helvetica", 14)
    canvas.drawString(margin, below, f"{series} · Socitm Insight")
    canvas.drawString(margin, below - 10 * mm, "Sample edition")
    canvas.showPage()

    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawString(25 * mm, height - 30 * mm, "Contents")
    canvas.setFont("Helvetica", 12)
    for number, entry in enumerate(contents, start=1):
        canvas.drawString(25 * mm, height - (40 + 9 * number) * mm, f"{number}. {entry}")
    canvas.showPage()

    for number, entry in enumerate(contents, start=1):
        canvas.setFont("Helvetica-Bold", 16)
        canvas.drawString(25 * mm, height - 30 * mm, f"{number}. {entry}")
        text = canvas.beginText(25 * mm, height - 45 * mm)
        text.setFont("Helvetica", 11)
        words, line = _BODY.split(), ""
        for word in words:
            if len(line) + len(word) > 85:
                text.textLine(line)
                line = ""
            line = f"{line} {word}".strip()
        text.textLine(line)
        canvas.drawText(text)
        canvas.setFont("Helvetica", 9)
        canvas.drawString(25 * mm, 15 * mm, f"{title} · page {canvas.getPageNumber()}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
