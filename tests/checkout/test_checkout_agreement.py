"""The agreement at checkout: the review step names the terms of sale and the PDF licence in
force, and the order records the versions its buyer accepted; a version published later changes
nothing for orders already placed, and one published while the buyer reads refuses the order
until they have seen it."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.clock import today_in_london
from portal.content import services as content
from portal.content.pages import ContentPage
from portal.extensions import db
from portal.orders.models import Order
from portal.pricing import FormatKind
from tests.helpers import ADDRESS, GUEST, PO_TO_FOLLOW

_ACCEPTED = re.compile(r'name="(accepted_[a-z]+)" value="([^"]*)"')
TODAY = today_in_london()


@pytest.fixture
def report(create_report):
    return create_report(title="Transformation in practice", with_pdf=True)


@pytest.fixture
def terms_and_licence(publish_page):
    """Version 1 of the terms of sale and of the licence."""
    return {
        ContentPage.TERMS: publish_page(ContentPage.TERMS, body="Terms, first version."),
        ContentPage.LICENCE: publish_page(ContentPage.LICENCE, body="Licence, first version."),
    }


@pytest.fixture
def review(client, post_form, report):
    """Put a printed copy in the basket as a guest, give details and choose to pay on invoice;
    returns a function that opens the review page and gives its text and its hidden fields."""
    printed = next(f.id for f in report.formats if f.kind is FormatKind.PRINT)
    post_form(f"/reports/{report.slug}", {"format_id": str(printed), "quantity": "1"})
    post_form("/checkout", {**GUEST, **ADDRESS})
    post_form("/checkout/payment", {"method": "invoice", **PO_TO_FOLLOW})

    def open_page() -> tuple[str, dict[str, str]]:
        page = client.get("/checkout/review").get_data(as_text=True)
        return page, dict(_ACCEPTED.findall(page))

    return open_page


def _agreed(app, reference: str | None = None) -> list[tuple[str, int]]:
    """The (page, version number) pairs the order (the newest, unless named) recorded."""
    with app.app_context():
        query = select(Order.id).order_by(Order.id.desc()).limit(1)
        if reference:
            query = select(Order.id).where(Order.reference == reference)
        order_id = db.session.scalar(query)
        return [(a.version.page.value, a.version.number) for a in content.agreements_of(order_id)]


def _order_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def test_the_review_names_the_terms_and_licence_and_the_order_records_them(
    app, client, post_form, review, terms_and_licence, create_user, auth
):
    page, hidden = review()
    assert 'href="/terms">terms of sale</a>' in page and 'href="/licence">PDF licence</a>' in page
    assert "version 1" in page and "licensed to you alone" in page
    terms, licence = terms_and_licence[ContentPage.TERMS], terms_and_licence[ContentPage.LICENCE]
    assert hidden == {"accepted_terms": str(terms.id), "accepted_licence": str(licence.id)}

    placed = post_form("/checkout/review", hidden)  # the form as the browser sends it
    assert placed.status_code == 302
    reference = placed.headers["Location"].rsplit("/", 1)[1]
    assert _agreed(app, reference) == [("terms", 1), ("licence", 1)]

    auth.sign_in(create_user(is_admin=True).email)
    order_page = client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    assert "Terms accepted" in order_page
    assert 'href="/admin/pages/terms/versions/1">Terms of sale, version 1</a>' in order_page
    assert 'href="/admin/pages/licence/versions/1">PDF licence, version 1</a>' in order_page


def test_a_new_version_changes_nothing_for_orders_already_placed(
    app, post_form, review, terms_and_licence, publish_page
):
    _, hidden = review()
    first = post_form("/checkout/review", hidden).headers["Location"].rsplit("/", 1)[1]
    publish_page(ContentPage.TERMS, body="Terms, second version.")
    assert _agreed(app, first) == [("terms", 1), ("licence", 1)]


def test_terms_published_while_the_buyer_reads_refuse_the_order_until_read(
    app, post_form, review, terms_and_licence, publish_page
):
    _, read = review()
    publish_page(ContentPage.TERMS, body="Terms, second version.")
    refused = post_form("/checkout/review", read)
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "Our terms of sale changed while you were checking your order" in text
    assert "Read version 2" in text and 'href="#agreement"' in text
    assert _order_count(app) == 0

    _, now_shown = review()  # the page the buyer is shown again names version 2
    assert post_form("/checkout/review", now_shown).status_code == 302
    assert _agreed(app) == [("terms", 2), ("licence", 1)]


@pytest.mark.parametrize("value", ["abc", "", "0", "1e3"])
def test_a_version_field_that_is_not_the_one_in_force_places_nothing(
    app, post_form, review, terms_and_licence, value
):
    _, hidden = review()
    refused = post_form("/checkout/review", {**hidden, "accepted_licence": value})
    assert refused.status_code == 409 and _order_count(app) == 0


def test_a_form_without_the_fields_accepts_the_versions_in_force(
    app, post_form, review, terms_and_licence
):
    review()
    assert post_form("/checkout/review", {}).status_code == 302
    assert _agreed(app) == [("terms", 1), ("licence", 1)]


def test_before_any_terms_are_published_the_order_records_none(app, post_form, review):
    page, hidden = review()
    assert hidden == {} and 'id="agreement"' not in page
    assert post_form("/checkout/review", hidden).status_code == 302
    assert _agreed(app) == []


def test_a_subscribers_one_click_pdf_records_the_licence_in_force(
    app, client, post_form, auth, create_organisation, create_user, report, publish_page
):
    publish_page(ContentPage.LICENCE, body="Licence.")
    publish_page(ContentPage.TERMS, body="Terms.")
    create_organisation(
        domain="northmere.gov.uk",
        subscribed=(date(TODAY.year - 1, 1, 1), date(TODAY.year + 1, 12, 31)),
    )
    auth.sign_in(create_user(email="sam@northmere.gov.uk").email)
    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert 'href="/licence">PDF licence</a>' in page
    taken = post_form(f"/reports/{report.slug}/download", {}, form_page=f"/reports/{report.slug}")
    assert taken.status_code == 302
    assert _agreed(app) == [("licence", 1)]
