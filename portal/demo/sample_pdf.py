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

    def draw_wrapped(text: str, font: str, size: float, top: float, leading: float) -> float:
        """Draw ``text`` from ``top`` down, wrapped at word boundaries within the margins however
        long it is; return where the next line would go."""
        canvas.setFont(font, size)
        for line in simpleSplit(text, font, size, width - 2 * margin) or [""]:
            canvas.drawString(margin, top, line)
            top -= leading
        return top

    below = draw_wrapped(title, "Helvetica-Bold", 22, height - 80 * mm, 10 * mm) - 5 * mm
    below = draw_wrapped(f"{series} · Socitm Insight", "Helvetica", 14, below, 7 * mm)
    draw_wrapped("Sample edition", "Helvetica", 14, below - 3 * mm, 7 * mm)
    canvas.showPage()

    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawString(margin, height - 30 * mm, "Contents")
    top = height - 49 * mm
    for number, entry in enumerate(contents, start=1):
        top = draw_wrapped(f"{number}. {entry}", "Helvetica", 12, top, 6 * mm) - 3 * mm
    canvas.showPage()

    for number, entry in enumerate(contents, start=1):
        below = draw_wrapped(f"{number}. {entry}", "Helvetica-Bold", 16, height - 30 * mm, 7 * mm)
        text = canvas.beginText(margin, below - 8 * mm)
        text.setFont("Helvetica", 11)
        for line in simpleSplit(_BODY, "Helvetica", 11, width - 2 * margin):
            text.textLine(line)
        canvas.drawText(text)
        footer = f"{title} · page {canvas.getPageNumber()}"
        draw_wrapped(footer, "Helvetica", 9, 15 * mm, 4 * mm)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
