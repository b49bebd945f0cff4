"""The authorisation matrix: every rule in the URL map, every method, for five personas, checked
against one declared table. A route with no entry in the table fails the suite, so nobody can
add a page without saying who may see it.

The URLs are filled from real objects (``world``) that belong to the non-subscribing customer, so
object-level rules (someone else's order, invoice, download, basket line) are exercised too.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, url_for
from sqlalchemy import select

from config import TestingConfig
from portal import create_app
from portal.basket.models import BasketLine
from portal.extensions import db
from portal.orders.models import Order, OrderState
from tests.security.helpers import PERSONAS, session_csrf

# What a persona gets.
# Allowed: anything but 401/403/404, a sign-in redirect or a 5xx (a bare POST may get 400).
ALLOW = "allowed"
SIGN_IN = "sign-in redirect"  # sent to sign in, with the page to come back to
FORBIDDEN = "403"
NOT_FOUND = "404"
ALLOW_OR_ABSENT = "allowed, or 404 when the file is not built"
KEEPS_TWO_FACTOR = "403, or sent to set two-factor up when it is not on"

# Who gets what, per kind of rule (persona -> outcome).
PUBLIC = dict.fromkeys(PERSONAS, ALLOW)
SIGNED_IN = {**PUBLIC, "anonymous": SIGN_IN}
ADMIN_ONLY = {
    "anonymous": SIGN_IN,
    "customer": FORBIDDEN,
    "subscriber": FORBIDDEN,
    "another": FORBIDDEN,
    "admin": ALLOW,
}
# The customer's own objects: anyone else gets the page a missing object would give.
OWNER = {
    "anonymous": NOT_FOUND,
    "customer": ALLOW,
    "subscriber": NOT_FOUND,
    "another": NOT_FOUND,
    "admin": ALLOW,
}
OWNER_SIGN_IN = {**OWNER, "anonymous": SIGN_IN}
# The customer's own signed-in sessions: administrators included, nobody else may end them.
OWN_SESSION = {**dict.fromkeys(PERSONAS, NOT_FOUND), "anonymous": SIGN_IN, "customer": ALLOW}
# The customer's own saved addresses: like sessions, nobody else finds them.
OWN_ADDRESS = OWN_SESSION
# Acts only on the asker's own basket, whatever line id the URL names (see test_object_access).
OWN_BASKET = PUBLIC
# The subscribing organisation's own pages: only its manager (the subscriber) reaches them.
MANAGER = {**dict.fromkeys(PERSONAS, NOT_FOUND), "anonymous": SIGN_IN, "subscriber": ALLOW}
# The customer's order is not the subscribing organisation's: its manager gets 404 as well.
NOBODY_SIGNED_IN = {**dict.fromkeys(PERSONAS, NOT_FOUND), "anonymous": SIGN_IN}
NEEDS_STRIPE_SESSION = dict.fromkeys(PERSONAS, NOT_FOUND)
STATIC_FILE = dict.fromkeys(PERSONAS, ALLOW_OR_ABSENT)

# Administrators may not turn their second factor off.
TWO_FACTOR_OFF = {"GET": SIGNED_IN, "POST": {**SIGNED_IN, "admin": KEEPS_TWO_FACTOR}}

# Every endpoint, declared: a rule kind, or a rule kind per method. A key ending in ".*" covers a
# whole blueprint (its own before-request check is then proved route by route below).
EXPECTED = {
    "static": STATIC_FILE,
    "main.index": PUBLIC,
    "operations.healthz": PUBLIC,
    "operations.readyz": PUBLIC,
    "content.*": PUBLIC,  # the privacy notice, terms, licence, cookies and accessibility pages
    "catalogue.report_list": PUBLIC,
    "catalogue.report_detail": PUBLIC,
    "insight.about": PUBLIC,
    "insight.request_sent": PUBLIC,
    "catalogue.report_cover": PUBLIC,
    "catalogue.report_sample": PUBLIC,  # a free sample: no account, not counted
    "accounts.register": PUBLIC,
    "accounts.check_email": PUBLIC,
    "accounts.verify_email": PUBLIC,  # the signed token is the permission
    "accounts.sign_in": PUBLIC,
    "accounts.sign_out": PUBLIC,
    "accounts.sign_out_everywhere": SIGNED_IN,
    "accounts.end_session": OWN_SESSION,
    "accounts.forgotten_password": PUBLIC,
    "accounts.reset_password": PUBLIC,  # the signed token is the permission
    "accounts.account": SIGNED_IN,
    "accounts.change_password": SIGNED_IN,
    "accounts.change_details": SIGNED_IN,
    "accounts.change_email": SIGNED_IN,
    "accounts.confirm_email_change": PUBLIC,  # the signed token is the permission
    "accounts.resend_verification": SIGNED_IN,
    "accounts.sign_in_two_factor": PUBLIC,  # the pending sign-in in the session is the permission
    "accounts.two_factor_setup": SIGNED_IN,
    "accounts.two_factor_recovery_codes": SIGNED_IN,
    "accounts.two_factor_turn_off": TWO_FACTOR_OFF,
    "accounts.confirm_administrator": SIGNED_IN,
    "accounts.confirm_administrator_link": PUBLIC,  # the signed token is the permission
    "data_rights.close_account": SIGNED_IN,  # a bare POST lacks the password: nothing closes
    "data_rights.account_closed": PUBLIC,
    "data_rights.your_data": SIGNED_IN,
    "data_rights.your_data_archive": SIGNED_IN,  # only ever the signed-in person's own data
    "data_rights.guest_archive": PUBLIC,  # the signed token is the permission
    "data_rights.request_guest_archive": dict.fromkeys(PERSONAS, NOT_FOUND),  # not a guest order
    "basket.show": OWN_BASKET,
    "basket.change_quantity": OWN_BASKET,
    "basket.remove_line": OWN_BASKET,
    "basket.empty": OWN_BASKET,
    "checkout.details": PUBLIC,  # guests may check out
    "checkout.payment": PUBLIC,
    "checkout.review": PUBLIC,
    "checkout.saved_addresses": SIGNED_IN,
    "checkout.remove_saved_address": OWN_ADDRESS,
    "orders.show": OWNER,
    "orders.document": OWNER,
    "orders.send_link": OWNER,
    "payments.pay": OWNER,
    "checkout.switch_to_invoice": OWNER,
    "checkout.switch_to_card": OWNER,
    "payments.cancel_order": OWNER,
    "payments.cancelled": PUBLIC,  # only redirects to the order page, which checks
    "payments.success": NEEDS_STRIPE_SESSION,  # and then Stripe is asked, never believed
    "payments.webhook": PUBLIC,  # its signature is the permission (tests/payments)
    "downloads.download_line": OWNER_SIGN_IN,
    "downloads.take_free_pdf": SIGNED_IN,
    "organisation_accounts.organisation": MANAGER,
    "organisation_accounts.order_document": NOBODY_SIGNED_IN,
    "organisation_accounts.add_member": MANAGER,
    "organisation_accounts.remove_member": MANAGER,
    "organisation_accounts.appoint_manager": MANAGER,
    "organisation_accounts.remove_manager": MANAGER,
    "admin.emails": ADMIN_ONLY,
    "admin.send_held_email": ADMIN_ONLY,
    # A refund that failed after it was made: none in this world, so administrators find none.
    "admin.record_refund_repaid": {**ADMIN_ONLY, "admin": ALLOW_OR_ABSENT},
    "admin.repay_refund_by_card": {**ADMIN_ONLY, "admin": ALLOW_OR_ABSENT},
    "admin.*": ADMIN_ONLY,
}


def expected_for(endpoint: str, method: str = "GET") -> dict | None:
    """The declared persona -> outcome rule for an endpoint and method, or None when the table
    says nothing about it."""
    blueprint = endpoint.rpartition(".")[0]
    declared = EXPECTED.get(endpoint) or (EXPECTED.get(f"{blueprint}.*") if blueprint else None)
    if declared is not None and method in declared:
        return declared[method]
    return declared


def undeclared_routes(app: Flask) -> list[str]:
    """The URL rules of ``app`` whose endpoint has no entry in EXPECTED."""
    return sorted(
        f"{rule.endpoint} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if any(expected_for(rule.endpoint, m) is None for m in rule.methods - {"HEAD", "OPTIONS"})
    )


def _cases(app: Flask) -> list[tuple[str, str]]:
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def pytest_generate_tests(metafunc):
    if "route_case" in metafunc.fixturenames:
        cases = _cases(create_app(TestingConfig))
        metafunc.parametrize("route_case", cases, ids=[f"{m} {e}" for e, m in cases])


def test_every_route_is_declared(app):
    assert undeclared_routes(app) == []


def test_a_route_added_without_a_check_is_reported_as_undeclared():
    """The test of the test: a fresh application with one more, unguarded, page."""
    fresh = create_app(TestingConfig)
    fresh.add_url_rule("/internal/everything", "internal_dump", lambda: "every order")
    assert undeclared_routes(fresh) == ["internal_dump /internal/everything"]
    assert ("internal_dump", "GET") in _cases(fresh)


def _path(app, world, endpoint: str) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = world.url_values(endpoint)
    with app.test_request_context():
        return url_for(endpoint, **{name: values[name] for name in rule.arguments})


def _outcome_matches(response, outcome: str, endpoint: str) -> bool:
    status = response.status_code
    location = urlsplit(response.headers.get("Location", ""))
    to_sign_in = (
        status in (301, 302, 303, 307)
        and location.path == "/sign-in"
        and "next" in parse_qs(location.query)
    ) or (
        # Sent away for a second factor is not "allowed" either (outside the two-factor pages).
        location.path in ("/sign-in/two-factor", "/account/two-factor", "/account/administrator")
        and not endpoint.startswith("accounts.")
    )
    if status >= 500:
        return False
    if outcome == SIGN_IN:
        return to_sign_in
    if outcome == FORBIDDEN:
        return status == 403
    if outcome == NOT_FOUND:
        return status == 404
    denied = status in (401, 403) or to_sign_in
    if outcome == KEEPS_TWO_FACTOR:
        return status == 403 or location.path == "/account/two-factor"
    if outcome == ALLOW_OR_ABSENT:
        return not denied
    return not denied and status != 404


def test_the_matrix(app, world, persona_client, route_case):
    """Each persona gets exactly what the table declares for this rule and method."""
    endpoint, method = route_case
    expected = expected_for(endpoint, method)
    assert expected is not None, f"{endpoint} has no entry in EXPECTED"
    path = _path(app, world, endpoint)
    wrong = []
    for persona in PERSONAS:
        client = persona_client(persona)
        data = {"csrf_token": session_csrf(client)} if method == "POST" else None
        with client.open(path, method=method, data=data) as response:
            if not _outcome_matches(response, expected[persona], endpoint):
                got = f"{response.status_code} {response.headers.get('Location', '')}".strip()
                wrong.append(f"{persona}: expected {expected[persona]}, got {got}")
    assert not wrong, f"{method} {path}: " + "; ".join(wrong)


@pytest.mark.parametrize("persona", ["customer", "admin"])
def test_the_owner_and_administrators_see_the_order(world, persona_client, persona):
    client = persona_client(persona)
    page = client.get(f"/orders/{world.reference}")
    assert page.status_code == 200 and world.reference in page.get_data(as_text=True)


def _fulfil(app, world) -> None:
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.reference == world.reference))
        order.state = OrderState.FULFILLED
        db.session.commit()


def _basket_quantity(app, world) -> int | None:
    with app.app_context():
        line = db.session.get(BasketLine, world.basket_line_id)
        return line.quantity if line else None


@pytest.mark.parametrize("persona", ["anonymous", "another", "subscriber"])
def test_nobody_else_reaches_the_customers_objects(app, world, persona_client, outbox, persona):
    """Someone else's order, invoice, download and order link look like things that do not
    exist; the customer's basket line cannot be changed or removed by them."""
    _fulfil(app, world)
    owner = persona_client("customer")
    with owner.get(f"/downloads/{world.order_line_id}") as mine:
        assert mine.status_code == 200 and mine.mimetype == "application/pdf"
    client = persona_client(persona)
    assert client.get(f"/orders/{world.reference}").status_code == 404
    document = f"/orders/{world.reference}/documents/{world.document_number}.pdf"
    assert client.get(document).status_code == 404
    download = client.get(f"/downloads/{world.order_line_id}")
    if persona == "anonymous":
        assert download.headers["Location"].startswith("/sign-in")
    else:
        assert download.status_code == 404
    token = session_csrf(client)
    sent = client.post(f"/orders/{world.reference}/send-link", data={"csrf_token": token})
    assert sent.status_code == 404 and outbox == []
    line = f"/basket/lines/{world.basket_line_id}"
    client.post(f"{line}/quantity", data={"csrf_token": token, "quantity": "5"})
    client.post(f"{line}/remove", data={"csrf_token": token})
    assert _basket_quantity(app, world) == 1


def test_a_forged_or_foreign_order_link_opens_nothing(app, world, persona_client):
    client = persona_client("anonymous")
    for token in ("x", "a" * 300, "IjEi.forged.sig"):
        assert client.get(f"/orders/{world.reference}?token={token}").status_code == 404
        assert client.get(f"/downloads/{world.order_line_id}?token={token}").status_code == 404
