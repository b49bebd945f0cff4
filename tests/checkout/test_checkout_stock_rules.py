"""Checkout and the stock rules: an invoice order from an unverified address waits for approval
(and says so), printed copies are capped per address per day, and a report withdrawn from sale
never becomes an order."""

import pytest
from sqlalchemy import func, select

from portal.catalogue.models import Report, ReportFormat
from portal.extensions import db
from portal.orders.models import Order, OrderState
from portal.pricing import FormatKind
from tests.helpers import ADDRESS, GUEST

INVOICE = {
    "method": "invoice",
    "po_number": "PO-4471",
    "billing_line1": "Finance, Town Hall",
    "billing_line2": "",
    "billing_town": "Eastbridge",
    "billing_postcode": "EB1 2CD",
    "finance_email": "accounts.payable@eastbridge.gov.uk",
}


@pytest.fixture
def report(create_report):
    return create_report(
        title="Channel shift",
        with_pdf=True,
        formats=[
            ReportFormat(kind=FormatKind.PDF, price_pence=14_500, subscriber_price_pence=0),
            ReportFormat(kind=FormatKind.PRINT, price_pence=17_500, stock=100),
        ],
    )


@pytest.fixture
def to_review(post_form, report):
    """As the client's person: printed copies in the basket, details and payment chosen."""

    def run(printed: int = 3, payment: dict | None = None, details: dict | None = None):
        format_id = next(f.id for f in report.formats if f.kind is FormatKind.PRINT)
        post_form(f"/reports/{report.slug}", {"format_id": str(format_id), "quantity": printed})
        post_form("/checkout", {**GUEST, **ADDRESS, **(details or {})})
        post_form("/checkout/payment", payment or {"method": "card"})

    return run


def _stock(app, report) -> int:
    with app.app_context():
        return db.session.scalar(
            select(ReportFormat.stock).where(
                ReportFormat.report_id == report.id, ReportFormat.kind == FormatKind.PRINT
            )
        )


def _orders(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def test_a_guests_invoice_order_waits_for_approval_and_says_so(
    app, client, post_form, to_review, stored, report, outbox
):
    to_review(printed=3, payment=INVOICE)
    review = client.get("/checkout/review").get_data(as_text=True)
    assert "this order will wait for our approval before we email the VAT invoice" in review
    placed = post_form("/checkout/review", {})
    order = stored.order()
    assert placed.headers["Location"] == f"/orders/{order.reference}"
    assert order.state is OrderState.AWAITING_APPROVAL
    assert _stock(app, report) == 100

    page = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Waiting for approval" in page
    assert "approve" in page.lower() and "before we send your invoice" in page
    # No invoice yet (it is issued on approval); the buyer is told the order waits.
    [email] = outbox
    assert email.to == [GUEST["email"]]
    assert not email.attachments
    assert "waiting for approval" in email.body


def test_a_second_order_the_same_day_over_the_cap_is_refused(
    app, client, post_form, to_review, stored, report
):
    to_review(printed=15)
    review = client.get("/checkout/review").get_data(as_text=True)
    assert "Your printed copies are kept for you for 30 minutes while you pay" in review
    assert post_form("/checkout/review", {}).status_code == 303
    first = stored.order()
    to_review(printed=10, details={"email": GUEST["email"].upper()})
    response = post_form("/checkout/review", {})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "You can order up to 20 printed copies of “Channel shift” a day" in page
    assert "15 already ordered today" in page
    assert stored.order().id == first.id
    assert _stock(app, report) == 85


def test_a_report_withdrawn_during_checkout_is_not_ordered(
    app, client, post_form, to_review, report
):
    to_review(printed=3)
    with app.app_context():
        db.session.get(Report, report.id).is_published = False
        db.session.commit()
    response = post_form("/checkout/review", {}, form_page="/sign-in")
    assert response.status_code == 302 and response.headers["Location"] == "/basket"
    page = client.get("/basket").get_data(as_text=True)
    assert "“Channel shift” (Printed copy) is no longer for sale" in page
    assert "Your basket is empty" in page
    assert _orders(app) == 0
    assert _stock(app, report) == 100
