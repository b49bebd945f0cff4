"""Personalised copies of report PDFs: the licence footer, the metadata, and refusing bad files."""

from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream, NameObject, RectangleObject
from reportlab.lib.pagesizes import A4, A6, landscape, letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from portal.downloads.stamp import StampError, stamp_pdf, stampable_text

LICENCE_LINE = (
    "Licensed to Jo Evans, Eastbridge Borough Council · order INS-2026-000012 · 26 November 2026"
)
LICENSEE = "Jo Evans, Eastbridge Borough Council"
TITLE = "Digital inclusion in local government"

# (page size, /Rotate, where the media box starts, crop box or None): the sample report's pages.
SAMPLE_PAGES = [
    (A4, 0, (0, 0), None),
    (letter, 0, (0, 0), None),
    (landscape(A4), 0, (0, 0), None),
    (A4, 90, (0, 0), None),
    (A4, 180, (0, 0), None),
    (A4, 270, (0, 0), None),
    (A4, 0, (100, 200), None),
    (A4, 0, (0, 0), (50, 80, 545, 760)),
    (A4, 90, (-50, 300), None),
]
# One more page, drawn last, which leaves its drawing scaled up by three for whatever follows.
SCALED_PAGE = len(SAMPLE_PAGES)


def original_text(number: int) -> str:
    return f"Original text on page {number}"


@pytest.fixture
def report_pdf(tmp_path) -> Path:
    """A sample report: mixed sizes, rotations and boxes, the same logo on every page."""
    logo = ImageReader(Image.new("RGB", (40, 40), (0, 51, 102)))
    buffer = BytesIO()
    canvas = Canvas(buffer, invariant=True)
    canvas.setTitle(TITLE)
    canvas.setAuthor("Socitm Insight")
    for number, (size, rotation, origin, _) in enumerate(SAMPLE_PAGES):
        canvas.setPageSize((size[0] + origin[0], size[1] + origin[1]))
        canvas.setPageRotation(rotation)
        canvas.setFont("Helvetica", 12)
        canvas.drawString(origin[0] + 72, origin[1] + 400, original_text(number))
        canvas.drawImage(logo, origin[0] + 72, origin[1] + 450, 40, 40)
        canvas.showPage()
    canvas.setPageSize(A4)
    canvas.setPageRotation(0)
    canvas.setFont("Helvetica", 12)
    canvas.drawString(72, 400, original_text(SCALED_PAGE))
    canvas.scale(3, 3)  # never restored, as some producers leave their pages
    canvas.showPage()
    canvas.save()

    writer = PdfWriter(clone_from=PdfReader(buffer))
    for page, (size, _, origin, crop) in zip(writer.pages, SAMPLE_PAGES, strict=False):
        page.mediabox = RectangleObject((*origin, origin[0] + size[0], origin[1] + size[1]))
        if crop:
            page.cropbox = RectangleObject(crop)
    path = tmp_path / "report.pdf"
    writer.write(path)
    return path


def stamp_file(source: Path, target: Path, **overrides) -> int:
    arguments = {"licence_line": LICENCE_LINE, "licensee": LICENSEE, **overrides}
    with source.open("rb") as source_file, target.open("wb") as target_file:
        return stamp_pdf(source_file, target_file, **arguments)


@pytest.fixture
def stamped(report_pdf, tmp_path) -> PdfReader:
    assert stamp_file(report_pdf, tmp_path / "stamped.pdf") == len(SAMPLE_PAGES) + 1
    return PdfReader(tmp_path / "stamped.pdf")


def test_every_page_carries_the_licence_line_and_keeps_its_text(stamped):
    assert len(stamped.pages) == len(SAMPLE_PAGES) + 1
    for number, page in enumerate(stamped.pages):
        text = page.extract_text()
        assert LICENCE_LINE in text
        assert original_text(number) in text


def test_the_stamp_sits_upright_at_the_foot_of_each_page_as_shown(stamped):
    for page in stamped.pages:
        left, bottom, right, top = visible_box(page)
        rotation = page.rotation % 360
        shown_width = (top - bottom) if rotation in (90, 270) else (right - left)
        (x, y), (dx, dy) = stamp_origin_and_direction(page)
        across, up = shown_position(x, y, rotation, (left, bottom, right, top))
        step_across, step_up = shown_direction(dx, dy, rotation)

        assert 5 < up < 25, "baseline inside the bottom margin"
        assert 0 < across < shown_width / 2, "starts left of centre, inside the page"
        assert step_across == pytest.approx(1, abs=1e-6), "upright, not scaled by the page"
        assert step_up == pytest.approx(0, abs=1e-6)


def test_metadata_names_the_licensee_and_keeps_the_title(stamped):
    metadata = stamped.metadata
    assert metadata.title == TITLE
    assert metadata.author == "Socitm Insight"
    assert metadata.subject == f"Licensed to {LICENSEE}"
    assert metadata["/LicensedTo"] == LICENSEE
    assert metadata["/Licence"] == LICENCE_LINE


def test_title_is_filled_in_only_when_the_file_has_none(tmp_path):
    untitled = tmp_path / "untitled.pdf"
    untitled.write_bytes(simple_pdf(title=None))
    stamp_file(untitled, tmp_path / "out.pdf", title=TITLE)
    assert PdfReader(tmp_path / "out.pdf").metadata.title == TITLE

    titled = tmp_path / "titled.pdf"
    titled.write_bytes(simple_pdf(title="The publisher's title"))
    stamp_file(titled, tmp_path / "out.pdf", title=TITLE)
    assert PdfReader(tmp_path / "out.pdf").metadata.title == "The publisher's title"


def test_shared_images_and_fonts_stay_shared(report_pdf, stamped):
    images = set()
    for page in stamped.pages:
        xobjects = page["/Resources"]["/XObject"]
        for name in xobjects:
            if xobjects[name]["/Subtype"] == "/Image":
                images.add(xobjects.raw_get(name).idnum)
    assert len(images) == 1

    original_fonts = PdfReader(report_pdf).pages[0]["/Resources"]["/Font"]
    assert set(stamped.pages[0]["/Resources"]["/Font"]) == set(original_fonts)


def test_a_resource_dictionary_shared_by_pages_stays_one_dictionary(tmp_path):
    writer = PdfWriter(clone_from=PdfReader(BytesIO(simple_pdf(pages=4))))
    shared = writer._add_object(writer.pages[0]["/Resources"])  # no public way to add an object
    for page in writer.pages:
        page[NameObject("/Resources")] = shared
    source = tmp_path / "shared.pdf"
    writer.write(source)

    stamp_file(source, tmp_path / "out.pdf")
    pages = PdfReader(tmp_path / "out.pdf").pages
    for number, page in enumerate(pages):
        assert original_text(number) in page.extract_text()  # its fonts are still there
    assert len({page.raw_get("/Resources").idnum for page in pages}) == 1
    assert len(pages[0]["/Resources"]["/XObject"]) == 1  # one stamp entry, not one per page


def test_characters_special_to_pdf_strings_are_shown_as_typed(tmp_path):
    source = tmp_path / "report.pdf"
    source.write_bytes(simple_pdf())
    line = r"Licensed to Jo (Finance) Evans \ Eastbridge · 100% · <order> 12"
    stamp_file(source, tmp_path / "out.pdf", licence_line=line)
    assert line in PdfReader(tmp_path / "out.pdf").pages[0].extract_text()


def test_the_copy_is_only_slightly_larger(report_pdf, tmp_path):
    stamp_file(report_pdf, tmp_path / "stamped.pdf")
    growth = (tmp_path / "stamped.pdf").stat().st_size - report_pdf.stat().st_size
    assert growth < 8_000  # a few shared forms and tiny streams, whatever the page count


def test_long_lines_on_small_pages_shrink_or_wrap_but_stay_whole(tmp_path):
    source = tmp_path / "small.pdf"
    source.write_bytes(simple_pdf(size=A6))
    line = LICENCE_LINE + " · for use within the licensed organisation only"
    stamp_file(source, tmp_path / "out.pdf", licence_line=line)
    text = PdfReader(tmp_path / "out.pdf").pages[0].extract_text()
    assert " ".join(line.split()) in " ".join(text.split())


def test_names_outside_the_standard_fonts_are_approximated(tmp_path):
    source = tmp_path / "report.pdf"
    source.write_bytes(simple_pdf())
    licensee = "Zoë Łukasiewicz-Ó Briain, Ynys Môn 李"
    line = f"Licensed to {licensee} · order INS-2026-000013"
    stamp_file(source, tmp_path / "out.pdf", licence_line=line, licensee=licensee)

    stamped = PdfReader(tmp_path / "out.pdf")
    assert "Licensed to Zoë Lukasiewicz-Ó Briain, Ynys Môn ? · order" in (
        stamped.pages[0].extract_text()
    )
    assert stamped.metadata["/LicensedTo"] == licensee


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("Jo Evans · order 12", "Jo Evans · order 12"),
        # A curly apostrophe and an en dash: outside Latin-1, inside the fonts' WinAnsi set.
        ("Siân O\u2019Brien \u2013 Ceredigion", "Siân O\u2019Brien \u2013 Ceredigion"),
        ("Łódź  Ștefan\nnew line\tand tab", "Lódz Stefan new line and tab"),
        ("张伟", "??"),
        ("  \x00 padded \x07 ", "padded"),
    ],
)
def test_stampable_text(given, shown):
    assert stampable_text(given) == shown


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"Not a PDF at all, just some text.",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
        b"%PDF-1.7\n" + bytes(range(256)) * 40,
    ],
    ids=["empty", "text", "png", "pdf-header-then-noise"],
)
def test_files_that_are_not_pdfs_are_refused(tmp_path, content):
    source = tmp_path / "upload.pdf"
    source.write_bytes(content)
    with pytest.raises(StampError, match="not a readable PDF"):
        stamp_file(source, tmp_path / "out.pdf")


def test_a_pdf_cut_short_is_refused(tmp_path):
    source = tmp_path / "cut.pdf"
    source.write_bytes(simple_pdf(pages=3)[:-400])
    with pytest.raises(StampError):
        stamp_file(source, tmp_path / "out.pdf")


def test_a_pdf_without_pages_is_refused(tmp_path):
    source = tmp_path / "empty.pdf"
    source.write_bytes(simple_pdf().replace(b"/Kids", b"/Kidz"))
    with pytest.raises(StampError, match="no pages"):
        stamp_file(source, tmp_path / "out.pdf")


@pytest.mark.parametrize("user_password", ["secret", ""], ids=["password", "restrictions-only"])
def test_encrypted_pdfs_are_refused(tmp_path, user_password):
    writer = PdfWriter(clone_from=PdfReader(BytesIO(simple_pdf())))
    writer.encrypt(user_password, "owner password")
    source = tmp_path / "locked.pdf"
    writer.write(source)
    with pytest.raises(StampError, match="encrypted"):
        stamp_file(source, tmp_path / "out.pdf")


def test_the_source_is_read_in_pieces_not_whole(report_pdf):
    class WholeReadRefused(BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            assert size is not None and size >= 0, "read the whole source at once"
            return super().read(size)

    source = WholeReadRefused(report_pdf.read_bytes())
    assert stamp_pdf(source, BytesIO(), licence_line=LICENCE_LINE, licensee=LICENSEE) > 0


def test_an_empty_licence_line_is_a_programming_error(report_pdf):
    with pytest.raises(ValueError, match="empty"), report_pdf.open("rb") as source:
        stamp_pdf(source, BytesIO(), licence_line=" \n ", licensee=LICENSEE)


# Helpers -----------------------------------------------------------------------------------------


def simple_pdf(*, pages: int = 1, size=A4, title: str | None = TITLE) -> bytes:
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=size, invariant=True)
    canvas.setTitle(title or "")  # left unset, ReportLab would call it "untitled"
    for number in range(pages):
        canvas.setFont("Helvetica", 10)
        canvas.drawString(30, size[1] / 2, original_text(number))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def visible_box(page) -> tuple[float, float, float, float]:
    media, crop = page.mediabox, page.cropbox
    return (
        max(float(crop.left), float(media.left)),
        max(float(crop.bottom), float(media.bottom)),
        min(float(crop.right), float(media.right)),
        min(float(crop.top), float(media.top)),
    )


def stamp_origin_and_direction(page) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where the licence text starts in page space and which way it runs,
    found by following the graphics state through the page's content into the stamp's form."""
    ctm, saved = (1, 0, 0, 1, 0, 0), []
    xobjects = page["/Resources"]["/XObject"]
    for operands, operator in page.get_contents().operations:
        if operator == b"q":
            saved.append(ctm)
        elif operator == b"Q":
            ctm = saved.pop()
        elif operator == b"cm":
            ctm = multiply(tuple(map(float, operands)), ctm)
        elif operator == b"Do" and xobjects[operands[0]]["/Subtype"] == "/Form":
            found = text_matrix(xobjects[operands[0]], "Licensed to")
            if found:
                matrix = multiply(found, ctm)
                # The advance direction keeps its length: leftover page scaling would show in it.
                return apply(matrix, 0, 0), (matrix[0], matrix[1])
    raise AssertionError("no stamp drawn on the page")


def text_matrix(form, wanted: str):
    """The text matrix (with the form's own cm applied) of the string in ``form`` that starts
    with ``wanted``."""
    ctm, tm = (1, 0, 0, 1, 0, 0), None
    for operands, operator in ContentStream(form, form.indirect_reference.pdf).operations:
        if operator == b"cm":
            ctm = multiply(tuple(map(float, operands)), ctm)
        elif operator == b"Tm":
            tm = tuple(map(float, operands))
        elif operator == b"Tj" and str(operands[0]).startswith(wanted):
            return multiply(tm, ctm)
    return None


def multiply(m, n):
    """``m`` then ``n``, as PDF composes transformation matrices."""
    return (
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    )


def apply(m, x, y):
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def shown_position(x, y, rotation, box):
    """Page-space point → (across, up) as a viewer shows the page, from its bottom left."""
    left, bottom, right, top = box
    return {
        0: (x - left, y - bottom),
        90: (y - bottom, right - x),
        180: (right - x, top - y),
        270: (top - y, x - left),
    }[rotation]


def shown_direction(dx, dy, rotation):
    return {0: (dx, dy), 90: (dy, -dx), 180: (-dx, -dy), 270: (-dy, dx)}[rotation]
