"""The public content pages: each at its own address, linked from every page's footer, showing
the newest version and never anything that runs."""

import re

import pytest

from portal.content.pages import FOOTER, ContentPage

FOOTER_LINKS = {
    "/privacy": "Privacy notice",
    "/terms": "Terms of sale",
    "/licence": "PDF licence",
    "/cookies": "Cookies",
    "/accessibility": "Accessibility statement",
}


def _footer(html: str) -> str:
    return html[html.index('<div class="govuk-footer">') :]


def test_the_footer_table_names_every_page():
    assert {page.path: page.label for page in FOOTER} == FOOTER_LINKS


@pytest.mark.parametrize(
    "path", ["/", "/reports", "/basket", "/account", "/privacy", "/admin/pages"]
)
def test_every_page_s_footer_links_to_the_pages(client, admin, path):
    footer = _footer(client.get(path).get_data(as_text=True))
    links = dict(re.findall(r'<a class="govuk-footer__link" href="([^"]+)">([^<]+)</a>', footer))
    assert {href: links.get(href) for href in FOOTER_LINKS} == FOOTER_LINKS


@pytest.mark.parametrize("page", list(ContentPage))
def test_a_page_not_yet_published_says_so(client, page):
    response = client.get(page.path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<h1 class="govuk-heading-xl">{page.label}</h1>' in html
    assert "This page has not been published yet" in html


@pytest.mark.parametrize("page", list(ContentPage))
def test_each_page_shows_its_newest_version(client, publish_page, page):
    publish_page(page, body="Old words.", title="Old title")
    publish_page(page, body="## Section\n\nNew words.", title="New title")
    html = client.get(page.path).get_data(as_text=True)
    assert '<h1 class="govuk-heading-xl">New title</h1>' in html
    assert '<h2 class="govuk-heading-m">Section</h2>' in html and "New words." in html
    assert "Old words." not in html and "Version 2, published" in html
    assert "<title>New title \N{EN DASH} Socitm Insight reports</title>" in html


def test_script_in_a_published_page_never_reaches_the_browser(client, publish_page):
    publish_page(
        ContentPage.TERMS,
        body=(
            '<script>alert("x")</script>\n\n<img src=x onerror=alert(1)>\n\n'
            "[go](javascript:alert(1))"
        ),
    )
    html = client.get("/terms").get_data(as_text=True)
    assert '<script>alert("x")' not in html and "<img src=x" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in html


def test_the_cookies_page_lists_the_cookies_from_configuration(app, client, publish_page):
    publish_page(ContentPage.COOKIES, body="Only what is needed.\n\n{cookie-table}\n")
    html = client.get("/cookies").get_data(as_text=True)
    assert f"<code>{app.config['SESSION_COOKIE_NAME']}</code>" in html
    assert "<code>remember_token</code>" in html and "30 days" in html


def test_the_accessibility_statement_keeps_its_address_and_its_contact(app, client, publish_page):
    publish_page(ContentPage.ACCESSIBILITY, body="Email {support-email} and we will help.")
    html = client.get("/accessibility").get_data(as_text=True)
    assert f'href="mailto:{app.config["SUPPORT_EMAIL"]}"' in html
