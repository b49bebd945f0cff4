"""Personalised copies of report PDFs: a licence footer on every page, the licensee in the metadata.

Pure: no Flask, no database. The download feature hands in the stored report as a file object and
a file object to write the personal copy to.

How the stamp is applied (the same way qpdf overlays pages): ReportLab draws the footer once for
each distinct visible page size; that drawing becomes a Form XObject shared by every page of that
size. Each page's contents become a list of streams: a shared ``q``, the page's own streams, a
shared ``Q`` (so nothing the page leaves set, such as a scale or a colour, leaks into the stamp),
and a tiny stream that positions the form for the page's box and rotation and draws it. The page's
own content streams are referenced, never decoded or re-encoded, and the only change to its
resources is one more /XObject entry, so pages that share a resource dictionary or images keep
sharing them. (pypdf's ``merge_page`` was the obvious tool, but it decompresses every page's
content and, on the shared /Font dictionary every ReportLab file has, adds a renamed font entry
per page.)

Not an incremental update: that would leave the unstamped original intact inside the file, for
anyone to recover by cutting the file at its first ``%%EOF``.
"""

import re
from io import BytesIO
from typing import BinaryIO

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    StreamObject,
)
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from portal.catalogue.pdf_cleaning import DAMAGED, remove_active_content
from portal.documents.pdf_text import printable

FONT = "Helvetica"
FONT_SIZE = 7.0
# Long lines on narrow pages shrink down to this size before they wrap onto a second line.
SMALLEST_FONT_SIZE = 5.0
# The report's own footer usually sits 10-20 mm up; the stamp goes beneath it, still clear of
# the few millimetres a printer cannot reach.
BASELINE = 6 * mm
SIDE_MARGIN = 12 * mm
TEXT_GREY = 0.25

_WHITESPACE = re.compile(r"\s+")
_ROTATIONS = (0, 90, 180, 270)


class StampError(Exception):
    """The source cannot be stamped: it is not a PDF, it is encrypted, or it is damaged beyond
    repair."""


def stamp_pdf(
    source: BinaryIO,
    target: BinaryIO,
    *,
    licence_line: str,
    licensee: str,
    title: str | None = None,
) -> int:
    """Write to ``target`` a copy of the PDF in ``source`` with ``licence_line`` in small type at
    the foot of every page, and return the number of pages.

    The metadata keeps the original /Title (``title`` fills it only when the file has none) and
    gains /Subject "Licensed to <licensee>", /LicensedTo and /Licence (the full line); these keep
    the exact Unicode text, while the footer shows what the standard fonts can (see
    :func:`stampable_text`).

    ``source`` must be seekable and is read as needed, not loaded whole; ``target`` must support
    ``write`` and ``tell`` (a regular file, a temporary file, a BytesIO). pypdf still holds every
    object of the document, images included, in memory while it writes, so memory grows with the
    file (see bench/stamp_memory.py).

    Raises :class:`StampError` when the source is not a PDF, is encrypted, has no pages, or is
    damaged beyond pypdf's repair; ``target`` may then hold part of a file and must be discarded.
    I/O errors from either file object are not caught.
    """
    footer = stampable_text(licence_line)
    if not footer:
        raise ValueError("the licence line is empty")
    try:
        reader = PdfReader(source)
        if reader.is_encrypted:
            raise StampError("the PDF is encrypted; upload an unprotected copy of the report")
        original_title = reader.metadata.title if reader.metadata else None
        # Report files are cleaned when uploaded; a file stored before that is cleaned here.
        remove_active_content(reader)
        writer = PdfWriter(clone_from=reader)
        pages = list(writer.pages)
        if not pages:
            raise StampError("the PDF has no pages")
        stamper = _Stamper(writer, footer)
        for page in pages:
            stamper.stamp(page)
        metadata = {
            "/Subject": f"Licensed to {licensee}",
            "/LicensedTo": licensee,
            "/Licence": licence_line,
        }
        if not original_title and title:
            metadata["/Title"] = title
        writer.add_metadata(metadata)
    except DAMAGED as error:
        raise StampError(f"the file is not a readable PDF ({error})") from error
    # Outside the guard: by now every object has been read, so a failure here is the target's.
    writer.write(target)
    return len(pages)


def stampable_text(text: str) -> str:
    """``text`` on one line, in characters the standard PDF fonts can draw (the same rule as the
    issued documents: "Łódź" → "Lódz", what cannot be approximated → "?")."""
    visible = "".join(c for c in text if c.isprintable() or c.isspace())
    return printable(_WHITESPACE.sub(" ", visible).strip())


class _Stamper:
    """Adds the footer to the pages of one writer, sharing every object it can between them."""

    def __init__(self, writer: PdfWriter, footer: str) -> None:
        self._writer = writer
        self._footer = footer
        # pypdf has no public call to add a new indirect object; _add_object is what its own page
        # operations use. Content streams must be indirect objects.
        self._save = writer._add_object(_content(b"q\n"))
        self._restore = writer._add_object(_content(b"Q\n"))
        self._forms: dict[tuple[float, float], tuple[IndirectObject, NameObject]] = {}
        self._placements: dict[tuple, IndirectObject] = {}

    def stamp(self, page: PageObject) -> None:
        """Draw the footer on ``page``, at the foot of its visible area as it is displayed."""
        left, bottom, right, top = _visible_box(page)
        rotation = page.rotation % 360
        if rotation not in _ROTATIONS:
            rotation = 0  # viewers ignore a /Rotate that is not a multiple of 90
        width, height = right - left, top - bottom
        shown = (height, width) if rotation in (90, 270) else (width, height)
        # Maps the page as displayed (origin bottom left, upright) into the page's own space.
        matrix = {
            0: (1, 0, 0, 1, left, bottom),
            90: (0, 1, -1, 0, right, bottom),
            180: (-1, 0, 0, -1, right, top),
            270: (0, -1, 1, 0, left, top),
        }[rotation]

        form, base_name = self._form(shown)
        name = _add_xobject(page, base_name, form)
        key = (name, form.idnum, matrix)
        if key not in self._placements:
            operands = " ".join(_number(value) for value in matrix)
            # Marked as a page-furniture artifact, so screen readers and the structure tree of an
            # accessible (tagged) report pass over it.
            artifact = "/Artifact <</Type /Pagination /Subtype /Footer>> BDC"
            draw = f"q {operands} cm {artifact} {name} Do EMC Q\n".encode()
            self._placements[key] = self._writer._add_object(_content(draw))
        contents = [self._save, *self._content_references(page)]
        contents += [self._restore, self._placements[key]]
        page[NameObject("/Contents")] = ArrayObject(contents)

    def _content_references(self, page: PageObject) -> list[IndirectObject]:
        """The page's content streams as references, without reading their data."""
        contents = page.raw_get("/Contents") if "/Contents" in page else None
        if contents is None:
            return []
        resolved = contents.get_object()
        if isinstance(resolved, ArrayObject):
            return [item for item in resolved if isinstance(item, IndirectObject)]
        if isinstance(resolved, StreamObject):
            # A stream written inline breaks the file; a lenient reader may have accepted one.
            if isinstance(contents, IndirectObject):
                return [contents]
            return [self._writer._add_object(resolved)]
        return []

    def _form(self, shown: tuple[float, float]) -> tuple[IndirectObject, NameObject]:
        """The footer drawn for a page shown at this size, as a Form XObject, made once."""
        size = (round(shown[0], 2), round(shown[1], 2))
        if size not in self._forms:
            overlay = PdfReader(BytesIO(_draw_footer(self._footer, *size))).pages[0]
            form = DecodedStreamObject()
            form.set_data(overlay.get_contents().get_data())
            form.update(
                {
                    NameObject("/Type"): NameObject("/XObject"),
                    NameObject("/Subtype"): NameObject("/Form"),
                    NameObject("/BBox"): ArrayObject(FloatObject(v) for v in (0, 0, *size)),
                    NameObject("/Resources"): overlay["/Resources"].clone(self._writer),
                }
            )
            reference = self._writer._add_object(form.flate_encode())
            self._forms[size] = (reference, NameObject(f"/LicenceStamp{len(self._forms)}"))
        return self._forms[size]


def _draw_footer(footer: str, width: float, height: float) -> bytes:
    """A one-page PDF of the given size with the footer centred at its foot, on a pale band that
    keeps it readable over dark or full-bleed artwork."""
    available = max(width - 2 * SIDE_MARGIN, width / 2)
    size = FONT_SIZE
    natural = stringWidth(footer, FONT, size)
    if natural > available:
        size = max(SMALLEST_FONT_SIZE, size * available / natural)
    lines = simpleSplit(footer, FONT, size, available) or [""]
    leading = size * 1.2
    baseline = min(BASELINE, height / 40)
    widest = max(stringWidth(line, FONT, size) for line in lines)

    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=True)
    canvas.setFillColorRGB(1, 1, 1, alpha=0.7)
    canvas.rect(
        (width - widest) / 2 - size / 2,
        baseline - size * 0.45,
        widest + size,
        leading * (len(lines) - 1) + size * 1.35,
        stroke=0,
        fill=1,
    )
    canvas.setFillGray(TEXT_GREY, alpha=1)
    canvas.setFont(FONT, size)
    # Top line first, so text extraction reads the lines in order.
    for number, line in enumerate(lines):
        canvas.drawCentredString(width / 2, baseline + (len(lines) - 1 - number) * leading, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _visible_box(page: PageObject) -> tuple[float, float, float, float]:
    """The part of the page a viewer shows: the crop box, clipped to the media box."""
    media, crop = _corners(page.mediabox), _corners(page.cropbox)
    left, bottom = max(crop[0], media[0]), max(crop[1], media[1])
    right, top = min(crop[2], media[2]), min(crop[3], media[3])
    if right <= left or top <= bottom:
        return media  # a crop box outside the page: viewers fall back to the media box
    return left, bottom, right, top


def _corners(rectangle) -> tuple[float, float, float, float]:
    # A box may be written with any two opposite corners, in either order.
    x1, y1, x2, y2 = (float(value) for value in rectangle)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def _add_xobject(page: PageObject, base_name: NameObject, form: IndirectObject) -> NameObject:
    """Register ``form`` in the page's resources under a name the page does not already use for
    something else, and return that name. A resource dictionary shared with other pages is
    changed in place: every page of that size gets the same entry, so it is added once."""
    resources = _entry(page, "/Resources")
    if not isinstance(resources, DictionaryObject):
        resources = DictionaryObject()
        page[NameObject("/Resources")] = resources
    xobjects = _entry(resources, "/XObject")
    if not isinstance(xobjects, DictionaryObject):
        xobjects = DictionaryObject()
        resources[NameObject("/XObject")] = xobjects
    name, suffix = base_name, 0
    while name in xobjects and xobjects.raw_get(name) != form:
        suffix += 1
        name = NameObject(f"{base_name}x{suffix}")
    xobjects[name] = form
    return name


def _entry(dictionary: DictionaryObject, key: str):
    """The entry, followed if it is a reference (``get`` does not follow references), or None."""
    value = dictionary.get(key)
    return None if value is None else value.get_object()


def _content(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
