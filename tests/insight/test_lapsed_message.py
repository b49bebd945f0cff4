"""A lapsed subscriber reads one calm message on the report and basket pages, with a "Renew your
subscription" link to the request form, their organisation filled in."""

import re
from datetime import date
from html import unescape

import pytest

from portal.pricing import FormatKind

LAPSED = (date(2020, 4, 1), date(2021, 3, 31))
ENDED = "ended on 31 March 2021"
RENEW = re.compile(r'<a class="govuk-link" href="([^"]+)">Renew your subscription</a>')


@pytest.fixture
def lapsed_person(auth, create_organisation, create_user):
    create_organisation(
        name="Southvale District Council", domain="southvale.gov.uk", subscribed=LAPSED
    )
    person = create_user(email="alex@southvale.gov.uk", name="Alex Morgan")
    auth.sign_in(person.email)
    return person


def test_the_report_page_says_it_once_with_a_link_to_renew(client, lapsed_person, create_report):
    report = create_report()

    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)

    assert page.count(ENDED) == 1
    assert page.count("Standard price") == 2  # beside each format's price
    [link] = RENEW.findall(page)
    assert unescape(link) == (
        "/insight?topic=renew&organisation=Southvale+District+Council#request"
    )
    assert "govuk-warning-text" not in page


def test_the_basket_says_it_once_however_many_lines(
    client, lapsed_person, create_report, post_form
):
    for report in (create_report(), create_report()):
        for format_ in report.formats:
            data = {"format_id": str(format_.id)}
            if format_.kind is FormatKind.PRINT:
                data["quantity"] = "1"
            post_form(f"/reports/{report.slug}", data)

    page = client.get("/basket").get_data(as_text=True)

    assert page.count(ENDED) == 1
    assert page.count("Standard price") == 4
    assert len(RENEW.findall(page)) == 1


def test_following_renew_opens_the_form_ready_to_send(app, client, lapsed_person, create_report):
    report = create_report()
    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)
    [link] = RENEW.findall(page)

    form = client.get(unescape(link)).get_data(as_text=True)

    assert 'value="renew" checked' in form
    assert 'value="Southvale District Council"' in form
    assert 'value="Alex Morgan"' in form and 'value="alex@southvale.gov.uk"' in form


def test_a_subscription_that_starts_later_is_not_a_lapse(
    client, auth, create_organisation, create_user, create_report
):
    create_organisation(domain="later.gov.uk", subscribed=(date(2090, 4, 1), date(2091, 3, 31)))
    auth.sign_in(create_user(email="kim@later.gov.uk").email)
    report = create_report()

    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)

    assert "starts on 1 April 2090" in page
    assert "Renew your subscription" not in page
