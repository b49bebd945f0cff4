"""A buyer's browser for the fault tests: one cookie jar, every answer kept so that the suite can
say no request was answered with a bare server error, and the journeys' steps."""

import re
import secrets
from urllib.parse import urlsplit

import requests

from tests.scaleout.browser import AlternatingBrowser
from tests.scaleout.processes import REQUEST_SECONDS

REPORT_SLUG = "challenge-of-transformation"
#: Every answer any buyer was given: (method, path, status).
ANSWERS: list[tuple[str, str, int]] = []


def _format_id(page: str, button: str) -> str:
    for form in page.split("<form")[1:]:
        if button in form:
            return re.search(r'name="format_id" value="(\d+)"', form).group(1)
    raise AssertionError(f"the report page has no {button!r}")


class Buyer(AlternatingBrowser):
    """The scale-out test's browser with one app server to send to, keeping every answer."""

    def __init__(self, portal: str, name: str = "Robin Hale"):
        super().__init__([portal])
        self.portal = portal
        self.name = name
        self.email = f"robin.hale.{secrets.token_hex(4)}@westmoor.gov.uk"

    def _send(self, method: str, path: str, **kwargs):
        response = super()._send(method, path, **kwargs)
        ANSWERS.append((method, urlsplit(path).path, response.status_code))
        return response

    def post_form_on(self, page_text: str, action: str, *, follow: bool = False):
        """Post the form on ``page_text`` whose action is ``action``, with its hidden fields."""
        for form in page_text.split("<form")[1:]:
            if f'action="{action}"' in form:
                fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form))
                return self.request("POST", action, data=fields, follow=follow)
        raise AssertionError(f"no form posting to {action}")

    def basket_pdf(self) -> None:
        page = self.get(f"/reports/{REPORT_SLUG}")
        assert page.status_code == 200
        self.submit(
            f"/reports/{REPORT_SLUG}", {"format_id": _format_id(page.text, "Add PDF to basket")}
        )

    def place_card_order(self):
        """Basket one PDF, give guest details, choose card and place the order: the answer to
        "Place order and pay" (a 303 to Stripe's page, or the page the portal showed)."""
        self.basket_pdf()
        self.submit(
            "/checkout",
            {"name": self.name, "email": self.email, "organisation": "Westmoor District Council"},
        )
        self.submit("/checkout/payment", {"method": "card"})
        return self.submit("/checkout/review", {}, follow=False)


def pay_on_stripe(payment_page: str) -> str:
    """Pay on the stand-in's hosted page, as the browser would; the address Stripe sends the
    buyer back to."""
    assert requests.get(payment_page, timeout=REQUEST_SECONDS).status_code == 200
    paid = requests.post(f"{payment_page}/pay", timeout=REQUEST_SECONDS, allow_redirects=False)
    assert paid.status_code == 303, paid.text[:300]
    return paid.headers["Location"]


def signed_link(page_text: str) -> str:
    """The order page's signed link a page offers (``/orders/<ref>?token=…``)."""
    found = re.search(r'href="(/orders/[^"?]+\?token=[^"]+)"', page_text)
    assert found, "the page offers no signed link to the order"
    return found.group(1).replace("&amp;", "&")


def download_path(order_page: str) -> str:
    """The first download link on an order page."""
    found = re.search(r'href="(/downloads/\d+[^"]*)"', order_page)
    assert found, "the order page offers no download"
    return found.group(1).replace("&amp;", "&")
