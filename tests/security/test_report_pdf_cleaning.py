"""Uploaded report PDFs are stored cleaned of active content (actions run on opening, event
actions, JavaScript, embedded files, launch and form actions, XFA), never as uploaded; and a PDF
with more pages than the report's limit is refused with the reason, storing nothing."""

import io
from dataclasses import dataclass, field

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    StreamObject,
    TextStringObject,
)
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.catalogue.models import Report, ReportFormat
from portal.demo.sample_pdf import sample_report_pdf
from portal.extensions import db
from portal.pricing import FormatKind
from portal.storage import get_storage

#: What must never be left anywhere in a stored report PDF.
ACTIVE_KEYS = {"/OpenAction", "/AA", "/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA", "/AF"}
ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/GoToR"}
WEB_LINK = "https://socitm.example/"
ACTIVE_ANNOTATIONS = {"/FileAttachment", "/Screen", "/Movie", "/Sound", "/RichMedia", "/3D"}


def _name(value: str) -> NameObject:
    return NameObject(value)


def _dict(**entries) -> DictionaryObject:
    return DictionaryObject({_name(f"/{key}"): value for key, value in entries.items()})


def _action(kind: str, **entries) -> DictionaryObject:
    return _dict(Type=_name("/Action"), S=_name(f"/{kind}"), **entries)


def _javascript(code: str = "app.alert('hello')") -> DictionaryObject:
    return _action("JavaScript", JS=TextStringObject(code))


def _annotation(writer, subtype: str, **entries) -> IndirectObject:
    rect = ArrayObject([FloatObject(50), FloatObject(50), FloatObject(150), FloatObject(80)])
    annotation = _dict(Type=_name("/Annot"), Subtype=_name(subtype), Rect=rect, **entries)
    return writer._add_object(annotation)


def _embedded_file(writer) -> IndirectObject:
    stream = StreamObject()
    stream._data = b"MZ this would be a program"
    stream[_name("/Type")] = _name("/EmbeddedFile")
    return writer._add_object(
        _dict(
            Type=_name("/Filespec"),
            F=TextStringObject("setup.exe"),
            EF=_dict(F=writer._add_object(stream)),
        )
    )


def _names(writer) -> DictionaryObject:
    return writer._root_object.setdefault(_name("/Names"), DictionaryObject())


def _add_open_action(writer) -> None:
    writer._root_object[_name("/OpenAction")] = writer._add_object(_javascript())


def _add_document_events(writer) -> None:
    writer._root_object[_name("/AA")] = _dict(WC=_javascript("app.launchURL('x')"))


def _add_javascript_names(writer) -> None:
    tree = _dict(Names=ArrayObject([TextStringObject("go"), writer._add_object(_javascript())]))
    _names(writer)[_name("/JavaScript")] = tree


def _add_embedded_files(writer) -> None:
    tree = _dict(Names=ArrayObject([TextStringObject("setup.exe"), _embedded_file(writer)]))
    _names(writer)[_name("/EmbeddedFiles")] = tree
    writer._root_object[_name("/AF")] = ArrayObject([_embedded_file(writer)])


def _add_page_events(writer) -> None:
    writer.pages[0][_name("/AA")] = _dict(O=_javascript())


def _add_annotations(writer) -> None:
    page = writer.pages[1]
    page[_name("/Annots")] = ArrayObject(
        [
            _annotation(writer, "/Link", A=_action("Launch", F=TextStringObject("cmd.exe"))),
            _annotation(
                writer, "/Link", A=_action("SubmitForm", F=TextStringObject("https://x.example"))
            ),
            _annotation(writer, "/Link", A=_action("ImportData", F=TextStringObject("data.fdf"))),
            _annotation(writer, "/Link", A=_action("GoToR", F=TextStringObject("other.pdf"))),
            _annotation(writer, "/Link", A=_action("URI", URI=TextStringObject("javascript:x()"))),
            _annotation(
                writer,
                "/Link",
                A=_action("URI", URI=TextStringObject("https://a.example"), Next=_javascript()),
            ),
            _annotation(writer, "/FileAttachment", FS=_embedded_file(writer)),
            _annotation(writer, "/Screen", A=_action("Rendition", JS=TextStringObject("x()"))),
            _annotation(writer, "/Widget", AA=_dict(K=_javascript())),
        ]
    )


def _add_xfa_form(writer) -> None:
    field = _dict(FT=_name("/Tx"), T=TextStringObject("f"), AA=_dict(K=_javascript()))
    field = writer._add_object(field)
    writer._root_object[_name("/AcroForm")] = _dict(
        Fields=ArrayObject([field]), XFA=TextStringObject("<xdp:xdp/>")
    )


def _add_outline_javascript(writer) -> None:
    item = writer.add_outline_item(title="Run me", page_number=0)
    item.get_object()[_name("/A")] = _javascript()


ACTIVE_PARTS = {
    "open action": _add_open_action,
    "document events": _add_document_events,
    "javascript name tree": _add_javascript_names,
    "embedded files": _add_embedded_files,
    "page events": _add_page_events,
    "annotation actions": _add_annotations,
    "xfa form": _add_xfa_form,
    "outline javascript": _add_outline_javascript,
}


def _hostile_pdf(*parts) -> bytes:
    """The sample report (with its safe links) plus the active parts named."""
    writer = PdfWriter(clone_from=io.BytesIO(_report_pdf()))
    page, third = writer.pages[0], writer.pages[2].indirect_reference
    page[_name("/Annots")] = ArrayObject(
        [
            _annotation(writer, "/Link", A=_action("URI", URI=TextStringObject(WEB_LINK))),
            _annotation(writer, "/Link", A=_action("GoTo", D=ArrayObject([third, _name("/Fit")]))),
        ]
    )
    for add in parts:
        add(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _report_pdf() -> bytes:
    return sample_report_pdf("Channel shift", "Modern public services", ["One", "Two"])


@dataclass
class Found:
    """Everything in a PDF file, wherever it is: dictionary keys, action types, annotation
    types, and the text of every string and stream."""

    keys: set = field(default_factory=set)
    actions: set = field(default_factory=set)
    annotations: set = field(default_factory=set)
    texts: list = field(default_factory=list)

    def mentions(self, text: str) -> bool:
        return any(text in found for found in self.texts)


def _everything_in(pdf: bytes) -> Found:
    reader = PdfReader(io.BytesIO(pdf))
    found = Found()
    seen, stack = set(), [reader.trailer]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, StreamObject):
            found.texts.append(item.get_data().decode("latin-1"))
        if isinstance(item, DictionaryObject):
            found.keys |= set(item.keys())
            if "/S" in item:
                found.actions.add(item["/S"])
            if item.get("/Type") == "/Annot":
                found.annotations.add(item.get("/Subtype"))
            stack.extend(item.raw_get(key) for key in item)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
        elif isinstance(item, str | bytes):
            found.texts.append(item if isinstance(item, str) else item.decode("latin-1"))
    return found


def _assert_no_active_content(pdf: bytes) -> Found:
    found = _everything_in(pdf)
    assert not found.keys & ACTIVE_KEYS
    assert not found.actions & ACTIVE_ACTIONS
    assert not found.annotations & ACTIVE_ANNOTATIONS
    for text in ("app.alert", "app.launchURL", "MZ this would be a program", "cmd.exe", "x()"):
        assert not found.mentions(text), text
    return found


def _upload(post_form, slug: str, data: bytes):
    return post_form(
        f"/admin/reports/{slug}/pdf",
        {"pdf": (io.BytesIO(data), "report.pdf")},
        form_page=f"/admin/reports/{slug}",
        content_type="multipart/form-data",
    )


def _stored(app, slug: str) -> bytes | None:
    with app.app_context():
        key = db.session.scalar(select(Report.pdf_file_key).where(Report.slug == slug))
        if key is None:
            return None
        with get_storage().open(key) as stored:
            return stored.read()


def _uploaded_entry(app) -> AuditEntry:
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "report.upload_pdf")
        ).one()


def test_the_hostile_parts_are_really_in_the_test_file():
    found = _everything_in(_hostile_pdf(*ACTIVE_PARTS.values()))
    assert found.keys >= ACTIVE_KEYS
    assert ACTIVE_ACTIONS - {"/GoToE"} <= found.actions
    assert {"/FileAttachment", "/Screen"} <= found.annotations
    for text in ("app.alert", "app.launchURL", "MZ this would be a program", "cmd.exe"):
        assert found.mentions(text)


@pytest.mark.parametrize(
    "parts",
    [[add] for add in ACTIVE_PARTS.values()] + [list(ACTIVE_PARTS.values())],
    ids=[*ACTIVE_PARTS, "all of them"],
)
def test_active_content_is_removed_before_the_pdf_is_stored(
    app, post_form, admin, create_report, parts
):
    report = create_report()
    uploaded = _hostile_pdf(*parts)

    response = _upload(post_form, report.slug, uploaded)

    assert response.status_code == 302
    stored = _stored(app, report.slug)
    assert stored != uploaded
    found = _assert_no_active_content(stored)
    # What a reader needs stays: every page, its text, its web and page links.
    reader = PdfReader(io.BytesIO(stored))
    original = PdfReader(io.BytesIO(_report_pdf()))
    assert len(reader.pages) == len(original.pages)
    assert [p.extract_text() for p in reader.pages] == [p.extract_text() for p in original.pages]
    assert {"/URI", "/GoTo"} <= found.actions
    assert found.mentions(WEB_LINK)
    assert _uploaded_entry(app).after["removed"]


def test_a_clean_pdf_is_stored_with_nothing_removed(app, post_form, admin, create_report):
    report = create_report()
    response = _upload(post_form, report.slug, _hostile_pdf())
    assert response.status_code == 302
    assert _uploaded_entry(app).after["removed"] == []


def test_the_administrator_is_told_what_was_removed(app, client, post_form, admin, create_report):
    report = create_report()
    _upload(post_form, report.slug, _hostile_pdf(_add_open_action, _add_embedded_files))
    page = client.get(f"/admin/reports/{report.slug}").get_data(as_text=True)
    assert "Report PDF uploaded" in page
    assert "Removed from it" in page and "embedded files" in page


def _pdf_of_pages(count: int) -> bytes:
    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("pages", "limit", "refused"), [(3, 3, False), (4, 3, True)])
def test_the_page_limit_set_on_the_pdf_format_is_kept(
    app, post_form, admin, create_report, pages, limit, refused
):
    report = create_report(
        formats=[ReportFormat(kind=FormatKind.PDF, price_pence=14_500, page_limit=limit)]
    )
    response = _upload(post_form, report.slug, _pdf_of_pages(pages))
    text = response.get_data(as_text=True)
    if refused:
        assert response.status_code == 200 and "There is a problem" in text
        assert f"The PDF has {pages:,} pages; this report allows {limit:,} at most" in text
        assert _stored(app, report.slug) is None
    else:
        assert response.status_code == 302 and _stored(app, report.slug) is not None


def test_without_a_pdf_format_the_default_page_limit_of_2000_applies(
    app, post_form, admin, create_report
):
    report = create_report(formats=[ReportFormat(kind=FormatKind.PRINT, price_pence=1, stock=1)])
    response = _upload(post_form, report.slug, _pdf_of_pages(2001))
    assert "The PDF has 2,001 pages; this report allows 2,000 at most" in response.get_data(
        as_text=True
    )
    assert _stored(app, report.slug) is None


def test_a_new_pdf_format_allows_2000_pages_and_the_limit_can_be_changed(
    app, client, post_form, admin, create_report
):
    from tests.catalogue.report_form import FORMAT_FORM

    report = create_report(formats=[ReportFormat(kind=FormatKind.PRINT, price_pence=1, stock=1)])
    form = client.get(f"/admin/reports/{report.slug}/formats/pdf").get_data(as_text=True)
    assert 'name="page_limit"' in form and 'value="2000"' in form
    post_form(f"/admin/reports/{report.slug}/formats/pdf", {**FORMAT_FORM, "page_limit": "350"})
    with app.app_context():
        pdf = db.session.scalar(
            select(ReportFormat).where(
                ReportFormat.report_id == report.id, ReportFormat.kind == FormatKind.PDF
            )
        )
        assert pdf.page_limit == 350


@pytest.mark.parametrize("value", ["0", "-1", "many", "", "9999999"])
def test_a_page_limit_that_is_not_a_whole_number_of_1_or_more_is_refused(
    app, post_form, admin, create_report, value
):
    from tests.catalogue.report_form import FORMAT_FORM

    report = create_report()
    response = post_form(
        f"/admin/reports/{report.slug}/formats/pdf", {**FORMAT_FORM, "page_limit": value}
    )
    assert response.status_code == 200
    assert "Pages allowed must be a whole number of 1 or more" in response.get_data(as_text=True)


def _broken(pdf: bytes, old: bytes, new: bytes) -> bytes:
    assert old in pdf
    return pdf.replace(old, new, 1)


_DAMAGED = {
    "open action pointing nowhere": lambda: _broken(
        _hostile_pdf(_add_open_action), b"/OpenAction ", b"/OpenAction 999 0 R %"
    ),
    "annotation that is not a dictionary": lambda: _broken(
        _hostile_pdf(_add_annotations), b"/Subtype /FileAttachment", b"/Subtype (((("
    ),
    "annotations with broken types": lambda: _hostile_pdf(*ACTIVE_PARTS.values()).replace(
        b"/Type /Annot", b"/Type <<<<", 3
    ),
    "action chain pointing at the catalogue": lambda: _broken(
        _hostile_pdf(_add_annotations), b"/Next", b"/Next 1 0 R /X"
    ),
}


@pytest.mark.parametrize("make", _DAMAGED.values(), ids=_DAMAGED.keys())
def test_a_damaged_pdf_is_refused_or_cleaned_never_an_error(
    app, post_form, admin, create_report, make
):
    report = create_report()
    response = _upload(post_form, report.slug, make())
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "There is a problem" in response.get_data(as_text=True)
        assert _stored(app, report.slug) is None
    else:
        _assert_no_active_content(_stored(app, report.slug))


def test_copies_stamped_from_a_file_stored_before_cleaning_are_clean_too():
    from portal.downloads.stamp import stamp_pdf

    copy = io.BytesIO()
    stamp_pdf(
        io.BytesIO(_hostile_pdf(*ACTIVE_PARTS.values())),
        copy,
        licence_line="Licensed to Jo Evans · order INS-2026-000001",
        licensee="Jo Evans",
    )
    _assert_no_active_content(copy.getvalue())
