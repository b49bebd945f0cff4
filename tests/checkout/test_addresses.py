"""Addresses that suit councils: an organisation line and a phone number on delivery and billing
addresses, addresses a signed-in person saves and chooses at checkout, "billing address same as
delivery", and the organisation on packing slips and the dispatch list."""

import pytest
from sqlalchemy import select

from portal.addresses.models import SavedAddress
from portal.extensions import db
from portal.orders.models import Order
from portal.pricing import FormatKind
from tests.helpers import ADDRESS, PO_TO_FOLLOW, AuthActions, csrf_token

COUNCIL_ADDRESS = {
    **ADDRESS,
    "address_organisation": "Eastbridge Council, Adult Social Care",
    "phone": "01632 960 001",
}


@pytest.fixture
def report(create_report):
    return create_report(title="Channel shift")


@pytest.fixture
def buyer(create_user, auth):
    person = create_user(email="jo@eastbridge.gov.uk", name="Jo Evans")
    auth.sign_in(person.email)
    return person


@pytest.fixture
def admin_client(app, create_user):
    """A second browser, signed in as an administrator."""
    browser = app.test_client()

    def post(path: str, data: dict, **kwargs):
        token = csrf_token(browser, path)
        return browser.post(path, data={"csrf_token": token, **data}, **kwargs)

    AuthActions(browser, post).sign_in(create_user(is_admin=True).email)
    return browser


@pytest.fixture
def basket_of_prints(post_form, report):
    format_id = next(f.id for f in report.formats if f.kind is FormatKind.PRINT)
    post_form(f"/reports/{report.slug}", {"format_id": str(format_id), "quantity": "2"})


def _saved(app, user_id: int) -> list[tuple[str, ...]]:
    with app.app_context():
        return [
            (a.organisation, a.line1, a.town, a.postcode, a.phone)
            for a in db.session.scalars(select(SavedAddress).where(SavedAddress.user_id == user_id))
        ]


def _order(app, email: str) -> Order:
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.email == email))
        db.session.expunge(order)
        return order


def _details(**fields) -> dict:
    return {"name": "Jo Evans", "organisation": "Eastbridge Council", **COUNCIL_ADDRESS, **fields}


def test_the_delivery_address_carries_its_organisation_and_phone_to_the_order(
    app, client, post_form, buyer, basket_of_prints, admin_client
):
    post_form("/checkout", _details(save_address="y"))
    post_form("/checkout/payment", {"method": "invoice", **PO_TO_FOLLOW})
    review = client.get("/checkout/review").get_data(as_text=True)
    assert "Eastbridge Council, Adult Social Care" in review and "01632 960 001" in review
    post_form("/checkout/review", {})

    order = _order(app, buyer.email)
    assert (order.delivery_organisation, order.delivery_phone) == (
        "Eastbridge Council, Adult Social Care",
        "01632 960 001",
    )
    assert _saved(app, buyer.id) == [
        (
            "Eastbridge Council, Adult Social Care",
            "Town Hall",
            "Eastbridge",
            "EB1 2CD",
            "01632 960 001",
        )
    ]
    slip = admin_client.get(f"/admin/orders/{order.reference}/packing-slip").get_data(True)
    assert "Eastbridge Council, Adult Social Care" in slip and "Phone: 01632 960 001" in slip
    listing = admin_client.get("/admin/dispatch").get_data(as_text=True)
    assert "Eastbridge Council, Adult Social Care" in listing


def test_a_saved_address_is_chosen_at_checkout(app, client, post_form, buyer, basket_of_prints):
    post_form("/account/addresses", COUNCIL_ADDRESS)
    with app.app_context():
        address_id = db.session.scalar(select(SavedAddress.id))

    page = client.get("/checkout").get_data(as_text=True)
    assert f"/checkout?address={address_id}" in page
    chosen = client.get(f"/checkout?address={address_id}").get_data(as_text=True)

    assert 'value="Eastbridge Council, Adult Social Care"' in chosen
    assert 'value="EB1 2CD"' in chosen and 'value="01632 960 001"' in chosen


def test_another_persons_saved_address_is_never_shown(
    app, client, post_form, create_user, buyer, basket_of_prints
):
    someone = create_user(email="someone@westbridge.gov.uk")
    with app.app_context():
        theirs = SavedAddress(
            user_id=someone.id,
            organisation="Secret Unit",
            line1="1 Hidden Lane",
            town="Westbridge",
            postcode="WB1 1AA",
        )
        db.session.add(theirs)
        db.session.commit()
        address_id = theirs.id

    page = client.get(f"/checkout?address={address_id}").get_data(as_text=True)

    assert "Secret Unit" not in page and "Hidden Lane" not in page
    token = csrf_token(client, "/account/addresses")
    removed = client.post(f"/account/addresses/{address_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 404
    assert _saved(app, someone.id) != []


def test_billing_address_same_as_delivery(app, client, post_form, buyer, basket_of_prints):
    post_form("/checkout", _details())
    post_form(
        "/checkout/payment",
        {
            "method": "invoice",
            "po_to_follow": "y",
            "finance_email": "payables@eastbridge.gov.uk",
            "billing_same_as_delivery": "y",
        },
    )
    post_form("/checkout/review", {})

    order = _order(app, buyer.email)
    assert (
        order.billing_organisation,
        order.billing_line1,
        order.billing_town,
        order.billing_postcode,
        order.billing_phone,
    ) == (
        "Eastbridge Council, Adult Social Care",
        "Town Hall",
        "Eastbridge",
        "EB1 2CD",
        "01632 960 001",
    )


def test_billing_same_as_delivery_is_not_offered_without_a_delivery_address(
    client, post_form, buyer, report
):
    format_id = next(f.id for f in report.formats if f.kind is FormatKind.PDF)
    post_form(f"/reports/{report.slug}", {"format_id": str(format_id), "quantity": "1"})
    post_form("/checkout", {"name": "Jo Evans", "organisation": "Eastbridge Council"})

    page = client.get("/checkout/payment").get_data(as_text=True)

    assert "billing_same_as_delivery" not in page
    assert 'name="billing_organisation"' in page and 'name="billing_phone"' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"phone": "call me"}, "Enter a phone number, like 01632 960 001"),
        ({"phone": "123"}, "Enter a phone number, like 01632 960 001"),
        ({"phone": "1" * 31}, "Phone (optional) must be 30 characters or fewer"),
        ({"address_organisation": "x" * 201}, "Organisation (optional) must be 200 characters"),
    ],
)
def test_a_bad_phone_or_organisation_line_is_refused_and_nothing_is_saved(
    app, client, post_form, buyer, basket_of_prints, fields, message
):
    response = post_form("/checkout", _details(save_address="y", **fields))

    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert _saved(app, buyer.id) == []


# The address book


def test_a_person_adds_and_removes_saved_addresses(app, client, post_form, buyer):
    response = post_form("/account/addresses", COUNCIL_ADDRESS)
    assert response.status_code == 302
    again = post_form("/account/addresses", {**COUNCIL_ADDRESS, "town": "  EASTBRIDGE "})
    assert again.status_code == 302
    assert len(_saved(app, buyer.id)) == 1, "the same address is kept once"
    page = client.get("/account/addresses").get_data(as_text=True)
    assert "Eastbridge Council, Adult Social Care" in page
    with app.app_context():
        address_id = db.session.scalar(select(SavedAddress.id))

    removed = post_form(
        f"/account/addresses/{address_id}/remove", {}, form_page="/account/addresses"
    )

    assert removed.status_code == 302
    assert _saved(app, buyer.id) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"postcode": "NOT A CODE"}, "Enter a real postcode, like SW1A 1AA"),
        ({"address_line1": ""}, "Enter the first line of the address"),
        ({"phone": "+44 (0)"}, "Enter a phone number"),
    ],
)
def test_a_bad_address_is_refused(app, client, post_form, buyer, fields, message):
    response = post_form("/account/addresses", {**COUNCIL_ADDRESS, **fields})

    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _saved(app, buyer.id) == []


def test_the_address_book_needs_sign_in(client):
    assert client.get("/account/addresses").location.startswith("/sign-in")
