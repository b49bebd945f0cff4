"""A report page drawn for a signed-in person is kept and shared with everyone it would be drawn the
same for (the same prices and reasons, stock, header): never with anyone it would differ for, and
each response carries its own person's form token and nonce."""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import template_rendered

from portal.catalogue import views
from portal.catalogue.models import FormatKind, ReportFormat
from portal.clock import today_in_london
from tests.helpers import TEST_PASSWORD, TWO_FACTOR_PATH, complete_two_factor, csrf_token

PAGE = "catalogue/report_detail.html"


@pytest.fixture
def report(create_report):
    return create_report(
        slug="shared-page",
        formats=[
            ReportFormat(kind=FormatKind.PDF, price_pence=14_500, subscriber_price_pence=0),
            ReportFormat(kind=FormatKind.PRINT, price_pence=9_500, stock=10),
        ],
    )


@pytest.fixture
def subscribing(create_organisation):
    today = today_in_london()
    return create_organisation(
        domain="sharedcouncil.gov.uk",
        subscribed=(today - timedelta(days=30), today + timedelta(days=30)),
    )


@pytest.fixture
def person(app, create_user):
    """A new browser signed in as a new person with this address (``is_admin`` as asked)."""

    def sign_in(email: str, **overrides):
        create_user(email=email, **overrides)
        browser = app.test_client()
        token = csrf_token(browser, "/sign-in")
        answer = browser.post(
            "/sign-in", data={"csrf_token": token, "email": email, "password": TEST_PASSWORD}
        )
        if answer.headers.get("Location") == TWO_FACTOR_PATH:
            answer = complete_two_factor(browser, email)
        assert answer.status_code == 302
        browser.get(answer.headers["Location"])  # where any message of signing in is shown
        return browser

    return sign_in


@contextmanager
def drawn(app):
    """The report pages drawn meanwhile."""
    pages = []

    def note(sender, template, context, **extra):
        if template.name == PAGE:
            pages.append(context["person"])

    template_rendered.connect(note, app)
    try:
        yield pages
    finally:
        template_rendered.disconnect(note, app)


def _view(browser, report):
    answer = browser.get(f"/reports/{report.slug}")
    assert answer.status_code == 200
    return answer


def _form_token(answer) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', answer.get_data(as_text=True))[1]


def _nonce(answer) -> str:
    return re.search(r'<script[^>]* nonce="([^"]+)"', answer.get_data(as_text=True))[1]


def test_colleagues_share_one_drawing_each_with_their_own_token(app, person, report, subscribing):
    first = person("ana@sharedcouncil.gov.uk")
    second = person("ben@sharedcouncil.gov.uk")
    with drawn(app) as pages:
        one, other = _view(first, report), _view(second, report)
    assert len(pages) == 1
    assert one.get_data(as_text=True).count("Free with your Insight subscription") >= 1
    assert _form_token(one) != _form_token(other) and _nonce(one) != _nonce(other)
    # The token in the shared page is the second person's own: their form is accepted.
    printed = next(f for f in report.formats if f.kind is FormatKind.PRINT)
    added = second.post(
        f"/reports/{report.slug}",
        data={"csrf_token": _form_token(other), "format_id": printed.id, "quantity": "1"},
    )
    assert added.status_code == 302 and added.headers["Location"].endswith("/basket")


@pytest.mark.parametrize(
    ("email", "overrides"),
    [
        ("cara@elsewhere.gov.uk", {}),  # standard prices
        ("dan@sharedcouncil.gov.uk", {"is_admin": True}),  # the header shows Administration
        ("eve@sharedcouncil.gov.uk", {"verified": False}),  # asked to verify
    ],
)
def test_anyone_it_would_differ_for_gets_their_own(
    app, person, report, subscribing, email, overrides
):
    _view(person("ana@sharedcouncil.gov.uk"), report)
    with drawn(app) as pages:
        page = _view(person(email, **overrides), report).get_data(as_text=True)
    assert len(pages) == 1
    assert ("Administration" in page) is bool(overrides.get("is_admin"))


def test_the_basket_count_in_the_header_is_the_persons_own(app, person, report, subscribing):
    ana, ben = person("ana@sharedcouncil.gov.uk"), person("ben@sharedcouncil.gov.uk")
    _view(ben, report)
    pdf = next(f for f in report.formats if f.kind is FormatKind.PDF)
    page = _view(ana, report)
    added = ana.post(
        f"/reports/{report.slug}", data={"csrf_token": _form_token(page), "format_id": pdf.id}
    )
    ana.get(added.headers["Location"])  # the basket, saying what was added
    assert "Basket (1" in _view(ana, report).get_data(as_text=True)
    assert "Basket (1" not in _view(ben, report).get_data(as_text=True)


def test_a_process_keeps_a_bounded_number(app, person, report, subscribing, monkeypatch):
    monkeypatch.setattr(views, "SIGNED_IN_PAGES_KEPT", 1)
    _view(person("ana@sharedcouncil.gov.uk"), report)  # kept
    outsider = person("cara@elsewhere.gov.uk")
    with drawn(app) as pages:
        _view(outsider, report)
        _view(outsider, report)
    assert len(pages) == 2  # not kept: drawn each time


def test_a_message_waiting_for_the_person_is_shown(app, person, report, subscribing):
    ana = person("ana@sharedcouncil.gov.uk")
    pdf = next(f for f in report.formats if f.kind is FormatKind.PDF)
    page = _view(ana, report)
    ana.post(f"/reports/{report.slug}", data={"csrf_token": _form_token(page), "format_id": pdf.id})
    # The answer's redirect not followed: the message waits for the next page, this one.
    assert "added to your basket" in _view(ana, report).get_data(as_text=True)
    assert "added to your basket" not in _view(ana, report).get_data(as_text=True)
