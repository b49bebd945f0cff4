"""The header's links: "Administration" for administrators only, and the basket's item count."""

import re

from portal.catalogue.models import ReportFormat
from portal.pricing import FormatKind
from tests.helpers import csrf_token


def _links(page: str) -> list[tuple[str, str]]:
    """The header's navigation links, as (href, text with spaces folded)."""
    return [
        (href, " ".join(text.split()))
        for href, text in re.findall(
            r'<a class="govuk-service-navigation__link" href="([^"]*)"[^>]*>(.*?)</a>', page, re.S
        )
    ]


def test_an_administrator_sees_the_administration_link(client, admin):
    assert ("/admin/", "Administration") in _links(client.get("/reports").get_data(as_text=True))


def test_administration_is_not_offered_to_anyone_else(client, auth, create_user):
    assert "Administration" not in client.get("/reports").get_data(as_text=True)
    auth.sign_in(create_user(email="ann@example.com").email)
    assert "Administration" not in client.get("/reports").get_data(as_text=True)


def test_a_guests_basket_count_follows_what_is_in_it(client, create_report):
    report = create_report(
        formats=[
            ReportFormat(kind=FormatKind.PDF, price_pence=14_500),
            ReportFormat(kind=FormatKind.PRINT, price_pence=17_500, stock=10),
        ]
    )
    path = f"/reports/{report.slug}"
    assert "Basket (" not in client.get(path).get_data(as_text=True)
    for kind in (FormatKind.PDF, FormatKind.PRINT):
        format_id = next(f.id for f in report.formats if f.kind is kind)
        form = {"csrf_token": csrf_token(client, path), "format_id": format_id, "quantity": "3"}
        assert client.post(path, data=form).status_code == 302
    page = client.get(path).get_data(as_text=True)
    # Two items (a PDF and three printed copies), in words for screen readers.
    assert 'Basket (2<span class="govuk-visually-hidden"> items</span>)' in page
