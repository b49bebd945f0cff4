"""Markdown written by administrators becomes HTML that can run nothing: scripts, event
handlers, ``javascript:`` links and raw HTML never reach a page; what Markdown may do is drawn
with GOV.UK Frontend's classes; inserts are filled from configuration."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from portal.content.rendering import (
    BLOCK_INSERTS,
    INLINE_INSERTS,
    cookies_set,
    insert_problems,
    render_markdown,
    render_page,
)

SETTINGS = {
    "SESSION_COOKIE_NAME": "session",
    "REMEMBER_COOKIE_NAME": "remember_token",
    "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
    "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
    "WTF_CSRF_TIME_LIMIT": 60 * 60 * 4,
    "SUPPORT_EMAIL": "help@socitm.example",
    "INVOICE_PAYMENT_DAYS": 30,
    "SUPPLIER_NAME": "Socitm Limited",
    "SUPPLIER_REGISTERED_OFFICE": "1 Example Street, Northampton NN1 1AA",
    "RETENTION_DOWNLOAD_LOG_MONTHS": 12,
    "RETENTION_SIGN_IN_MONTHS": 12,
    "RETENTION_GUEST_ORDER_YEARS": 6,
}


class _Elements(HTMLParser):
    """The tags and attributes a browser would build from some HTML."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str, str]] = []
        self.text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)

    def handle_data(self, data):
        self.text += data


SAFE_LINK = re.compile(r"(https?://|mailto:|/(?!/)|#)", re.IGNORECASE)

# What an administrator typed, and what of it a reader still sees as text.
HOSTILE = [
    pytest.param("<script>alert(1)</script>", "<script>alert(1)</script>", id="script-tag"),
    pytest.param("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", "<SCRIPT", id="script-caps"),
    pytest.param('<img src=x onerror="alert(1)">', "<img src=x onerror=", id="onerror"),
    pytest.param("<b onmouseover=alert(1)>bold</b>", "<b onmouseover=alert(1)>", id="raw-html"),
    pytest.param("<iframe src=https://evil.example></iframe>", "<iframe", id="iframe"),
    pytest.param("<style>body{display:none}</style>", "<style>", id="style"),
    pytest.param("<!-- hidden --> shown", "<!-- hidden -->", id="comment"),
    pytest.param("<a href='javascript:alert(1)'>x</a>", "<a href=", id="raw-link"),
    pytest.param("[click](javascript:alert(1))", "[click]", id="js-link"),
    pytest.param("[click](JaVaScRiPt:alert(1))", "[click]", id="js-link-case"),
    pytest.param("[click](java&#x09;script:alert(1))", "click", id="js-link-entity"),
    pytest.param("[click](vbscript:msgbox(1))", "[click]", id="vbscript-link"),
    pytest.param("[x](data:text/html;base64,PHNjcmlwdD4=)", "[x]", id="data-link"),
    pytest.param("[x](//evil.example/page)", "x", id="scheme-relative-link"),
    pytest.param("[x](evil.example)", "x", id="relative-oddity"),
    pytest.param("<javascript:alert(1)>", "<javascript:alert(1)>", id="autolink"),
    pytest.param('[x](https://a.example "t\\" onclick=\\"alert(1)")', "x", id="title-quotes"),
    pytest.param("![x](https://evil.example/track.png)", "!x", id="image"),
]


@pytest.mark.parametrize(("typed", "seen"), HOSTILE)
def test_hostile_markdown_is_shown_as_text_never_run(typed, seen):
    page = _Elements(str(render_markdown(typed)))
    assert page.tags <= {"p", "a"}  # no script, style, iframe, img, b: only Markdown's own
    assert not [a for a in page.attributes if a[1].startswith("on")]  # no event handler
    hrefs = [value for tag, name, value in page.attributes if name == "href"]
    assert all(SAFE_LINK.match(href) for href in hrefs), hrefs
    assert seen in page.text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("## Your rights", '<h2 class="govuk-heading-m">Your rights</h2>'),
        (
            "# A title typed as level one",
            '<h2 class="govuk-heading-m">',
        ),  # the page's h1 is its title
        ("### Complaints", '<h3 class="govuk-heading-s">Complaints</h3>'),
        ("Plain words.", '<p class="govuk-body">Plain words.</p>'),
        ("- one\n- two", '<ul class="govuk-list govuk-list--bullet">\n<li>one</li>'),
        ("1. one\n2. two", '<ol class="govuk-list govuk-list--number">'),
        (
            "[ICO](https://ico.org.uk/)",
            '<a href="https://ico.org.uk/" class="govuk-link" rel="noopener noreferrer">ICO</a>',
        ),
        ("[cookies](/cookies)", 'href="/cookies"'),
        ("Email <help@socitm.example>", 'href="mailto:help@socitm.example"'),
        ("> Note", '<blockquote class="govuk-inset-text">'),
        ("**bold** and *emphasis*", "<strong>bold</strong> and <em>emphasis</em>"),
        (
            "| Name | Purpose |\n|:--|--:|\n| a | b |",
            '<th scope="col" class="govuk-table__header">Name</th>',
        ),
        ("| A |\n|---|\n| 1 |", '<td class="govuk-table__cell">1</td>'),
        ("| A |\n|---|\n| 1 |", '<table class="govuk-table">'),
    ],
)
def test_markdown_is_drawn_with_govuk_classes(typed, expected):
    assert expected in render_markdown(typed)


def test_column_alignment_adds_no_inline_style_the_csp_would_block():
    html = render_markdown("| Left | Right |\n|:--|--:|\n| a | b |")
    assert "style" not in html and "text-align" not in html


@pytest.mark.parametrize(
    ("insert", "expected"),
    [
        ("{support-email}", 'href="mailto:help@socitm.example"'),
        ("{invoice-payment-days}", "30"),
        ("{supplier-name}", "Socitm Limited"),
        ("{supplier-registered-office}", "1 Example Street, Northampton NN1 1AA"),
    ],
)
def test_inline_inserts_are_filled_from_the_settings(insert, expected):
    html = render_page(f"Before {insert} after.", SETTINGS)
    assert expected in html and insert not in html


def test_an_insert_setting_is_shown_as_text_not_as_markdown_or_html():
    settings = {**SETTINGS, "SUPPLIER_NAME": "<b>*Socitm*</b> [x](javascript:alert(1))"}
    html = render_page("{supplier-name}", settings)
    assert "<b>" not in html and "<em>" not in html and "href" not in html
    assert "*Socitm*" in html


def test_the_cookie_table_lists_the_cookies_with_names_and_lifetimes_from_configuration():
    settings = {
        **SETTINGS,
        "SESSION_COOKIE_NAME": "insight_session",
        "REMEMBER_COOKIE_NAME": "insight_remember",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
    }
    html = render_page("Intro.\n\n{cookie-table}\n\nAfter.", settings)
    assert html.index("Intro.") < html.index("<table") < html.index("After.")
    rows = re.findall(r"<tr class=\"govuk-table__row\"><th scope=\"row\".*?</tr>", html)
    assert len(rows) == 2
    assert "<code>insight_session</code>" in rows[0] and "8 hours without use" in rows[0]
    assert "<code>insight_remember</code>" in rows[1] and "14 days" in rows[1]
    assert "{cookie-table}" not in html


def test_the_cookies_listed_follow_the_portals_own_configuration(app):
    cookies = {cookie.name: cookie for cookie in cookies_set(app.config)}
    assert set(cookies) == {app.config["SESSION_COOKIE_NAME"], "remember_token"}
    assert "12 hours" in cookies[app.config["SESSION_COOKIE_NAME"]].lifetime
    assert "4 hours" in cookies[app.config["SESSION_COOKIE_NAME"]].purpose  # the CSRF token
    assert cookies["remember_token"].lifetime.startswith("30 days")


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        ("Email {support-email}.\n\n{cookie-table}\n", []),
        ("No inserts at all.", []),
        ("Ask {nobody}.", ["There is no insert called {nobody}"]),
        ("The table: {cookie-table}", ["Put {cookie-table} on a line of its own"]),
        ("{Support-Email}", []),  # not an insert's spelling: left as typed
    ],
)
def test_insert_problems(body, problems):
    found = insert_problems(body)
    assert [p.split(":")[0] for p in found] == problems


def test_every_insert_has_a_description_for_the_editor():
    for name, (description, fill) in {**INLINE_INSERTS, **BLOCK_INSERTS}.items():
        assert description and callable(fill), name
        assert str(fill(SETTINGS)), name
