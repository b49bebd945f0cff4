"""Checkout for orders that cost nothing: a subscriber's free printed copy needs no payment step;
the next copy costs the standard price."""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.catalogue.models import ReportFormat
from portal.clock import today_in_london
from portal.extensions import db
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.pricing import FormatKind

TODAY = today_in_london()
ACTIVE = (date(TODAY.year - 1, 1, 1), date(TODAY.year + 1, 12, 31))
ADDRESS = {
    "name": "Sam Patel",
    "organisation": "Northmere City Council",
    "address_line1": "Civic Centre",
    "address_line2": "",
    "town": "Northmere",
    "postcode": "nm1 1aa",
}


@pytest.fixture
def report(create_report):
    return create_report(title="Channel shift")


@pytest.fixture
def subscriber(create_organisation, create_user, auth):
    create_organisation(name="Northmere City Council", domain="northmere.gov.uk", subscribed=ACTIVE)
    user = create_user(email="sam@northmere.gov.uk", name="Sam Patel")
    auth.sign_in(user.email)
    return user


def _add_print(post_form, report, quantity="1"):
    printed = next(f.id for f in report.formats if f.kind is FormatKind.PRINT)
    return post_form(f"/reports/{report.slug}", {"format_id": str(printed), "quantity": quantity})


def _orders(app):
    with app.app_context():
        return db.session.scalars(
            select(Order).options(selectinload(Order.lines)).order_by(Order.id)
        ).all()


def test_a_subscribers_free_printed_copy_needs_no_payment(
    app, client, post_form, report, subscriber, outbox
):
    _add_print(post_form, report)
    assert post_form("/checkout", ADDRESS).headers["Location"] == "/checkout/payment"
    # Nothing to pay: the payment step is skipped.
    assert client.get("/checkout/payment").headers["Location"] == "/checkout/review"
    review = client.get("/checkout/review").get_data(as_text=True)
    assert "There is nothing to pay" in review and "NM1 1AA" in review
    placed = post_form("/checkout/review", {})
    [order] = _orders(app)
    assert placed.headers["Location"] == f"/orders/{order.reference}"
    assert order.state is OrderState.PAID and order.payment_method is PaymentMethod.FREE
    assert order.total_pence == 0 and order.delivery_postcode == "NM1 1AA"
    page = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert f"Thank you — order {order.reference} is placed" in page
    assert "1 free printed copy with your Insight subscription" in page
    # Its printed copy is still to post, so it is not yet complete; never "Paid".
    assert "Free with your subscription" in page and ">Paid<" not in page
    # The panel is shown once: coming back to the order shows it no more.
    again = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Thank you — order" not in again
    # Nothing was paid: the buyer gets the order's confirmation, never a receipt for £0.00.
    [confirmation] = outbox
    assert confirmation.subject == f"Your order {order.reference} from Socitm Insight"
    assert not confirmation.attachments
    assert "Free with your subscription. There is nothing to pay." in confirmation.body
    assert "Receipt" not in confirmation.body and "Sign in" not in confirmation.body
    with app.app_context():
        assert db.session.get(ReportFormat, order.lines[0].report_format_id).stock == 9

    # The next copy costs the standard price: the order waits for a card payment.
    _add_print(post_form, report)
    post_form("/checkout", ADDRESS)
    post_form("/checkout/payment", {"method": "card"})
    review = client.get("/checkout/review").get_data(as_text=True)
    assert "has had its 1 free copy" in review and "£175.00" in review


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("postcode", "12345", "Enter a real postcode, like SW1A 1AA"),
        ("postcode", "", "Enter a postcode"),
        ("address_line1", "", "Enter the first line of the address"),
        ("town", "x" * 101, "Town or city must be 100 characters or fewer"),
        ("name", "   ", "Enter your full name"),
    ],
)
def test_delivery_details_are_checked(
    app, client, post_form, report, subscriber, field, value, message
):
    _add_print(post_form, report)
    response = post_form("/checkout", {**ADDRESS, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page and message in page
    assert "Civic Centre" in page or field == "address_line1"  # input kept
    assert _orders(app) == []


def test_guests_give_a_valid_email(client, post_form, report):
    pdf = next(f.id for f in report.formats if f.kind is FormatKind.PDF)
    post_form(f"/reports/{report.slug}", {"format_id": str(pdf)})
    response = post_form("/checkout", {"name": "Jo", "email": "not-an-address", "organisation": ""})
    assert "Enter an email address in the correct format" in response.get_data(as_text=True)


def test_checkout_with_an_empty_basket_goes_back_to_the_basket(client):
    assert client.get("/checkout").headers["Location"] == "/basket"
    assert client.get("/checkout/review").headers["Location"] == "/basket"


def test_stock_running_out_before_placing_is_explained(app, client, post_form, report, subscriber):
    _add_print(post_form, report, "5")
    post_form("/checkout", ADDRESS)
    post_form("/checkout/payment", {"method": "card"})
    with app.app_context():
        printed = db.session.scalar(
            select(ReportFormat).where(
                ReportFormat.report_id == report.id, ReportFormat.kind == FormatKind.PRINT
            )
        )
        printed.stock = 2
        db.session.commit()
    response = post_form("/checkout/review", {})
    assert response.status_code == 409
    assert "There are not enough printed copies" in response.get_data(as_text=True)
    assert _orders(app) == []
