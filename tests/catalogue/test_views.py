"""The public catalogue: what is listed, what a report page shows, and what is never shown."""

import pytest

from portal.catalogue.models import ReportFormat
from portal.pricing import FormatKind


def test_list_shows_published_reports_with_prices(client, create_report):
    create_report(title="Digital by default", slug="digital-by-default")
    create_report(title="Hidden draft", slug="hidden-draft", is_published=False)

    page = client.get("/reports").get_data(as_text=True)

    assert "Digital by default" in page
    assert 'href="/reports/digital-by-default"' in page
    assert "£145.00" in page and "£175.00" in page
    assert "Hidden draft" not in page


def test_list_without_reports_says_so(client):
    page = client.get("/reports").get_data(as_text=True)
    assert "There are no reports to order at the moment" in page


def test_report_page_shows_the_report(client, create_report):
    report = create_report(
        title="Channel shift",
        series="Modern public services",
        summary="First paragraph here.\n\nSecond paragraph there.",
        contents="Leadership\nCase studies",
    )

    response = client.get(f"/reports/{report.slug}")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<h1" in page and "Channel shift" in page
    assert "Modern public services" in page
    assert "Published 14 February 2006" in page
    assert "First paragraph here." in page and "Second paragraph there." in page
    assert "<li>Leadership</li>" in page and "<li>Case studies</li>" in page
    assert "PDF download" in page and "Printed copy" in page
    assert "£145.00" in page and "£175.00" in page
    assert "Free for Insight subscribers" in page


def test_prices_come_from_the_database(client, create_report):
    report = create_report(
        formats=[
            ReportFormat(
                kind=FormatKind.PDF,
                price_pence=123_450,
                subscriber_price_pence=2_500,
                vat_rate_basis_points=2000,
            )
        ]
    )
    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert "£1,234.50" in page
    assert "£25.00 for Insight subscribers" in page
    assert "20%" in page
    assert "Printed copy" not in page


def test_report_page_invites_guests_to_sign_in(client, create_report):
    report = create_report()
    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert f"/sign-in?next=/reports/{report.slug}" in page.replace("%2F", "/")


@pytest.mark.parametrize(
    "slug",
    ["no-such-report", "x" * 500, "..%2f..%2fetc%2fpasswd", "report-1'--", "ü", "Report-1", "-"],
)
def test_unknown_slugs_are_not_found(client, slug):
    response = client.get(f"/reports/{slug}")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_nul_characters_are_a_bad_request(client):
    response = client.get("/reports/a%00b")
    assert response.status_code == 400
    assert "Sorry, there is a problem with your request" in response.get_data(as_text=True)


def test_unpublished_report_is_not_found(client, create_report):
    report = create_report(is_published=False)
    assert client.get(f"/reports/{report.slug}").status_code == 404


def test_home_page_leads_to_catalogue_and_explains_insight(client, create_report):
    create_report(title="Newest report")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/reports"' in page
    assert "Free for Insight subscribers" in page
    assert "Newest report" in page
