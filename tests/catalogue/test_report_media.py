"""What a report page offers before anyone buys: the cover, drawn in sizes for the list and the
page; a free sample of the first pages, for anyone; the PDF's page count and size; the licence
terms beside the price."""

import io

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.catalogue.covers import COVER_WIDTHS, MAX_COVER_PIXELS, cover_size_key
from portal.catalogue.models import file_size
from portal.demo.sample_pdf import sample_report_pdf
from portal.downloads.models import Download
from portal.extensions import db
from portal.storage import get_storage
from tests.catalogue.report_form import REPORT_FORM
from tests.helpers import stored_files, stored_report

CHAPTERS = [f"Chapter {n}" for n in range(1, 9)]  # a cover, contents and 8 pages: 10 pages


def _png(size, mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "navy" if mode == "RGB" else 0).save(buffer, "PNG")
    return buffer.getvalue()


def _upload(post_form, slug, field, data: bytes, path: str):
    return post_form(
        f"/admin/reports/{slug}/{path}",
        {field: (io.BytesIO(data), f"upload.{field}")},
        form_page=f"/admin/reports/{slug}",
        content_type="multipart/form-data",
    )


@pytest.fixture
def visitor(app):
    """Someone with no account and no session."""
    return app.test_client()


# --- covers ---------------------------------------------------------------------------------


def test_a_cover_is_drawn_in_every_width_and_shown_with_srcset_and_alt_text(
    app, post_form, admin, create_report, visitor
):
    report = create_report(title="Channel shift")
    assert _upload(post_form, report.slug, "cover", _png((1200, 1700)), "cover").status_code == 302
    key = stored_report(app, report.slug).cover_image_key
    with app.app_context():
        for width in COVER_WIDTHS:
            with get_storage().open(cover_size_key(key, width)) as drawn:
                image = Image.open(drawn)
                assert image.format == "JPEG"
                assert image.size == (width, round(1700 * width / 1200))
    for width in COVER_WIDTHS:
        served = visitor.get(f"/reports/{report.slug}/cover-{width}.jpg")
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert Image.open(io.BytesIO(served.data)).width == width
    assert visitor.get(f"/reports/{report.slug}/cover-999.jpg").status_code == 404

    page = visitor.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert f"/reports/{report.slug}/cover-240.jpg 240w" in page
    assert f"/reports/{report.slug}/cover-480.jpg 480w" in page
    assert 'alt="Cover of Channel shift"' in page
    listing = visitor.get("/reports").get_data(as_text=True)
    assert f"/reports/{report.slug}/cover-120.jpg 120w" in listing
    assert 'alt="Cover of Channel shift"' in listing


def test_a_small_cover_is_never_enlarged(app, post_form, admin, create_report):
    report = create_report()
    _upload(post_form, report.slug, "cover", _png((100, 141)), "cover")
    key = stored_report(app, report.slug).cover_image_key
    with app.app_context(), get_storage().open(cover_size_key(key, 480)) as drawn:
        assert Image.open(drawn).size == (100, 141)


def test_reports_without_a_cover_show_no_image(create_report, visitor):
    report = create_report()
    assert "<img" not in visitor.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert visitor.get(f"/reports/{report.slug}/cover-240.jpg").status_code == 404


def test_a_40_megapixel_cover_is_refused_before_it_is_decoded(
    app, post_form, admin, create_report, monkeypatch
):
    report = create_report()
    huge = _png((8000, 5000), mode="L")  # 40 megapixels, a small file: it compresses well
    assert MAX_COVER_PIXELS < 8000 * 5000
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self) or None)
    files_before = stored_files(app)
    response = _upload(post_form, report.slug, "cover", huge, "cover")
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "8,000 by 5,000 pixels (40 megapixels)" in page
    assert "a cover may have 20 megapixels at most" in page
    assert decoded == []  # only the header was read
    assert stored_report(app, report.slug).cover_image_key is None
    assert stored_files(app) == files_before


# --- the sample, the page count and the size -------------------------------------------------


def _with_uploaded_pdf(app, post_form, create_report, **overrides):
    report = create_report(**overrides)
    data = sample_report_pdf(report.title, "Series", CHAPTERS)
    assert _upload(post_form, report.slug, "pdf", data, "pdf").status_code == 302
    return stored_report(app, report.slug)


def test_an_uploaded_pdf_gives_its_page_count_size_and_a_sample_anyone_may_download(
    app, post_form, admin, create_report, visitor
):
    report = _with_uploaded_pdf(app, post_form, create_report, title="Channel shift")
    with app.app_context():
        size = get_storage().size(report.pdf_file_key)
    assert (report.page_count, report.pdf_size_bytes) == (10, size)
    assert report.sample_file_key.endswith("-first-5.pdf")

    page = visitor.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert f"PDF, 10 pages, {file_size(size)}" in page
    assert f'href="/reports/{report.slug}/sample.pdf"' in page and "Download a free sample" in page
    assert "the first 5 pages as a PDF, no account needed" in page

    with app.app_context():
        downloads_before = db.session.scalar(select(func.count()).select_from(Download))
    with visitor.get(f"/reports/{report.slug}/sample.pdf") as response:
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        sample = PdfReader(io.BytesIO(response.data))
    assert len(sample.pages) == 5
    assert "Chapter 3" in sample.pages[4].extract_text()
    assert all(
        "Sample: the first 5 pages of Channel shift" in p.extract_text() for p in sample.pages
    )
    with app.app_context():  # samples are not counted
        assert db.session.scalar(select(func.count()).select_from(Download)) == downloads_before


def test_a_new_number_of_sample_pages_cuts_the_sample_again(
    app, client, post_form, admin, create_report, visitor
):
    report = _with_uploaded_pdf(app, post_form, create_report)
    response = post_form(
        f"/admin/reports/{report.slug}/edit",
        {**REPORT_FORM, "slug": report.slug, "sample_pages": "3", "is_published": "y"},
    )
    assert response.status_code == 302
    edited = stored_report(app, report.slug)
    assert edited.sample_pages == 3 and edited.sample_file_key.endswith("-first-3.pdf")
    with visitor.get(f"/reports/{report.slug}/sample.pdf") as sample:
        assert len(PdfReader(io.BytesIO(sample.data)).pages) == 3


def test_a_new_pdf_gets_a_new_sample(app, post_form, admin, create_report):
    report = _with_uploaded_pdf(app, post_form, create_report)
    first = report.sample_file_key
    data = sample_report_pdf(report.title, "Series", ["Only chapter"])
    _upload(post_form, report.slug, "pdf", data, "pdf")
    again = stored_report(app, report.slug)
    assert again.sample_file_key != first and again.page_count == 3
    with app.app_context(), get_storage().open(again.sample_file_key) as sample:
        assert len(PdfReader(sample).pages) == 3  # fewer pages than asked: all of them
        assert "the first 3 pages" in PdfReader(sample).pages[0].extract_text()


@pytest.mark.parametrize("pages", ["0", "51", "five", ""])
def test_a_bad_number_of_sample_pages_is_refused(app, post_form, admin, create_report, pages):
    report = create_report()
    response = post_form(
        f"/admin/reports/{report.slug}/edit",
        {**REPORT_FORM, "slug": report.slug, "sample_pages": pages},
    )
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "ample pages" in page
    assert stored_report(app, report.slug).sample_pages == 5


def test_a_pdf_whose_pages_cannot_be_cut_is_sold_without_a_sample_and_the_admin_is_told(
    app, client, post_form, admin, create_report, visitor
):
    report = create_report(with_pdf=True, title="Damaged")
    with app.app_context():  # the stored file went bad after it was checked
        get_storage().save(report.pdf_file_key, b"%PDF-1.7\nnot really a PDF")
    response = post_form(
        f"/admin/reports/{report.slug}/edit",
        {**REPORT_FORM, "slug": report.slug, "sample_pages": "4", "is_published": "y"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "The sample pages could not be cut from this PDF" in page
    assert "its pages could not be cut from the PDF" in page  # the report's own page says so
    saved = stored_report(app, report.slug)
    assert (saved.is_published, saved.sample_pages, saved.sample_file_key) == (True, 4, None)
    public = visitor.get(f"/reports/{report.slug}")
    assert public.status_code == 200 and "free sample" not in public.get_data(as_text=True)
    assert visitor.get(f"/reports/{report.slug}/sample.pdf").status_code == 404


def test_the_licence_terms_are_linked_beside_the_price(create_report, visitor):
    report = create_report()
    page = visitor.get(f"/reports/{report.slug}").get_data(as_text=True)
    prices, order = page.index("Formats and prices"), page.index('id="order"')
    assert 'href="/licence"' in page[prices:order] and "licence terms" in page[prices:order]


@pytest.mark.parametrize(
    ("size", "words"),
    [(1, "1 KB"), (850_400, "850 KB"), (999_999, "1,000 KB"), (1_234_567, "1.2 MB")],
)
def test_file_sizes_read_as_people_expect(size, words):
    assert file_size(size) == words


def test_the_admin_page_says_how_long_the_sample_is(app, client, post_form, admin, create_report):
    report = _with_uploaded_pdf(app, post_form, create_report)
    page = client.get(f"/admin/reports/{report.slug}").get_data(as_text=True)
    assert "The first 5 pages, stamped “Sample”" in page
    assert "10 pages, " in page
