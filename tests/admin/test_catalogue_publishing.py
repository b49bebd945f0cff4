"""Editing the catalogue cannot trap an administrator or a buyer: the web address name is made
from the title when left empty, a report is published only with something to buy, and a summary
keeps its paragraphs whatever line endings the browser sent."""

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.catalogue.admin_services import slug_from_title
from portal.catalogue.models import Report, ReportFormat, paragraphs
from portal.extensions import db
from portal.pricing import FormatKind
from tests.catalogue.report_form import REPORT_FORM
from tests.helpers import stored_report

NO_FORMATS = "A report with no formats cannot be published"
NO_PDF_FILE = "A report sold as a PDF cannot be published before its PDF is uploaded"


def _audited(app, action) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


# --- the web address name --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Digital by default", "digital-by-default"),
        (
            "Modern public services: transformation in practice",
            "modern-public-services-transformation-in-practice",
        ),
        (
            "  Łódź & Ystradgynlais — caf\u00e9\u2019s 2026 review!  ",
            "lodz-ystradgynlais-cafes-2026-review",
        ),
        ("!!!", "report"),
        ("word " * 40, ("word-" * 24)[:119]),
    ],
)
def test_a_slug_is_made_from_the_title(title, slug):
    assert slug_from_title(title) == slug


def test_a_new_report_with_no_slug_gets_one_from_its_title_and_a_number_if_taken(
    app, post_form, admin, create_report
):
    create_report(slug="digital-by-default")
    response = post_form("/admin/reports/new", {**REPORT_FORM, "slug": ""})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/reports/digital-by-default-2")
    assert stored_report(app, "digital-by-default-2").title == "Digital by default"


def test_an_emptied_slug_is_made_again_from_the_edited_title(app, post_form, admin, create_report):
    report = create_report(slug="old-name")
    response = post_form(
        f"/admin/reports/{report.slug}/edit",
        {**REPORT_FORM, "title": "Channel shift in 2026", "slug": ""},
    )
    assert response.headers["Location"].endswith("/admin/reports/channel-shift-in-2026")
    assert stored_report(app, "old-name") is None


def test_the_form_says_the_slug_may_be_left_empty(client, admin):
    page = client.get("/admin/reports/new").get_data(as_text=True)
    assert "Web address name (optional)" in page and "make it from the title" in page


# --- publishing needs something to buy -------------------------------------------------------


def test_a_new_report_cannot_be_published_before_it_has_a_format(app, post_form, admin):
    response = post_form("/admin/reports/new", {**REPORT_FORM, "is_published": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and NO_FORMATS in page
    assert stored_report(app, "digital-by-default") is None
    assert _audited(app, "report.create") == []


@pytest.mark.parametrize(
    ("kinds", "with_pdf", "refusal"),
    [
        ((), False, NO_FORMATS),
        ((FormatKind.PDF,), False, NO_PDF_FILE),
        ((FormatKind.PDF, FormatKind.PRINT), False, NO_PDF_FILE),
        ((FormatKind.PDF,), True, None),
        ((FormatKind.PRINT,), False, None),
    ],
)
def test_publishing_needs_a_format_and_a_pdf_format_needs_its_file(
    app, post_form, admin, create_report, kinds, with_pdf, refusal
):
    formats = [ReportFormat(kind=kind, price_pence=14_500, stock=5) for kind in kinds]
    report = create_report(is_published=False, formats=formats, with_pdf=with_pdf)
    if not kinds:  # the factory gives both formats unless given some
        with app.app_context():
            stored = db.session.get(Report, report.id)
            stored.formats = []
            db.session.commit()
    response = post_form(
        f"/admin/reports/{report.slug}/edit",
        {**REPORT_FORM, "slug": report.slug, "is_published": "y"},
    )
    after = stored_report(app, report.slug)
    if refusal is None:
        assert response.status_code == 302 and after.is_published is True
    else:
        page = response.get_data(as_text=True)
        assert refusal in page and "There is a problem" in page
        assert after.is_published is False and after.title == report.title
        assert _audited(app, "report.update") == []


def test_the_admin_page_of_a_report_says_why_it_cannot_be_published(client, admin, create_report):
    report = create_report(is_published=False)
    page = client.get(f"/admin/reports/{report.slug}").get_data(as_text=True)
    assert NO_PDF_FILE in page


def test_the_only_format_of_a_published_report_cannot_be_removed(
    app, post_form, admin, create_report
):
    report = create_report(formats=[ReportFormat(kind=FormatKind.PRINT, price_pence=1, stock=1)])
    response = post_form(
        f"/admin/reports/{report.slug}/formats/print/remove",
        {},
        form_page=f"/admin/reports/{report.slug}",
        follow_redirects=True,
    )
    assert "is the only one of a published report" in response.get_data(as_text=True)
    assert len(stored_report(app, report.slug).formats) == 1


# --- paragraphs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("One.\n\nTwo.", ["One.", "Two."]),
        ("One.\r\n\r\nTwo.", ["One.", "Two."]),
        ("One.\r\rTwo.", ["One.", "Two."]),
        ("One.\r\n \r\nTwo.\r\n\r\n\r\nThree.", ["One.", "Two.", "Three."]),
        ("One line\r\nand its next line.", ["One line\nand its next line."]),
        ("", []),
    ],
)
def test_paragraphs_survive_every_line_ending(typed, expected):
    assert paragraphs(typed) == expected


@pytest.mark.parametrize("break_", ["\r\n", "\r", "\n"])
def test_a_summary_typed_in_a_browser_keeps_its_paragraphs(
    app, client, post_form, admin, create_report, break_
):
    report = create_report(with_pdf=True)
    summary = f"First paragraph.{break_}{break_}Second paragraph."
    response = post_form(
        f"/admin/reports/{report.slug}/edit",
        {**REPORT_FORM, "slug": report.slug, "summary": summary, "is_published": "y"},
    )
    assert response.status_code == 302
    assert stored_report(app, report.slug).summary == "First paragraph.\n\nSecond paragraph."
    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert '<p class="govuk-body-l">First paragraph.</p>' in page
    assert '<p class="govuk-body">Second paragraph.</p>' in page
