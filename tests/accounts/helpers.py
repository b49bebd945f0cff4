"""Reading what the portal sent back: links in emails, form values in pages, sign-in state."""

import re
from html.parser import HTMLParser

_LINK = re.compile(r"https?://\S+")
_PER_RESPONSE = re.compile(r'(nonce|name="csrf_token"[^>]*value)="[^"]*"')


def link_in(message) -> str:
    """The one link in an email's text body that carries a token (verify or reset)."""
    links = [
        link
        for link in _LINK.findall(message.body)
        if "/verify-email/" in link or "/reset-password/" in link
    ]
    assert len(links) == 1, message.body
    return links[0]


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, str | None] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name"):
            self.values[attributes["name"]] = attributes.get("value")


def input_values(html: str) -> dict[str, str | None]:
    """Each ``<input>`` on the page by name, with its ``value`` (None when it has none)."""
    parser = _Inputs()
    parser.feed(html)
    return parser.values


def is_signed_out(browser) -> bool:
    """True when the account page sends this browser to sign in."""
    response = browser.get("/account")
    return response.status_code == 302 and response.location.startswith("/sign-in")


def without(page: str, address: str) -> str:
    """The page with ``address``, the script nonce and CSRF tokens blanked out, for comparing."""
    return _PER_RESPONSE.sub(r'\1=""', page.replace(address, "ADDRESS"))
