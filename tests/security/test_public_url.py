"""Every absolute link the portal gives out (in emails, to Stripe for its return pages) is built
from the one configured address, PUBLIC_URL, never from the request that caused it; a request
naming any other host is refused before it can do anything."""

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.orders.access import order_link
from portal.orders.models import Order
from portal.public_url import external_url
from tests.accounts.helpers import link_in

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://reports.socitm.example"
_LINKS = re.compile(r"https?://[^\s\"<>]+")


@pytest.fixture
def public_url(app, monkeypatch):
    """The portal's configured address for this test (requests still come to ``localhost``,
    which is a loopback name and so served too)."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    return PUBLIC


def _links(message) -> list[str]:
    return _LINKS.findall(message.body) + _LINKS.findall(message.alternatives[0][0])


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:443",
        "reports.socitm.example.evil.example",
        "localhost.evil.example",
        "evil.example/reports.socitm.example",
        "evil.example@localhost",
        "localhost:99999",
        "localhost:port",
        "",
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/sign-in"), ("GET", "/no-such-page"), ("POST", "/forgotten-password")],
)
def test_a_request_for_another_host_is_refused_with_our_page(
    client, public_url, create_user, outbox, method, path, host
):
    grace = create_user(email="grace@example.gov.uk")
    with client:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/sign-in").text)
    data = {"csrf_token": token.group(1), "email": grace.email} if method == "POST" else None
    response = client.open(path, method=method, data=data, headers={"Host": host})
    assert response.status_code == 400
    assert "Sorry, there is a problem with your request" in response.text
    assert outbox == []  # the reset link was never made, let alone sent


@pytest.mark.parametrize(
    "host",
    [
        "reports.socitm.example",
        "REPORTS.SOCITM.EXAMPLE:443",
        "localhost",
        "127.0.0.1:5000",
        "[::1]:8000",
    ],
)
def test_the_configured_host_and_loopback_are_served(client, public_url, host):
    assert client.get("/", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_probes_answer_whatever_host_they_name(client, public_url, path):
    # A load balancer probes each app server by its own address.
    assert client.get(path, headers={"Host": "10.0.0.5:8000"}).status_code == 200


def _reset(post_form, create_user):
    grace = create_user(email="grace@example.gov.uk")
    post_form("/forgotten-password", {"email": grace.email})


def _verify(post_form, create_user):
    fields = {
        "name": "Ada Lovelace",
        "email": "ada@example.gov.uk",
        "organisation": "Example Borough Council",
        "password": "plum tractor lantern 42",
        "password_confirm": "plum tractor lantern 42",
    }
    post_form("/register", fields)


def _already_registered(post_form, create_user):
    grace = create_user(email="grace@example.gov.uk")
    fields = {
        "name": "Grace",
        "email": grace.email,
        "organisation": "Example Borough Council",
        "password": "plum tractor lantern 42",
        "password_confirm": "plum tractor lantern 42",
    }
    post_form("/register", fields)


@pytest.mark.parametrize(
    ("ask", "path"),
    [
        (_reset, "/reset-password/"),
        (_verify, "/verify-email/"),
        (_already_registered, "/forgotten-password"),
    ],
    ids=["reset", "verify", "already registered"],
)
def test_emailed_links_use_the_public_address(
    public_url, post_form, create_user, outbox, ask, path
):
    ask(post_form, create_user)
    (message,) = outbox
    links = _links(message)
    assert any(path in link for link in links), links
    assert all(link.startswith(f"{PUBLIC}/") for link in links), links


def test_a_reset_link_never_follows_the_request(public_url, post_form, create_user, outbox):
    grace = create_user(email="grace@example.gov.uk")
    post_form(
        "/forgotten-password",
        {"email": grace.email},
        headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/phish"},
    )
    assert link_in(outbox[-1]).startswith(f"{PUBLIC}/reset-password/")


@pytest.mark.parametrize(
    ("public", "expected"),
    [
        ("https://reports.socitm.example", "https://reports.socitm.example/sign-in"),
        ("https://socitm.example/insight", "https://socitm.example/insight/sign-in"),
        ("https://socitm.example/insight/", "https://socitm.example/insight/sign-in"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/sign-in"),
    ],
)
def test_links_made_outside_a_request_use_the_public_address(app, monkeypatch, public, expected):
    """Jobs and commands (reminders, the worker) have no request to copy an address from."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", public)
    with app.app_context():
        assert external_url("accounts.sign_in") == expected


def test_an_order_link_made_by_a_job_uses_the_public_address(app, public_url, world):
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.reference == world.reference))
        link = order_link(order)
    assert link.startswith(f"{PUBLIC}/orders/{world.reference}?token=")


def test_absolute_links_are_built_in_one_place():
    """``url_for(..., _external=True)`` takes the host from the request: nothing may use it."""
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("portal", "templates")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".html", ".txt")
        and "_external" in path.read_text(encoding="utf-8")
        and path != ROOT / "portal" / "public_url.py"
    ]
    assert offenders == []
