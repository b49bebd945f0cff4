"""Two app servers, one portal: a buyer's whole journey with every request going to the other
instance from the one before, and rate limits counted across both."""

import io
import json
import re
import secrets
from urllib.parse import urlsplit

import requests
from pypdf import PdfReader

from tests.scaleout.browser import AlternatingBrowser
from tests.scaleout.processes import REQUEST_SECONDS, wait_for

REPORT_SLUG = "challenge-of-transformation"
NAME = "Morgan Blake"
ORGANISATION = "Westmoor District Council"  # not an Insight subscriber: the PDF costs money
PASSWORD = "harbour lantern violet 58"
_VERIFY_LINK = re.compile(r"https?://\S+/verify-email/\S+")
_DOWNLOAD_LINK = re.compile(r'href="(/downloads/\d+[^"]*)"')
_STATE_TAG = re.compile(r'class="govuk-tag govuk-tag--\w+">([^<]+)<')


def _messages_to(stack, address: str) -> list:
    return [m for m in stack.inbox.messages if address in m["To"]]


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _pdf_format_id(page: str) -> str:
    for form in page.split("<form")[1:]:
        if "Add PDF to basket" in form:
            return re.search(r'name="format_id" value="(\d+)"', form).group(1)
    raise AssertionError("the report page offers no PDF")


def _completed_event(stack, session_id: str):
    events = requests.get(
        f"{stack.standin}/_standin/events",
        params={"type": "checkout.session.completed"},
        timeout=REQUEST_SECONDS,
    ).json()["data"]
    return next((e for e in events if e["object_id"] == session_id), None)


def test_a_whole_journey_alternating_between_two_instances(stack):
    email = f"morgan.blake.{secrets.token_hex(4)}@westmoor.gov.uk"
    browser = AlternatingBrowser(stack.instances)

    # Register on one instance; the verification email's link opens on the other.
    registered = browser.submit(
        "/register",
        {
            "name": NAME,
            "email": email,
            "organisation": ORGANISATION,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
        follow=False,
    )
    assert registered.status_code == 302, registered.text[:500]
    assert registered.headers["Location"] == "/register/check-your-email"
    [verification] = wait_for(lambda: _messages_to(stack, email), "the verification email")
    link = _VERIFY_LINK.search(_body(verification)).group(0)
    verified = browser.get(link)
    assert "Your email address is verified." in verified.text

    signed_in = browser.submit("/sign-in", {"email": email, "password": PASSWORD}, follow=False)
    assert signed_in.headers.get("Location") == "/account", signed_in.text[:500]
    assert NAME in browser.get("/account").text

    # The basket, held in the database, follows the person from instance to instance.
    report_page = browser.get(f"/reports/{REPORT_SLUG}")
    assert report_page.status_code == 200
    browser.submit(f"/reports/{REPORT_SLUG}", {"format_id": _pdf_format_id(report_page.text)})
    assert "Modern public services: challenge of transformation" in browser.get("/basket").text
    browser.submit("/checkout", {"name": NAME, "organisation": ORGANISATION})
    browser.submit("/checkout/payment", {"method": "card"})
    to_stripe = browser.submit("/checkout/review", {}, follow=False)
    assert to_stripe.status_code == 303, to_stripe.text[:500]
    payment_page = to_stripe.headers["Location"]
    assert payment_page.startswith(f"{stack.standin}/pay/cs_")
    session_id = urlsplit(payment_page).path.rsplit("/", 1)[1]

    # Pay on the stand-in's hosted page, as the buyer's browser would.
    assert requests.get(payment_page, timeout=REQUEST_SECONDS).status_code == 200
    paid = requests.post(f"{payment_page}/pay", timeout=REQUEST_SECONDS, allow_redirects=False)
    assert paid.status_code == 303
    back_to_portal = paid.headers["Location"]

    # The webhook reaches the first instance, which acknowledges it at once and queues the work;
    # the worker pays the order before the buyer comes back.
    event = wait_for(
        lambda: (
            (e := _completed_event(stack, session_id))
            and e["delivery"]["status"] == "delivered"
            and e
        ),
        "the webhook to be delivered",
    )
    assert event["delivery"]["attempts"][-1]["url"] == f"{stack.instances[0]}/stripe/webhook"
    cancel_url = event["event"]["data"]["object"]["cancel_url"]
    reference = re.search(r"/orders/([^/]+)/payment-cancelled", cancel_url).group(1)
    order_page = wait_for(
        lambda: (
            (page := browser.get(f"/orders/{reference}"))
            and _STATE_TAG.search(page.text).group(1) in {"Paid", "Complete"}
            and page
        ),
        "the queued event to pay the order",
    )

    back = browser.get(back_to_portal)
    assert back.status_code == 200 and reference in back.text

    # The order's emails went through the shared SMTP server.
    order_email = wait_for(
        lambda: [m for m in _messages_to(stack, email) if reference in m["Subject"] + _body(m)],
        "an email about the order",
    )
    assert order_email

    # The worker stamps the buyer's copy as soon as the order is paid.
    wait_for(
        lambda: any(key.startswith("stamped/") for key in stack.stored_keys()),
        "the worker to stamp the personalised copy",
    )

    # The stamped PDF, from the object store by a short-lived signed redirect.
    download_path = _DOWNLOAD_LINK.search(order_page.text).group(1).replace("&amp;", "&")
    download = browser.get(download_path, follow=False)
    assert download.is_redirect
    assert not browser.is_portal(download.headers["Location"])
    download = requests.get(download.headers["Location"], timeout=REQUEST_SECONDS)
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF-")
    pdf = PdfReader(io.BytesIO(download.content))
    assert pdf.metadata.subject == f"Licensed to {NAME}, {ORGANISATION}"
    assert f"Licensed to {NAME}" in pdf.pages[0].extract_text()

    stored = stack.stored_keys()
    assert any(key.startswith("reports/") or "report" in key for key in stored), stored
    assert any(key.startswith("stamped/") for key in stored), stored

    # Every request went to the other instance from the one before.
    assert set(browser.served_by) == set(stack.instances)
    assert all(a != b for a, b in zip(browser.served_by, browser.served_by[1:], strict=False))


def test_rate_limits_are_counted_across_both_instances(stack):
    for key in stack.redis.scan_iter("LIMITS*"):
        stack.redis.delete(key)  # the journey's own sign-in counts too; start from nothing
    browser = AlternatingBrowser(stack.instances)
    page = browser.get("/sign-in")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    wrong = {"csrf_token": token, "email": "nobody@westmoor.gov.uk", "password": "not it at all"}

    answers = [browser.request("POST", "/sign-in", data=wrong, follow=False) for _ in range(12)]

    # Ten wrong passwords are answered (five by each instance); the eleventh and twelfth are
    # refused, each by a different instance: they share one count in Redis.
    statuses = [answer.status_code for answer in answers]
    assert statuses == [200] * 10 + [429, 429]
    assert "Enter a correct email address and password" in answers[0].text
    assert "Too many attempts" in answers[10].text
    posts = browser.served_by[1:]
    assert posts[10] != posts[11]
    assert any(True for _ in stack.redis.scan_iter("LIMITS*"))


def test_both_instances_are_ready_and_log_json_with_request_ids(stack):
    for instance in stack.instances:
        assert requests.get(f"{instance}/healthz", timeout=REQUEST_SECONDS).status_code == 200
        ready = requests.get(f"{instance}/readyz", timeout=REQUEST_SECONDS)
        assert ready.status_code == 200, ready.text
    home = requests.get(f"{stack.instances[0]}/", timeout=REQUEST_SECONDS)
    request_id = home.headers["X-Request-ID"]

    def logged_with_that_id():
        for line in stack.processes.log_tail("portal-1", lines=500).splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("request_id") == request_id:
                return record
        return None

    assert wait_for(logged_with_that_id, "a JSON log line with the request's id")
