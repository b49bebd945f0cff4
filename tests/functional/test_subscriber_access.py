"""Subscribers sign in and take reports free; everyone else sees the standard price and why."""

from datetime import date

import pytest
from sqlalchemy import select, text

from portal.catalogue.models import Report
from portal.clock import today_in_london
from portal.extensions import db
from portal.orders.models import Order, OrderState
from tests.helpers import csrf_token

TODAY = today_in_london()
ACTIVE = (date(TODAY.year - 1, 1, 1), date(TODAY.year + 1, 12, 31))
LAPSED = (date(2020, 4, 1), date(2021, 3, 31))


@pytest.fixture
def report(create_report):
    return create_report(title="Channel shift", with_pdf=True)


@pytest.fixture
def subscriber(create_organisation, create_user):
    create_organisation(name="Northmere City Council", domain="northmere.gov.uk", subscribed=ACTIVE)
    return create_user(email="sam@adults.northmere.gov.uk")


def _pdf_line_orders(app):
    with app.app_context():
        return db.session.scalars(select(Order)).all()


def test_a_subscriber_sees_free_prices_and_a_download_button(client, auth, report, subscriber):
    auth.sign_in(subscriber.email)
    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert "Free with your Insight subscription (Northmere City Council)" in page
    assert "Download PDF" in page
    # The printed copy, before anything is ordered: what is left of the allowance.
    assert "1 free copy left for Northmere City Council" in page
    assert "1 of 1 free copy used" not in page
    assert "1 free copy for each subscribing organisation" in page


def test_one_click_records_a_free_order_and_downloads_the_pdf(
    app, client, auth, post_form, report, subscriber
):
    auth.sign_in(subscriber.email)
    response = post_form(
        f"/reports/{report.slug}/download", {}, form_page=f"/reports/{report.slug}"
    )
    assert response.status_code == 302
    with client.get(response.headers["Location"]) as download:
        assert download.status_code == 200
        assert download.mimetype == "application/pdf"
        assert download.data.startswith(b"%PDF")
        assert f"filename={report.slug}-INS-" in download.headers["Content-Disposition"]

    [order] = _pdf_line_orders(app)
    assert order.state is OrderState.FULFILLED and order.total_pence == 0
    assert order.email == subscriber.email

    # A second click downloads the same line again; no second order.
    again = post_form(f"/reports/{report.slug}/download", {}, form_page=f"/reports/{report.slug}")
    assert again.headers["Location"] == response.headers["Location"]
    assert len(_pdf_line_orders(app)) == 1


@pytest.mark.parametrize(
    ("email", "verified", "subscription", "reason"),
    [
        ("jo@eastbridge.gov.uk", True, None, None),
        (
            "sam@northmere.gov.uk",
            False,
            ACTIVE,
            "Verify your email address to get subscriber prices",
        ),
        ("alex@northmere.gov.uk", True, LAPSED, "ended on 31 March 2021"),
    ],
)
def test_others_see_the_standard_price_and_why(
    app,
    client,
    auth,
    post_form,
    report,
    create_organisation,
    create_user,
    email,
    verified,
    subscription,
    reason,
):
    if subscription:
        create_organisation(domain="northmere.gov.uk", subscribed=subscription)
    user = create_user(email=email, verified=verified)
    auth.sign_in(user.email)
    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert "£145.00" in page
    assert "Download PDF" not in page
    if reason:
        assert reason in page

    refused = post_form(f"/reports/{report.slug}/download", {}, form_page=f"/reports/{report.slug}")
    assert refused.headers["Location"] == f"/reports/{report.slug}"
    assert _pdf_line_orders(app) == []


def test_guests_are_asked_to_sign_in(client, report):
    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert "Sign in" in page and "Download PDF" not in page
    assert client.post(f"/reports/{report.slug}/download").status_code == 400  # no CSRF token


def test_nobody_downloads_someone_elses_line(
    client, auth, post_form, report, subscriber, create_user
):
    auth.sign_in(subscriber.email)
    location = post_form(
        f"/reports/{report.slug}/download", {}, form_page=f"/reports/{report.slug}"
    ).headers["Location"]
    auth.sign_out()
    assert client.get(location).status_code == 302  # to sign in
    other = create_user()
    auth.sign_in(other.email)
    assert client.get(location).status_code == 404
    assert client.get("/downloads/999999").status_code == 404


def test_administrators_may_download_any_line(
    client, auth, post_form, report, subscriber, create_user
):
    auth.sign_in(subscriber.email)
    location = post_form(
        f"/reports/{report.slug}/download", {}, form_page=f"/reports/{report.slug}"
    ).headers["Location"]
    auth.sign_out()
    auth.sign_in(create_user(is_admin=True).email)
    with client.get(location) as download:
        assert download.status_code == 200


def test_account_page_shows_the_subscription(client, auth, subscriber):
    auth.sign_in(subscriber.email)
    page = client.get("/account").get_data(as_text=True)
    assert "Northmere City Council subscribes to Insight until" in page


def test_a_report_withdrawn_while_it_is_taken_is_not_recorded(
    app, client, auth, post_form, report, subscriber, monkeypatch
):
    """Withdrawn between the page reading the report and the order being placed: placing the
    order refuses it, and the person gets a 404, not an error."""
    from portal.catalogue import services as catalogue

    auth.sign_in(subscriber.email)
    token = csrf_token(client, f"/reports/{report.slug}")
    with app.app_context():
        db.session.execute(
            text("UPDATE reports SET is_published = false WHERE id = :id"), {"id": report.id}
        )
        db.session.commit()
    monkeypatch.setattr(
        catalogue,
        "published_report",
        lambda slug: db.session.scalar(select(Report).where(Report.slug == slug)),
    )
    response = client.post(f"/reports/{report.slug}/download", data={"csrf_token": token})
    assert response.status_code == 404
    assert _pdf_line_orders(app) == []
