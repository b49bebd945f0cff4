"""Administrators file reports under topics they manage, and give reports their authors, ISBN
and edition, which the report page shows."""

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.catalogue.isbn import NOT_AN_ISBN, WRONG_CHECK_DIGIT, IsbnRefused, parse_isbn
from portal.catalogue.models import Report, ReportFormat, Topic
from portal.extensions import db
from portal.pricing import FormatKind
from tests.catalogue.report_form import REPORT_FORM


def _topics(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Topic.name).order_by(Topic.name)))


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def _report(app, slug) -> Report:
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.slug == slug))
        report.topics  # noqa: B018 (loaded while the session is open)
        return report


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("978-1-4028-9462-6", "9781402894626"),
        ("9781402894626", "9781402894626"),
        (" 978 1 4028 9462 6 ", "9781402894626"),
        ("1-4028-9462-7", "9781402894626"),  # an ISBN-10 becomes its ISBN-13
        ("979-10-90636-07-1", "9791090636071"),
    ],
)
def test_isbns_are_kept_as_thirteen_digits(typed, kept):
    assert parse_isbn(typed) == kept


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("978-1-4028-9462-5", WRONG_CHECK_DIGIT),
        ("1-4028-9462-8", WRONG_CHECK_DIGIT),
        ("978-1-4028-9462", NOT_AN_ISBN),
        ("97814028946261", NOT_AN_ISBN),
        ("ISBN nine seven eight", NOT_AN_ISBN),
        ("", NOT_AN_ISBN),
    ],
)
def test_bad_isbns_are_refused_with_the_reason(typed, message):
    with pytest.raises(IsbnRefused, match=message):
        parse_isbn(typed)


def test_adding_renaming_and_removing_topics(app, client, post_form, admin, create_report):
    assert post_form("/admin/topics", {"name": "  Health   and care "}).status_code == 302
    assert _topics(app) == ["Health and care"]
    with app.app_context():
        topic = db.session.scalar(select(Topic))
        assert topic.slug == "health-and-care"
        topic_id = topic.id
    report = create_report(slug="care", topics=[topic])

    post_form(
        f"/admin/topics/{topic_id}/rename", {"name": "Social care"}, form_page="/admin/topics"
    )
    assert _topics(app) == ["Social care"]
    assert [t.slug for t in _report(app, "care").topics] == ["social-care"]
    page = client.get("/admin/topics").get_data(as_text=True)
    assert "Social care" in page and "1 report" in page

    post_form(f"/admin/topics/{topic_id}/remove", {}, form_page="/admin/topics")
    assert _topics(app) == []
    assert _report(app, report.slug).topics == []  # the report stays, filed under nothing
    assert _actions(app) == ["topic.create", "topic.rename", "topic.remove"]


def test_a_topic_with_the_longest_name_is_added_and_logged(app, post_form, admin):
    """Its address name runs to 80 characters: the audit entry names the topic by its id, which
    always fits the log's target column (PostgreSQL refuses a longer value)."""
    name = "é" * 80
    assert post_form("/admin/topics", {"name": name}).status_code == 302
    assert _topics(app) == [name]
    assert _actions(app) == ["topic.create"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter the topic&#39;s name"),
        ("x" * 81, "80 characters or fewer"),
        ("!!!", "must have letters or numbers"),
        ("housing", "There is already a topic called Housing"),
        ("Housing!", "There is already a topic called Housing"),
    ],
)
def test_bad_topic_names_are_refused_and_change_nothing(app, post_form, admin, name, message):
    post_form("/admin/topics", {"name": "Housing"})
    response = post_form("/admin/topics", {"name": name})
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert _topics(app) == ["Housing"]
    assert _actions(app) == ["topic.create"]


def test_unknown_topics_are_404(client, admin, post_form):
    assert post_form("/admin/topics/999/remove", {}, form_page="/admin/topics").status_code == 404


def test_a_report_gets_authors_isbn_edition_and_topics(
    app, client, post_form, admin, create_report
):
    # A printed copy needs no file, so the report can be published as it is saved.
    slug = create_report(
        is_published=False,
        formats=[ReportFormat(kind=FormatKind.PRINT, price_pence=17_500, stock=5)],
    ).slug
    post_form("/admin/topics", {"name": "Housing"})
    post_form("/admin/topics", {"name": "Security"})
    with app.app_context():
        housing = db.session.scalar(select(Topic).where(Topic.name == "Housing"))
    form = {
        **REPORT_FORM,
        "slug": slug,
        "is_published": "y",
        "authors": "Priya Shah and Tom Evans",
        "isbn": "978-1-4028-9462-6",
        "edition": "Second edition, revised March 2025",
        "topic_ids": [str(housing.id)],
    }
    assert post_form(f"/admin/reports/{slug}/edit", form).status_code == 302

    report = _report(app, slug)
    assert report.authors == "Priya Shah and Tom Evans"
    assert report.isbn == "9781402894626"
    assert report.edition == "Second edition, revised March 2025"
    assert [t.name for t in report.topics] == ["Housing"]
    page = client.get(f"/reports/{slug}").get_data(as_text=True)
    assert "By Priya Shah and Tom Evans" in page
    assert "Second edition, revised March 2025" in page
    assert "ISBN 978-1-4028-9462-6" in page
    detail = client.get(f"/admin/reports/{slug}").get_data(as_text=True)
    assert "978-1-4028-9462-6" in detail and "Housing" in detail
    edit = client.get(f"/admin/reports/{slug}/edit").get_data(as_text=True)
    assert f'value="{housing.id}" checked' in edit


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"isbn": "978-1-4028-9462-5"}, "does not match the others"),
        ({"isbn": "12345"}, "Enter an ISBN of 13 digits"),
        ({"authors": "x" * 501}, "500 characters or fewer"),
        ({"topic_ids": ["999"]}, "one of those chosen has been removed"),
        ({"topic_ids": ["x"]}, "Invalid choice"),
    ],
)
def test_bad_report_facts_are_refused_and_change_nothing(app, post_form, admin, changes, message):
    response = post_form("/admin/reports/new", {**REPORT_FORM, **changes})
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    with app.app_context():
        assert db.session.scalar(select(Report)) is None
