"""The report list as a visitor without a session sees it is drawn once per catalogue: each
response still has its own nonce, and the page changes with the catalogue."""

import re

from portal.catalogue.models import Report
from portal.extensions import db


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
