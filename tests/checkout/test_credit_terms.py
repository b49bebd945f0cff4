"""Credit terms at checkout: who is released when they order on invoice, who waits and is told
why, and an administrator approving credit; organisations on stop."""

import pytest

from portal.extensions import db
from portal.orders.models import OrderState
from portal.organisations.models import Organisation
from portal.pricing import FormatKind
from tests.helpers import ADDRESS, PO_TO_FOLLOW, AuthActions, csrf_token

INVOICE = {"method": "invoice", **PO_TO_FOLLOW}


@pytest.fixture
def report(create_report):
    return create_report(title="Challenge of transformation", with_pdf=True)


@pytest.fixture
def order_on_invoice(client, post_form, report):
    """Order a PDF and two printed copies on invoice (PO to follow) as whoever is signed in, or
    as a guest with ``email``; returns the review page's text and the response of placing."""

    def order(email: str = "", payment: dict | None = None):
        for kind, quantity in ((FormatKind.PDF, 1), (FormatKind.PRINT, 2)):
            format_id = next(f.id for f in report.formats if f.kind is kind)
            post_form(
                f"/reports/{report.slug}", {"format_id": str(format_id), "quantity": str(quantity)}
            )
        details = {"name": "Lee Oddie", "organisation": "Leeds City Council", **ADDRESS}
        if email:
            details["email"] = email
        post_form("/checkout", details)
        post_form("/checkout/payment", {**INVOICE, **(payment or {})})
        review = client.get("/checkout/review").get_data(as_text=True)
        return review, post_form("/checkout/review", {})

    return order


def _download(client, order):
    pdf = next(line for line in order.lines if line.format_kind == FormatKind.PDF)
    return client.get(f"/downloads/{pdf.id}")


def test_a_council_officer_is_released_at_once_with_po_to_follow(
    app, client, auth, create_user, admin_client, order_on_invoice, stored, outbox
):
    auth.sign_in(create_user(email="lee.oddie@leeds.gov.uk").email)
    review, placed = order_on_invoice()
    assert "Released at once." in review and "Public-sector organisations" in review
    assert "To follow" in review
    order = stored.order()
    assert placed.headers["Location"] == f"/orders/{order.reference}"
    assert order.state is OrderState.AWAITING_INVOICE_PAYMENT
    assert order.po_number == "" and order.credit_terms == "public_sector"
    assert order.downloads_released_at is not None

    # The PDF downloads at once, the invoice still to pay.
    with _download(client, order) as download:
        assert download.status_code == 200 and download.mimetype == "application/pdf"
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "released on credit terms" in page and "Invoiced" in page and "Downloadable" in page
    assert "purchase order to follow" in page

    # The invoice email says so, and its PDF prints "To follow" for the purchase order.
    invoice_email = next(m for m in outbox if m.to == ["lee.oddie@leeds.gov.uk"])
    assert "released on credit terms" in invoice_email.body
    assert "once the invoice is paid" not in invoice_email.body

    # The printed copies join the dispatch queue before payment.
    queue = admin_client.get("/admin/dispatch").get_data(as_text=True)
    assert order.reference in queue


def test_what_is_owed_and_delivered_show_as_tags_to_the_buyer_and_the_administrator(
    client, auth, create_user, admin_client, order_on_invoice, stored
):
    auth.sign_in(create_user(email="lee.oddie@leeds.gov.uk").email)
    order_on_invoice()
    order = stored.order()
    pages = {
        "buyer": client.get(f"/orders/{order.reference}").get_data(as_text=True),
        "administrator": admin_client.get(f"/admin/orders/{order.reference}").get_data(
            as_text=True
        ),
    }
    for who, page in pages.items():
        assert '<strong class="govuk-tag govuk-tag--yellow">Invoiced</strong>' in page, who
        assert '<strong class="govuk-tag govuk-tag--blue">Downloadable</strong>' in page, who
        assert "&lt;strong" not in page, who


def test_a_known_organisation_off_the_public_sector_list_is_released(
    client, auth, create_user, create_organisation, order_on_invoice, stored
):
    create_organisation(domain="eastbridgehomes.org.uk")  # not subscribing
    auth.sign_in(create_user(email="sam@eastbridgehomes.org.uk").email)
    review, _ = order_on_invoice()
    assert "Your organisation buys from us on credit terms" in review
    order = stored.order()
    assert order.credit_terms == "organisation" and order.downloads_released_at is not None


@pytest.mark.parametrize(
    ("email", "verified", "terms", "words"),
    [
        ("sam@example.com", True, "unknown", "We do not recognise your email address"),
        ("sam@leeds.gov.uk", False, "unverified", "Your email address is not verified"),
    ],
)
def test_other_invoice_orders_wait_and_say_why(
    client, auth, create_user, order_on_invoice, stored, outbox, email, verified, terms, words
):
    auth.sign_in(create_user(email=email, verified=verified).email)
    review, _ = order_on_invoice()
    assert "Released when paid." in review and words in review
    order = stored.order()
    assert order.credit_terms == terms and order.downloads_released_at is None
    with _download(client, order) as download:
        assert download.status_code != 200 or download.mimetype != "application/pdf"
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "Not released" in page
    if verified:  # the invoice was issued and says plainly that the order waits
        (invoice_email,) = [m for m in outbox if m.to == [email]]
        assert "released once the invoice is paid" in invoice_email.body


def test_a_guest_waits_then_an_administrator_approves_credit(
    app, client, admin_client, order_on_invoice, stored, outbox
):
    review, _ = order_on_invoice(email="guest@leeds.gov.uk")
    assert "not verified" in review
    order = stored.order()
    assert order.state is OrderState.AWAITING_APPROVAL  # printed copies: no stock taken yet
    assert order.credit_terms == "unverified"
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "waiting for our approval" in page and "Not released" in page

    admin_page = admin_client.get(f"/admin/orders/{order.reference}").get_data(as_text=True)
    assert "Approve credit" in admin_page
    token = csrf_token(admin_client, f"/admin/orders/{order.reference}")
    admin_client.post(f"/admin/orders/{order.reference}/approve-credit", data={"csrf_token": token})
    order = stored.order()
    assert order.state is OrderState.AWAITING_INVOICE_PAYMENT
    assert order.downloads_released_at is not None
    with _download(client, order) as download:
        assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert order.reference in admin_client.get("/admin/dispatch").get_data(as_text=True)
    assert any("Credit approved" in e.note for e in order.events)


def test_approving_credit_for_an_invoice_order_waiting_for_payment(
    client, auth, create_user, admin_client, order_on_invoice, stored
):
    auth.sign_in(create_user(email="sam@example.com").email)
    order_on_invoice()
    order = stored.order()
    assert order.downloads_released_at is None
    path = f"/admin/orders/{order.reference}"
    assert "Approve credit" in admin_client.get(path).get_data(as_text=True)
    admin_client.post(f"{path}/approve-credit", data={"csrf_token": csrf_token(admin_client, path)})
    assert stored.order().downloads_released_at is not None
    assert "Approve credit" not in admin_client.get(path).get_data(as_text=True)


def test_an_organisation_on_stop_waits_and_its_people_see_why_but_not_the_reason(
    app, client, auth, create_user, create_organisation, admin_client, order_on_invoice, stored
):
    council = create_organisation(domain="leeds.gov.uk")
    path = f"/admin/organisations/{council.id}"
    admin_client.post(
        f"{path}/on-stop",
        data={
            "csrf_token": csrf_token(admin_client, path),
            "stop_reason": "Owes £4,200 since June",
        },
    )
    with app.app_context():
        assert db.session.get(Organisation, council.id).on_stop_since is not None

    auth.sign_in(create_user(email="lee.oddie@leeds.gov.uk").email)
    review, _ = order_on_invoice()
    assert "account is on hold" in review and "Owes" not in review
    order = stored.order()
    assert order.credit_terms == "on_stop" and order.downloads_released_at is None
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "account is on hold" in page and "Owes" not in page

    # Off stop: the next order is released again.
    admin_client.post(f"{path}/off-stop", data={"csrf_token": csrf_token(admin_client, path)})
    order_on_invoice()
    assert stored.order().downloads_released_at is not None


@pytest.fixture
def admin_client(app, create_user):
    """A second browser, signed in as an administrator (the first is the buyer's)."""
    browser = app.test_client()
    user = create_user(is_admin=True, email="admin@socitm.example")

    def post_form(path, data, *, form_page=None, **kwargs):
        token = csrf_token(browser, form_page or path)
        return browser.post(path, data={**data, "csrf_token": token}, **kwargs)

    AuthActions(browser, post_form).sign_in(user.email)
    return browser
