"""Emails to an address someone typed are limited per address and per requester, on every route
that sends one, however many clients take part; a refusal tells nothing about who has an
account."""

import re

import pytest
from sqlalchemy import func, select

from portal.email.models import OutboxEmail
from portal.extensions import db
from portal.operations import limits
from portal.operations.limits import is_emailing_typed_address, limiter, throttle_key
from portal.orders.access import order_token
from portal.orders.models import Order
from portal.pricing import FormatKind
from tests.helpers import TEST_PASSWORD, csrf_token

TARGET = "target@eastbridge.gov.uk"
#: Emails an address gets in an hour, however many clients ask (limits.TO_ONE_ADDRESS).
PER_HOUR = 5

# Every POST route, and why it needs no per-address limit, or None when it emails an address
# someone typed and must carry limits.emails_typed_address.
POST_ROUTES = {
    "accounts.register": None,
    "accounts.forgotten_password": None,
    "accounts.resend_verification": None,
    "accounts.change_email": None,  # the new address the person typed
    "accounts.change_details": "sends no email",
    "orders.send_link": None,
    "data_rights.request_guest_archive": None,  # the guest order's own address
    "checkout.review": None,  # a guest's address, typed at checkout
    "admin.resend_email": None,
    "accounts.change_password": "emails only the signed-in account's own address",
    "accounts.reset_password": "emails only the owner of the address the link went to",
    "accounts.confirm_administrator": "resends a link to the signed-in account's own address",
    "accounts.verify_email": "chooses a password from the emailed link; sends no email",
    "accounts.end_session": "sends no email",
    "accounts.sign_out_everywhere": "sends no email",
    "accounts.two_factor_setup": "sends no email",
    "accounts.two_factor_recovery_codes": "sends no email",
    "accounts.two_factor_turn_off": "sends no email",
    "accounts.sign_in": "sends no email",
    "data_rights.close_account": "closes the signed-in account; sends no email",
    "admin.close_account": "closes an account on the person's request; sends no email",
    "accounts.sign_in_two_factor": "sends no email",
    "accounts.sign_out": "sends no email",
    "basket.empty": "sends no email",
    "basket.change_quantity": "sends no email",
    "basket.remove_line": "sends no email",
    "catalogue.report_detail": "adds to the basket; sends no email",
    "checkout.details": "keeps the typed address in the session; review sends the email",
    "checkout.payment": "keeps the typed address in the session; review sends the email",
    "downloads.take_free_pdf": "emails the signed-in subscriber's own verified address",
    "payments.pay": "starts a card payment; sends no email",
    "payments.cancel_order": "a change of state, once per order",
    "payments.webhook": "Stripe's signed events: receipts for orders already placed",
    "admin.remove_job": "administrators' job list; sends no email",
    "admin.retry_job": "sends again only emails already written (and limited) once",
    "admin.send_held_email": "sends an email already written and held, by an administrator",
    "admin.approve_credit": "a change of state, once per order",
    "admin.cancel_order": "a change of state, once per order",
    "admin.clear_attention": "sends no email",
    "admin.mark_dispatched": "a change of state, once per order",
    "admin.mark_invoice_paid": "a change of state, once per order",
    "admin.refund": "refunds are bounded by the money paid",
    "admin.record_refund_repaid": "once per failed refund, to the order's own buyer",
    "admin.repay_refund_by_card": "once per failed refund, to the order's own buyer",
    "admin.reset_downloads": "sends no email",
    "admin.update_organisation": "sends no email",
    "admin.add_domain": "sends no email",
    "admin.remove_domain": "sends no email",
    "admin.add_member": "sends no email",
    "admin.remove_member": "sends no email",
    "admin.add_subscription": "sends no email",
    "admin.edit_subscription": "sends no email",
    "admin.import_subscribers": "sends no email",
    "admin.apply_subscriber_import": "sends no email",
    "admin.new_organisation": "sends no email",
    "admin.report_upload_cover": "sends no email",
    "admin.report_edit": "sends no email",
    "admin.report_format": "sends no email",
    "admin.report_format_remove": "sends no email",
    "admin.report_upload_pdf": "sends no email",
    "admin.report_new": "sends no email",
    "admin.topic_add": "sends no email",
    "admin.topic_rename": "sends no email",
    "admin.topic_remove": "sends no email",
    "admin.make_admin": "sends no email",
    "admin.remove_admin": "sends no email",
    "admin.appoint_manager": "sends no email",
    "admin.remove_manager": "sends no email",
    "organisation_accounts.add_member": "sends no email",
    "organisation_accounts.remove_member": "sends no email",
    "organisation_accounts.appoint_manager": "sends no email",
    "organisation_accounts.remove_manager": "sends no email",
    "admin.put_on_stop": "sends no email",
    "admin.take_off_stop": "sends no email",
    "admin.public_sector_domains": "sends no email",
    "admin.content_page_edit": "previews or publishes a content page; sends no email",
    "admin.remove_public_sector_domain": "sends no email",
    "admin.add_po_number": "a copy of the invoice to the order's own addresses, once per order",
    "checkout.switch_to_invoice": "the invoice to the order's own addresses, once per order",
    "checkout.switch_to_card": "starts a card payment; sends no email",
    "insight.about": "emails only Socitm's subscriptions address, once per form (limited per POST)",
    "admin.insight_request": "records an administrator's step; sends no email",
    "admin.add_contact": "sends no email",
    "admin.remove_contact": "sends no email",
    "checkout.saved_addresses": "sends no email",
    "checkout.remove_saved_address": "sends no email",
}
EMAILING = sorted(endpoint for endpoint, reason in POST_ROUTES.items() if reason is None)


@pytest.fixture
def limits_on(app, monkeypatch):
    """Rate limits apply for this test (the suite runs with them off), counted from zero."""
    limiter.reset()
    monkeypatch.setitem(app.config, "RATELIMIT_APPLY", True)
    yield
    limiter.reset()


def client_address(n: int) -> dict:
    return {"environ_base": {"REMOTE_ADDR": f"198.51.100.{n}"}}


def emails_to(app, address: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(OutboxEmail).where(OutboxEmail.to_address == address)
        )


def orders_of(app, address: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Order.reference).where(Order.email == address)))


# --- every route that emails a typed address carries the limit ----------------------------------


def _post_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def test_every_post_route_is_declared(app):
    undeclared = _post_endpoints(app) - set(POST_ROUTES)
    assert not undeclared, f"say whether these email a typed address: {sorted(undeclared)}"
    assert not set(POST_ROUTES) - _post_endpoints(app), "the table names routes that are gone"


def test_the_routes_that_email_a_typed_address_carry_the_limit(app):
    marked = {
        endpoint
        for endpoint in _post_endpoints(app)
        if is_emailing_typed_address(app.view_functions[endpoint])
    }
    assert marked == set(EMAILING)


# --- one address, many clients ------------------------------------------------------------------


@pytest.fixture
def guest_invoice_order(app, post_form, create_report):
    """Place an invoice order as a guest on ``client`` (from client address ``n``) for
    ``email``; returns the response of placing it."""
    report = create_report()
    pdf_id = next(f.id for f in report.formats if f.kind is FormatKind.PDF)

    def place(n: int, email: str = TARGET):
        options = client_address(n)
        post_form(f"/reports/{report.slug}", {"format_id": str(pdf_id), "quantity": "1"}, **options)
        post_form(
            "/checkout",
            {"name": "Jo Evans", "email": email, "organisation": "Eastbridge Council"},
            **options,
        )
        post_form(
            "/checkout/payment",
            {
                "method": "invoice",
                "po_number": "PO-1",
                "billing_line1": "Town Hall",
                "billing_town": "Eastbridge",
                "billing_postcode": "EB1 2CD",
                "finance_email": email,  # the buyer pays: no second recipient
            },
            **options,
        )
        return post_form("/checkout/review", {}, **options)

    return place


@pytest.fixture
def attempt_at(app, client, post_form, auth, create_user, guest_invoice_order):
    """For a route that emails a typed address: set up what it needs, then return a function
    making one attempt aimed at TARGET from client address ``n``."""

    def prepare(endpoint: str):
        if endpoint == "accounts.register":
            details = {"name": "Jo Evans", "email": TARGET, "organisation": ""}
            passwords = {"password": TEST_PASSWORD, "password_confirm": TEST_PASSWORD}
            return lambda n: post_form("/register", {**details, **passwords}, **client_address(n))
        if endpoint == "accounts.forgotten_password":
            create_user(email=TARGET)
            return lambda n: post_form(
                "/forgotten-password", {"email": TARGET}, **client_address(n)
            )
        if endpoint == "accounts.resend_verification":
            create_user(email=TARGET, verified=False)
            auth.sign_in(TARGET)
            return lambda n: post_form(
                "/account/verify-email", {}, form_page="/account", **client_address(n)
            )
        if endpoint == "accounts.change_email":
            auth.sign_in(create_user().email)
            change = {"email": TARGET, "password": TEST_PASSWORD}
            return lambda n: post_form("/account/email", change, **client_address(n))
        if endpoint == "checkout.review":
            return guest_invoice_order
        guest_invoice_order(100)  # emails TARGET once
        [reference] = orders_of(app, TARGET)
        if endpoint in ("orders.send_link", "data_rights.request_guest_archive"):
            ending = "send-link" if endpoint == "orders.send_link" else "your-data"
            path = f"/orders/{reference}/{ending}"
            return lambda n: post_form(
                path, {}, form_page=f"/orders/{reference}", **client_address(n)
            )
        assert endpoint == "admin.resend_email"
        auth.sign_in(create_user(is_admin=True).email)
        path = f"/admin/orders/{reference}/resend-email"
        return lambda n: post_form(
            path, {}, form_page=f"/admin/orders/{reference}", **client_address(n)
        )

    return prepare


@pytest.mark.parametrize("endpoint", EMAILING)
def test_one_address_gets_no_more_than_its_limit_however_many_clients_ask(
    app, client, limits_on, attempt_at, endpoint
):
    attempt = attempt_at(endpoint)
    answers = [attempt(n) for n in range(1, 9)]

    assert emails_to(app, TARGET) == PER_HOUR
    assert all(answer.status_code < 500 for answer in answers)
    assert all(answer.status_code != 429 for answer in answers)  # each client asked once


# Where a refusal must look exactly like a success: the page says "if it has an account" anyway.
_NONCE = re.compile(r'(nonce|value)="[^"]*"')


def _page(response) -> tuple[int, str | None, str]:
    return (
        response.status_code,
        response.headers.get("Location"),
        _NONCE.sub("", response.get_data(as_text=True)),
    )


@pytest.mark.parametrize("endpoint", ["accounts.register", "accounts.forgotten_password"])
def test_where_it_would_tell_who_has_an_account_a_refusal_looks_like_a_success(
    app, client, limits_on, attempt_at, endpoint
):
    attempt = attempt_at(endpoint)
    answers = [attempt(n) for n in range(1, PER_HOUR + 2)]

    assert emails_to(app, TARGET) == PER_HOUR
    assert _page(answers[-1]) == _page(answers[-2])


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("accounts.resend_verification", "We have sent several emails to"),
        ("accounts.change_email", "We have sent several emails to"),
        ("orders.send_link", "We have sent several emails to"),
        ("data_rights.request_guest_archive", "We have sent several emails to"),
        ("admin.resend_email", "that address has had several emails from us recently"),
    ],
)
def test_where_nothing_is_revealed_the_refusal_says_so(
    app, client, limits_on, attempt_at, endpoint, message
):
    attempt = attempt_at(endpoint)
    for n in range(1, PER_HOUR + 1):
        attempt(n)

    refused = attempt(50)

    assert emails_to(app, TARGET) == PER_HOUR
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert message in page and TARGET in page


def test_checkout_refuses_an_order_for_an_address_over_its_limit_with_a_clear_message(
    app, client, limits_on, guest_invoice_order
):
    for n in range(1, PER_HOUR + 1):
        assert guest_invoice_order(n).status_code == 302

    refused = guest_invoice_order(50)

    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "There is a problem" in page
    assert f"We have sent several emails to {TARGET} recently" in page
    assert len(orders_of(app, TARGET)) == PER_HOUR  # nothing placed, nothing charged


def test_a_plus_tag_or_capitals_do_not_make_another_address(ctx):
    spellings = (TARGET, "Target+1@Eastbridge.gov.uk", " target+x@eastbridge.gov.uk")
    same = {throttle_key(address) for address in spellings}
    assert len(same) == 1
    assert throttle_key("other@eastbridge.gov.uk") not in same
    assert TARGET not in next(iter(same))  # the store never holds the address itself


# --- one requester, many addresses --------------------------------------------------------------


@pytest.fixture
def two_an_hour_per_requester(monkeypatch):
    monkeypatch.setattr(limits, "FROM_ONE_REQUESTER", "2 per hour")


def test_one_client_address_cannot_email_many_addresses(
    app, client, post_form, create_user, limits_on, two_an_hour_per_requester
):
    people = [create_user() for _ in range(3)]

    answers = [post_form("/forgotten-password", {"email": p.email}) for p in people]

    assert [emails_to(app, p.email) for p in people] == [1, 1, 0]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert people[2].email in answers[2].get_data(as_text=True)  # the same page as ever


def test_one_account_cannot_email_many_addresses_from_many_client_addresses(
    app, client, post_form, auth, create_user, limits_on, two_an_hour_per_requester
):
    people = [create_user() for _ in range(3)]
    auth.sign_in(create_user().email)

    for n, person in enumerate(people, start=1):
        post_form("/forgotten-password", {"email": person.email}, **client_address(n))

    assert [emails_to(app, p.email) for p in people] == [1, 1, 0]


def test_with_limits_off_nothing_is_withheld(app, client, post_form, create_user):
    person = create_user()
    for _ in range(PER_HOUR + 2):
        post_form("/forgotten-password", {"email": person.email})

    assert emails_to(app, person.email) == PER_HOUR + 2


def test_a_verified_buyer_ordering_for_themselves_is_never_refused(
    app, client, auth, create_user, limits_on, guest_invoice_order
):
    buyer = create_user(email=TARGET)
    auth.sign_in(TARGET)

    answers = [guest_invoice_order(n) for n in range(1, PER_HOUR + 3)]

    assert [a.status_code for a in answers] == [302] * (PER_HOUR + 2)
    assert emails_to(app, buyer.email) == PER_HOUR + 2  # their own inbox, theirs to fill


def test_an_unverified_account_is_limited_like_a_guest(
    app, client, auth, create_user, limits_on, guest_invoice_order
):
    create_user(email=TARGET, verified=False)
    auth.sign_in(TARGET)

    answers = [guest_invoice_order(n) for n in range(1, PER_HOUR + 2)]

    assert answers[-1].status_code == 409
    assert emails_to(app, TARGET) == PER_HOUR


def test_asking_for_order_links_from_one_client_address_is_limited(
    app, client, post_form, limits_on, guest_invoice_order
):
    guest_invoice_order(1)
    [reference] = orders_of(app, TARGET)
    path = f"/orders/{reference}/send-link"
    for _ in range(3):
        assert post_form(path, {}, form_page=f"/orders/{reference}").status_code == 302

    assert post_form(path, {}, form_page=f"/orders/{reference}").status_code == 429


def test_the_holder_of_an_expired_link_is_told_when_no_new_link_was_sent(
    app, client, limits_on, guest_invoice_order, monkeypatch
):
    guest_invoice_order(1)  # emails TARGET once
    with app.test_request_context():
        order = db.session.scalar(select(Order).where(Order.email == TARGET))
        token, reference = order_token(order), order.reference
    monkeypatch.setitem(app.config, "DOWNLOAD_LINK_MAX_AGE", -1)  # every link has expired
    stranger = app.test_client()

    def ask(n: int):
        form = {"csrf_token": csrf_token(stranger, "/sign-in"), "token": token}
        return stranger.post(f"/orders/{reference}/send-link", data=form, **client_address(n))

    pages = [ask(n).get_data(as_text=True) for n in range(2, 2 + PER_HOUR)]

    assert emails_to(app, TARGET) == PER_HOUR
    assert "We have emailed a new link to your order" in pages[-2]
    assert "so we have not sent another" in pages[-1]
    assert "We have emailed a new link to your order" not in pages[-1]
