"""The report list and a report's page as a visitor without a session sees them are drawn once
per catalogue (the report page per stock state too): each response still has its own nonce and
form token, and the page changes with the catalogue and the stock."""

import re

from flask import template_rendered
from sqlalchemy import update

from portal.catalogue.cache import STOCK_ONLY
from portal.catalogue.models import Report, ReportFormat
from portal.extensions import db
from portal.pricing import FormatKind


def _nonce(response) -> tuple[str, str]:
    """The nonce in the page's script and the one its Content-Security-Policy allows."""
    page = response.get_data(as_text=True)
    in_page = re.search(r'<script[^>]* nonce="([^"]+)"', page).group(1)
    allowed = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    return in_page, allowed


def test_each_visitor_gets_a_nonce_of_their_own(app, create_report):
    create_report(title="Digital by default")
    first = app.test_client().get("/reports")
    second = app.test_client().get("/reports")
    assert first.get_data(as_text=True).count("Digital by default") == 1
    nonce, allowed = _nonce(first)
    other, other_allowed = _nonce(second)
    assert nonce == allowed and other == other_allowed and nonce != other


def test_the_page_follows_the_catalogue(app, create_report):
    report = create_report(title="Old title")
    assert "Old title" in app.test_client().get("/reports").get_data(as_text=True)
    with app.app_context():
        db.session.get(Report, report.id).title = "New title"
        db.session.commit()
    page = app.test_client().get("/reports").get_data(as_text=True)
    assert "New title" in page and "Old title" not in page


def test_a_signed_in_visitor_gets_their_own_page(client, auth, create_user, create_report):
    create_report(title="Digital by default")
    assert "Sign out" not in client.get("/reports").get_data(as_text=True)
    auth.sign_in(create_user().email)
    page = client.get("/reports").get_data(as_text=True)
    assert "Sign out" in page and "Digital by default" in page


def _csrf_token(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))[1]


def test_each_visitor_of_a_report_page_gets_their_own_nonce_and_form_token(app, create_report):
    report = create_report()
    first = app.test_client().get(f"/reports/{report.slug}")
    second = app.test_client().get(f"/reports/{report.slug}")
    nonce, allowed = _nonce(first)
    other, other_allowed = _nonce(second)
    assert nonce == allowed and other == other_allowed and nonce != other
    assert _csrf_token(first) != _csrf_token(second)
    assert "of-this" not in first.get_data(as_text=True)  # no stand-in left behind


def test_the_form_token_of_a_reused_report_page_works(app, create_report):
    report = create_report()
    visitor = app.test_client()
    page = visitor.get(f"/reports/{report.slug}")
    app.test_client().get(f"/reports/{report.slug}")  # another visitor between page and post
    pdf = next(f for f in report.formats if f.kind is FormatKind.PDF)
    added = visitor.post(
        f"/reports/{report.slug}", data={"csrf_token": _csrf_token(page), "format_id": pdf.id}
    )
    assert added.status_code == 302 and added.location.endswith("/basket")
    assert report.title in visitor.get("/basket").get_data(as_text=True)


def test_a_stranger_cannot_post_with_another_visitors_token(app, create_report):
    report = create_report()
    token = _csrf_token(app.test_client().get(f"/reports/{report.slug}"))
    pdf = next(f for f in report.formats if f.kind is FormatKind.PDF)
    refused = app.test_client().post(
        f"/reports/{report.slug}", data={"csrf_token": token, "format_id": pdf.id}
    )
    assert refused.status_code == 400


def test_a_report_page_shows_printed_copies_running_out(app, create_report):
    report = create_report()
    printed = next(f for f in report.formats if f.kind is FormatKind.PRINT)
    assert "out of stock" not in app.test_client().get(f"/reports/{report.slug}").text
    with app.app_context():
        db.session.execute(  # as an order taking the last copies does: the cache is kept
            update(ReportFormat)
            .where(ReportFormat.id == printed.id)
            .values(stock=0)
            .execution_options(**STOCK_ONLY)
        )
        db.session.commit()
    assert "out of stock" in app.test_client().get(f"/reports/{report.slug}").text


def test_a_signed_in_visitor_gets_their_own_report_page(client, auth, create_user, create_report):
    report = create_report()
    assert "Sign out" not in client.get(f"/reports/{report.slug}").text
    auth.sign_in(create_user().email)
    assert "Sign out" in client.get(f"/reports/{report.slug}").text


def test_a_visitor_given_a_form_token_still_sees_the_shared_pages(app, client, create_report):
    """A report page's form gives a visitor a session holding its token: their next pages are
    still the ones kept for every visitor, with that same token."""
    report = create_report()
    app.test_client().get(f"/reports/{report.slug}")  # kept
    app.test_client().get("/reports")
    first = client.get(f"/reports/{report.slug}")
    drawn = []

    def note(sender, template, context, **extra):
        drawn.append(template.name)

    with template_rendered.connected_to(note, app):
        again = client.get(f"/reports/{report.slug}")
        listing = client.get("/reports")
    assert drawn == [] and listing.status_code == 200
    assert _csrf_token(again) == _csrf_token(first)


def test_a_visitor_with_a_basket_gets_their_own_page(app, client, create_report, post_form):
    report = create_report()
    pdf = next(f for f in report.formats if f.kind is FormatKind.PDF)
    post_form(f"/reports/{report.slug}", {"format_id": pdf.id})
    assert "Basket (1" in client.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert "Basket (1" not in app.test_client().get(f"/reports/{report.slug}").get_data(
        as_text=True
    )


def test_the_home_page_is_drawn_once_for_visitors(app, client, auth, create_user, create_report):
    create_report(title="Digital by default")
    app.test_client().get("/")  # kept
    drawn = []

    def note(sender, template, context, **extra):
        drawn.append(template.name)

    with template_rendered.connected_to(note, app):
        visitor = app.test_client().get("/").get_data(as_text=True)
        assert drawn == [] and "Digital by default" in visitor and "Sign out" not in visitor
        auth.sign_in(create_user().email)
        drawn.clear()
        signed_in = client.get("/").get_data(as_text=True)
    assert drawn == ["main/index.html"] and "Sign out" in signed_in
