"""Administering the catalogue: reports, formats, the report PDF and the cover image."""

import io
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from portal import pricing
from portal.audit.models import AuditEntry
from portal.catalogue.admin_forms import parse_percent, parse_pounds
from portal.catalogue.models import Report, ReportFormat
from portal.demo.sample_pdf import sample_report_pdf
from portal.extensions import db
from portal.orders.models import PaymentMethod
from portal.orders.services import Buyer
from portal.pricing import FormatKind
from portal.storage import get_storage
from tests.catalogue.report_form import FORMAT_FORM, REPORT_FORM
from tests.helpers import stored_files, stored_report

GOOD_REPORT = REPORT_FORM
GOOD_FORMAT = FORMAT_FORM


def _pdf() -> bytes:
    return sample_report_pdf("A report", "A series", ["One", "Two"])


def _png(size=(4, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, "PNG")
    return buffer.getvalue()


def _encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(_pdf()))
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _audit(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- access ---------------------------------------------------------------------------------

ROUTES = [
    ("get", "/admin/reports"),
    ("get", "/admin/reports/new"),
    ("post", "/admin/reports/new"),
    ("get", "/admin/reports/{slug}"),
    ("get", "/admin/reports/{slug}/edit"),
    ("post", "/admin/reports/{slug}/edit"),
    ("get", "/admin/reports/{slug}/formats/pdf"),
    ("post", "/admin/reports/{slug}/formats/pdf"),
    ("post", "/admin/reports/{slug}/formats/print/remove"),
    ("post", "/admin/reports/{slug}/pdf"),
    ("get", "/admin/reports/{slug}/cover"),
    ("post", "/admin/reports/{slug}/cover"),
]


def _request(client, post_form, method, path, token_page):
    if method == "get":
        return client.get(path)
    # A real CSRF token, so that the refusal tested is the access check, not the token check.
    return post_form(path, {**GOOD_REPORT, **GOOD_FORMAT}, form_page=token_page)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_guests_are_sent_to_sign_in(app, client, post_form, create_report, method, path):
    report = create_report()
    response = _request(client, post_form, method, path.format(slug=report.slug), "/sign-in")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    assert _count(app, AuditEntry) == 0


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_people_who_are_not_administrators_get_403(
    app, client, post_form, auth, create_user, create_report, method, path
):
    report = create_report()
    auth.sign_in(create_user().email)
    response = _request(client, post_form, method, path.format(slug=report.slug), "/account")
    assert response.status_code == 403
    assert _count(app, AuditEntry) == 0
    assert _count(app, Report) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/admin/reports/no-such-report",
        "/admin/reports/Bad_Slug/edit",
        "/admin/reports/no-such-report/cover",
        "/admin/reports/{slug}/formats/ebook",
        "/admin/reports/{slug}/cover",  # no cover uploaded yet
    ],
)
def test_unknown_reports_formats_and_files_are_404(client, admin, create_report, path):
    report = create_report()
    assert client.get(path.format(slug=report.slug)).status_code == 404


# --- the list and the report page -------------------------------------------------------------


def test_the_list_shows_every_report_with_formats_and_files(client, admin, create_report):
    create_report(title="Out in the open", with_pdf=True)
    create_report(title="A draft", is_published=False)
    page = client.get("/admin/reports").get_data(as_text=True)
    assert "Out in the open" in page and "A draft" in page
    assert "Not published" in page and "Published" in page
    assert "£145.00" in page and "10 available" in page
    assert "PDF: uploaded" in page and "PDF: not uploaded" in page
    assert 'href="/admin/reports/new"' in page


def test_the_report_page_shows_details_and_upload_forms(client, admin, create_report):
    report = create_report(title="Channel shift", is_published=False)
    page = client.get(f"/admin/reports/{report.slug}").get_data(as_text=True)
    assert "Channel shift" in page and "Not published" in page
    assert 'enctype="multipart/form-data"' in page
    assert "No PDF is uploaded yet" in page and "No cover image is uploaded yet" in page


# --- creating and editing reports ------------------------------------------------------------


def test_creating_a_report_saves_it_unpublished_and_audits(app, post_form, admin):
    response = post_form("/admin/reports/new", GOOD_REPORT)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/reports/digital-by-default")
    report = stored_report(app, "digital-by-default")
    assert report.title == "Digital by default"
    assert report.published_on == date(2006, 2, 14)
    assert report.is_published is False
    assert report.sample_pages == 5
    assert report.summary == "First paragraph.\n\nSecond paragraph."
    assert report.formats == []
    (entry,) = _audit(app, "report.create")
    assert entry.actor_email == admin.email
    assert entry.target_id == "digital-by-default"
    assert entry.after["published_on"] == "2006-02-14"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "  "}, "Enter the report&#39;s title"),
        ({"slug": "Digital By Default"}, "lower-case letters"),
        ({"slug": "digital--default"}, "lower-case letters"),
        ({"slug": "-digital"}, "lower-case letters"),
        ({"slug": "new"}, "already uses the web address name"),
        ({"summary": ""}, "Enter a summary"),
        ({"published_on": ["31", "2", "2006"]}, "must be a real date"),
        ({"published_on": ["14", "13", "2006"]}, "must be a real date"),
        ({"published_on": ["x", "2", "2006"]}, "must be a real date"),
        ({"published_on": ["", "", ""]}, "Enter the publication date"),
        ({"published_on": ["1"]}, "must be a real date"),
        ({"published_on": ["1", "1", "1066"]}, "between 1900 and 2200"),
        ({"title": "x" * 301}, "300 characters or fewer"),
    ],
)
def test_bad_report_details_are_refused_and_kept(app, post_form, admin, changes, message):
    response = post_form("/admin/reports/new", {**GOOD_REPORT, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert "Second paragraph." in page or "summary" in changes  # what was typed is kept
    assert _count(app, Report) == 0
    assert _count(app, AuditEntry) == 0


def test_a_slug_already_used_is_refused(app, post_form, admin, create_report):
    create_report(slug="digital-by-default")
    response = post_form("/admin/reports/new", GOOD_REPORT)
    assert "Another report already uses the web address name digital-by-default" in (
        response.get_data(as_text=True)
    )
    assert _count(app, Report) == 1


def test_editing_a_report_changes_it_and_audits_before_and_after(
    app, post_form, admin, create_report
):
    report = create_report(slug="old-name", title="Old title")
    response = post_form(
        f"/admin/reports/{report.slug}/edit",
        {**GOOD_REPORT, "slug": "new-name", "is_published": ""},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/reports/new-name")
    assert stored_report(app, "old-name") is None
    edited = stored_report(app, "new-name")
    assert (edited.title, edited.is_published) == ("Digital by default", False)
    (entry,) = _audit(app, "report.update")
    assert entry.target_id == "new-name"
    assert entry.before["slug"] == "old-name" and entry.after["slug"] == "new-name"
    assert entry.before["is_published"] is True and entry.after["is_published"] is False


def test_the_edit_form_shows_the_current_details(client, admin, create_report):
    report = create_report(title="Shown title", published_on=date(2006, 2, 14))
    page = client.get(f"/admin/reports/{report.slug}/edit").get_data(as_text=True)
    assert 'value="Shown title"' in page
    assert 'value="14"' in page and 'value="2006"' in page


def test_editing_to_another_reports_slug_is_refused(app, post_form, admin, create_report):
    create_report(slug="taken")
    report = create_report(slug="mine", title="Mine")
    response = post_form(f"/admin/reports/{report.slug}/edit", {**GOOD_REPORT, "slug": "taken"})
    assert "Another report already uses the web address name taken" in response.get_data(
        as_text=True
    )
    assert stored_report(app, "mine").title == "Mine"
    assert _audit(app, "report.update") == []


def test_keeping_the_same_slug_is_fine(app, post_form, admin, create_report):
    report = create_report(slug="digital-by-default")
    response = post_form(f"/admin/reports/{report.slug}/edit", GOOD_REPORT)
    assert response.status_code == 302


# --- formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("145.00", 14_500),
        ("145", 14_500),
        ("0.5", 50),
        ("£1,234.50", 123_450),
        (" 12.34 ", 1234),
        ("1.234", None),
        ("£", None),
        ("-5", None),
        ("", None),
        ("1e3", None),
        ("12,34", None),
        ("1000000.01", None),
    ],
)
def test_pounds_are_parsed_to_pence_without_floats(text, pence):
    assert parse_pounds(text) == pence


@pytest.mark.parametrize(
    ("text", "basis_points"),
    [("0", 0), ("20", 2000), ("17.5", 1750), ("5.25%", 525), ("100", 10_000)],
)
def test_vat_percentages_become_basis_points(text, basis_points):
    assert parse_percent(text) == basis_points


@pytest.mark.parametrize("text", ["150", "100.01", "-1", "20.001", "twenty", ""])
def test_bad_vat_percentages_are_none(text):
    assert parse_percent(text) is None


def test_editing_a_print_format_saves_pence_and_audits(app, post_form, admin, create_report):
    report = create_report()
    response = post_form(
        f"/admin/reports/{report.slug}/formats/print", {**GOOD_FORMAT, "vat_rate": "17.5"}
    )
    assert response.status_code == 302
    printed = next(f for f in stored_report(app, report.slug).formats if f.kind is FormatKind.PRINT)
    assert (printed.price_pence, printed.subscriber_price_pence) == (14_500, 0)
    assert printed.vat_rate_basis_points == 1750
    assert (printed.stock, printed.free_copies_per_organisation) == (250, 2)
    assert printed.postage_pence == 350
    (entry,) = _audit(app, "format.update")
    assert entry.before["stock"] == 10 and entry.after["stock"] == 250
    assert entry.after["price_pence"] == 14_500


def test_editing_a_pdf_format_sets_the_download_limit(app, post_form, admin, create_report):
    report = create_report()
    post_form(f"/admin/reports/{report.slug}/formats/pdf", {**GOOD_FORMAT, "download_limit": "3"})
    pdf = next(f for f in stored_report(app, report.slug).formats if f.kind is FormatKind.PDF)
    assert (pdf.download_limit, pdf.stock, pdf.price_pence) == (3, None, 14_500)


@pytest.mark.parametrize(
    ("kind", "changes", "message"),
    [
        ("print", {"price": "1.234"}, "Standard price must be an amount in pounds"),
        ("print", {"price": "£"}, "Standard price must be an amount in pounds"),
        ("print", {"price": "-5"}, "Standard price must be an amount in pounds"),
        ("print", {"price": ""}, "Enter the standard price"),
        ("print", {"subscriber_price": "free"}, "Subscriber price must be an amount"),
        ("print", {"price": "0.29"}, "Standard price must be £0.00 or at least £0.30"),
        ("pdf", {"price": "1,000,000.00"}, "Standard price must be no more than £999,999.99"),
        ("print", {"subscriber_price": "0.01"}, "Subscriber price must be £0.00 or at least"),
        ("print", {"vat_rate": "150"}, "VAT rate must be a percentage from 0 to 100"),
        ("print", {"stock": "-5"}, "copies in stock as a whole number"),
        ("print", {"stock": ""}, "copies in stock as a whole number"),
        ("print", {"free_copies": "1.5"}, "free copies as a whole number"),
        ("print", {"postage": "3.999"}, "Postage must be an amount in pounds"),
        ("pdf", {"download_limit": "0"}, "whole number of 1 or more"),
        ("pdf", {"download_limit": "ten"}, "whole number of 1 or more"),
    ],
)
def test_bad_format_values_are_refused_and_change_nothing(
    app, post_form, admin, create_report, kind, changes, message
):
    report = create_report()
    response = post_form(f"/admin/reports/{report.slug}/formats/{kind}", {**GOOD_FORMAT, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    formats = {f.kind: f for f in stored_report(app, report.slug).formats}
    assert formats[FormatKind.PRINT].stock == 10
    assert formats[FormatKind.PDF].price_pence == 14_500
    assert _count(app, AuditEntry) == 0


def test_a_missing_format_can_be_added_once(app, post_form, admin, create_report):
    report = create_report(formats=[ReportFormat(kind=FormatKind.PDF, price_pence=9_900)])
    response = post_form(f"/admin/reports/{report.slug}/formats/print", GOOD_FORMAT)
    assert response.status_code == 302
    kinds = sorted(f.kind.value for f in stored_report(app, report.slug).formats)
    assert kinds == ["pdf", "print"]
    (entry,) = _audit(app, "format.create")
    assert entry.after["kind"] == "print" and entry.after["stock"] == 250
    # The same URL now edits the print format rather than adding a second one.
    post_form(f"/admin/reports/{report.slug}/formats/print", {**GOOD_FORMAT, "stock": "7"})
    assert _count(app, ReportFormat) == 2
    assert len(_audit(app, "format.update")) == 1


def test_the_add_form_starts_with_sensible_defaults(client, admin, create_report):
    report = create_report(formats=[ReportFormat(kind=FormatKind.PDF, price_pence=9_900)])
    page = client.get(f"/admin/reports/{report.slug}/formats/print").get_data(as_text=True)
    assert "Add a printed copy format" in page
    assert "Remove the" not in page


def test_an_unordered_format_can_be_removed(app, post_form, admin, create_report):
    report = create_report()
    response = post_form(
        f"/admin/reports/{report.slug}/formats/print/remove",
        {},
        form_page=f"/admin/reports/{report.slug}",
    )
    assert response.status_code == 302
    assert [f.kind for f in stored_report(app, report.slug).formats] == [FormatKind.PDF]
    (entry,) = _audit(app, "format.remove")
    assert entry.before["kind"] == "print"


def test_an_ordered_format_cannot_be_removed(
    app, client, post_form, admin, create_report, create_order
):
    report = create_report()
    with app.app_context():
        printed = db.session.get(
            ReportFormat, next(f.id for f in report.formats if f.kind is FormatKind.PRINT)
        )
        create_order(
            [(printed, 1)],
            buyer=Buyer("buyer@example.gov.uk", "A Buyer"),
            person=pricing.GUEST,
            on=date(2026, 11, 26),
            method=PaymentMethod.CARD,
        )
        db.session.commit()
    response = post_form(
        f"/admin/reports/{report.slug}/formats/print/remove",
        {},
        form_page=f"/admin/reports/{report.slug}",
        follow_redirects=True,
    )
    assert "has been ordered, so it cannot be removed" in response.get_data(as_text=True)
    assert _count(app, ReportFormat) == 2
    assert _audit(app, "format.remove") == []


def test_removing_a_format_the_report_lacks_is_404(post_form, admin, create_report):
    report = create_report(formats=[ReportFormat(kind=FormatKind.PDF, price_pence=9_900)])
    response = post_form(
        f"/admin/reports/{report.slug}/formats/print/remove",
        {},
        form_page=f"/admin/reports/{report.slug}",
    )
    assert response.status_code == 404


# --- the report PDF --------------------------------------------------------------------------


def _upload(post_form, report, field, data: bytes, filename: str, path: str):
    return post_form(
        f"/admin/reports/{report.slug}/{path}",
        {field: (io.BytesIO(data), filename)},
        form_page=f"/admin/reports/{report.slug}",
        content_type="multipart/form-data",
    )


def test_a_real_pdf_is_stored_under_a_new_key_and_the_old_file_is_kept(
    app, post_form, admin, create_report
):
    report = create_report(with_pdf=True)
    old_key = report.pdf_file_key
    data = _pdf()
    response = _upload(post_form, report, "pdf", data, "../../etc/passwd.pdf", "pdf")
    assert response.status_code == 302
    new_key = stored_report(app, report.slug).pdf_file_key
    assert new_key != old_key
    assert new_key.startswith(f"reports/{report.slug}-") and new_key.endswith(".pdf")
    assert "passwd" not in new_key
    with app.app_context():
        storage = get_storage()
        assert storage.exists(old_key)
        with storage.open(new_key) as stored:  # a clean copy of the upload, page for page
            copy = PdfReader(stored)
            pages = [page.extract_text() for page in copy.pages]
    assert pages == [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    (entry,) = _audit(app, "report.upload_pdf")
    assert entry.before == {"pdf_file_key": old_key}
    assert entry.after == {"pdf_file_key": new_key, "removed": []}


def _junk_pdf() -> bytes:
    # Looks like a PDF for five bytes, then is nothing but noise (no pages, no cross-reference).
    return b"%PDF-1.7\n" + bytes(range(256)) * 40


def _empty_pdf() -> bytes:
    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Just some notes, not a PDF.\n", "The selected file must be a PDF"),
        (_png(), "The selected file must be a PDF"),
        (b"", "Select a PDF file to upload"),
        (_junk_pdf(), "damaged or is not a real PDF"),
        (_pdf()[:400], "damaged or is not a real PDF"),
        (_encrypted_pdf(), "password-protected or encrypted"),
        (_empty_pdf(), "The PDF has no pages"),
    ],
)
def test_files_that_are_not_usable_pdfs_are_refused(
    app, post_form, admin, create_report, data, message
):
    report = create_report()
    files_before = stored_files(app)
    response = _upload(post_form, report, "pdf", data, "report.pdf", "pdf")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert stored_report(app, report.slug).pdf_file_key is None
    assert _count(app, AuditEntry) == 0
    assert stored_files(app) == files_before


def test_a_pdf_over_the_size_limit_is_refused(app, post_form, admin, create_report, monkeypatch):
    report = create_report()
    monkeypatch.setitem(app.config, "MAX_REPORT_PDF_BYTES", 1000)
    response = _upload(post_form, report, "pdf", _pdf(), "report.pdf", "pdf")
    assert "The PDF must be 1,000 bytes or smaller" in response.get_data(as_text=True)
    assert stored_report(app, report.slug).pdf_file_key is None


def test_a_request_with_no_file_part_is_refused(app, post_form, admin, create_report):
    report = create_report()
    response = post_form(
        f"/admin/reports/{report.slug}/pdf", {}, form_page=f"/admin/reports/{report.slug}"
    )
    assert "Select a PDF file to upload" in response.get_data(as_text=True)


def test_an_upload_without_the_csrf_token_is_refused(app, client, admin, create_report):
    report = create_report()
    response = client.post(
        f"/admin/reports/{report.slug}/pdf",
        data={"pdf": (io.BytesIO(_pdf()), "report.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert stored_report(app, report.slug).pdf_file_key is None


def test_the_stored_pdf_is_the_one_downloads_use(app, post_form, admin, create_report):
    report = create_report()
    _upload(post_form, report, "pdf", _pdf(), "anything.pdf", "pdf")
    with app.app_context(), get_storage().open(stored_report(app, report.slug).pdf_file_key) as f:
        assert len(PdfReader(f).pages) == 4


# --- the cover image -------------------------------------------------------------------------


def test_a_png_cover_is_stored_and_served_on_the_admin_page(
    app, client, post_form, admin, create_report
):
    report = create_report()
    data = _png()
    response = _upload(post_form, report, "cover", data, "cover.exe", "cover")
    assert response.status_code == 302
    key = stored_report(app, report.slug).cover_image_key
    assert key.startswith(f"covers/{report.slug}-") and key.endswith(".png")
    page = client.get(f"/admin/reports/{report.slug}").get_data(as_text=True)
    assert f'src="/admin/reports/{report.slug}/cover"' in page
    served = client.get(f"/admin/reports/{report.slug}/cover")
    assert served.status_code == 200
    assert served.mimetype == "image/png" and served.data == data
    (entry,) = _audit(app, "report.upload_cover")
    assert entry.after == {"cover_image_key": key}


def test_a_jpeg_cover_is_stored_as_jpg(app, post_form, admin, create_report):
    report = create_report()
    buffer = io.BytesIO()
    Image.new("RGB", (5, 5), "red").save(buffer, "JPEG")
    _upload(post_form, report, "cover", buffer.getvalue(), "cover.png", "cover")
    assert stored_report(app, report.slug).cover_image_key.endswith(".jpg")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not an image at all", "must be a PNG or JPEG image"),
        (_pdf(), "must be a PNG or JPEG image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "damaged or is not a real PNG or JPEG"),
        (b"\xff\xd8\xff" + b"junk" * 20, "damaged or is not a real PNG or JPEG"),
        (b"", "Select an image file to upload"),
    ],
)
def test_files_that_are_not_images_are_refused_as_covers(
    app, post_form, admin, create_report, data, message
):
    report = create_report()
    files_before = stored_files(app)
    response = _upload(post_form, report, "cover", data, "cover.png", "cover")
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    assert stored_report(app, report.slug).cover_image_key is None
    assert stored_files(app) == files_before
    assert _count(app, AuditEntry) == 0


def test_a_cover_over_the_size_limit_is_refused(app, post_form, admin, create_report, monkeypatch):
    report = create_report()
    monkeypatch.setitem(app.config, "MAX_COVER_IMAGE_BYTES", 50)
    response = _upload(post_form, report, "cover", _png(), "cover.png", "cover")
    assert "The image must be 50 bytes or smaller" in response.get_data(as_text=True)
    assert stored_report(app, report.slug).cover_image_key is None
