"""The buyer switching an unpaid order between card and invoice from its page: the open card
session is expired first, the invoice issued on credit terms or not, and every refusal leaves
the order as it was."""

import threading

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import pricing
from portal.catalogue.models import ReportFormat
from portal.documents.models import Document, DocumentKind
from portal.extensions import db
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.orders.services import Buyer, InvoiceDetails
from portal.payments import switching
from portal.payments.models import AttemptStatus
from portal.pricing import FormatKind
from tests.helpers import GUEST, PO_TO_FOLLOW

SWITCH = {
    **PO_TO_FOLLOW,
    "organisation": "Leeds City Council",
    "po_number": "PO-5521",
    "po_to_follow": "",
    "billing_organisation": "Leeds City Council, Exchequer Services",
    "billing_phone": "0113 222 4444",
}


@pytest.fixture
def report(create_report):
    return create_report(title="Transformation in practice", with_pdf=True)


def _session_id(response) -> str:
    return response.headers["Location"].rsplit("/", 1)[1]


def _stock(app, report) -> int:
    with app.app_context():
        return db.session.scalar(
            select(ReportFormat.stock).where(
                ReportFormat.report_id == report.id, ReportFormat.kind == FormatKind.PRINT
            )
        )


def _switch(post_form, order, data=None):
    path = f"/orders/{order.reference}/pay-by-invoice"
    return post_form(path, {**SWITCH, **(data or {})}, form_page=f"/orders/{order.reference}")


def test_after_a_cancelled_card_payment_the_buyer_switches_to_invoice(
    app, client, auth, create_user, post_form, checkout, standin, stored, outbox, report
):
    auth.sign_in(create_user(email=GUEST["email"]).email)  # eastbridge.gov.uk: public sector
    session_id = _session_id(checkout())
    order = stored.order()
    client.get(f"/orders/{order.reference}/payment-cancelled")
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "Pay by invoice instead" in page
    assert client.get(f"/orders/{order.reference}/pay-by-invoice").status_code == 200
    stock_before = _stock(app, report)

    switched = _switch(post_form, order)
    assert switched.headers["Location"].startswith(f"/orders/{order.reference}")
    order = stored.order()
    assert order.payment_method is PaymentMethod.INVOICE
    assert order.state is OrderState.AWAITING_INVOICE_PAYMENT
    assert (order.po_number, order.credit_terms) == ("PO-5521", "public_sector")
    assert (order.billing_organisation, order.billing_phone) == (
        "Leeds City Council, Exchequer Services",
        "0113 222 4444",
    )
    assert order.downloads_released_at is not None  # credit terms applied
    assert _stock(app, report) == stock_before  # the copies it held are still its own
    # The card session can no longer be paid.
    session = standin.client().v1.checkout.sessions.retrieve(session_id)
    assert session.status == "expired"
    assert [a.status for a in stored.attempts()] == [AttemptStatus.EXPIRED]
    # The invoice was issued and emailed.
    assert any(m.attachments and m.attachments[0][0].startswith("INV-") for m in outbox)
    assert any("switched to paying on invoice" in e.note for e in order.events)


def test_a_guest_switching_to_invoice_waits_for_approval_and_gives_back_the_copies(
    app, client, post_form, checkout, stored, report
):
    checkout(printed=2)
    order = stored.order()
    held = _stock(app, report)
    _switch(post_form, order, {"po_number": "", "po_to_follow": "y"})
    order = stored.order()
    assert order.state is OrderState.AWAITING_APPROVAL
    assert order.po_number == "" and order.credit_terms == "unverified"
    assert _stock(app, report) == held + 2  # an unverified buyer's copies wait for approval
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "waiting for our approval" in page and "Pay by card instead" in page


def test_switching_back_to_card_before_approval_opens_a_payment_page(
    app, client, post_form, checkout, stored, report
):
    checkout(printed=1)
    order = stored.order()
    _switch(post_form, order)
    assert stored.order().state is OrderState.AWAITING_APPROVAL
    waiting_stock = _stock(app, report)
    back = post_form(
        f"/orders/{order.reference}/pay-by-card", {}, form_page=f"/orders/{order.reference}"
    )
    assert back.status_code == 303 and "/pay/cs_" in back.headers["Location"]
    order = stored.order()
    assert order.state is OrderState.PENDING_PAYMENT
    assert order.payment_method is PaymentMethod.CARD and order.po_number == ""
    assert _stock(app, report) == waiting_stock - 1  # the card order holds its copy again


def test_switching_to_card_once_the_invoice_is_issued_is_refused(
    client, auth, create_user, post_form, checkout, stored
):
    auth.sign_in(create_user(email=GUEST["email"]).email)
    checkout()
    order = stored.order()
    _switch(post_form, order)
    refused = post_form(
        f"/orders/{order.reference}/pay-by-card", {}, form_page=f"/orders/{order.reference}"
    )
    assert refused.status_code == 302
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "VAT invoice has been issued" in page
    after = stored.order()
    assert after.payment_method is PaymentMethod.INVOICE
    assert after.state is OrderState.AWAITING_INVOICE_PAYMENT


def test_switching_after_paying_is_refused(client, post_form, checkout, standin, stored):
    standin.pay(_session_id(checkout()))
    order = stored.order()
    assert order.state is OrderState.PAID
    refused = client.get(f"/orders/{order.reference}/pay-by-invoice")
    assert refused.status_code == 302
    assert "cannot switch" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert _switch(post_form, order).status_code == 302
    after = stored.order()
    assert after.state is OrderState.PAID and after.payment_method is PaymentMethod.CARD


def test_a_payment_made_just_before_the_switch_is_kept(
    client, post_form, checkout, standin, stored
):
    session_id = _session_id(checkout(printed=0))
    standin.hold()  # paid at Stripe, but its event has not arrived
    standin.pay(session_id)
    order = stored.order()
    assert order.state is OrderState.PENDING_PAYMENT
    switched = _switch(post_form, order)
    page = client.get(switched.headers["Location"]).get_data(as_text=True)
    assert "Your card payment for this order has arrived" in page
    after = stored.order()
    assert after.payment_method is PaymentMethod.CARD
    assert after.state is OrderState.FULFILLED  # recorded, not switched
    standin.release()


def test_a_cancelled_order_cannot_switch(app, client, post_form, checkout, stored):
    checkout()
    order = stored.order()
    with app.app_context():
        from portal.orders import services as orders

        orders.cancel_order(db.session.get(Order, order.id), None, "Changed their mind")
        db.session.commit()
    _switch(post_form, order)
    after = stored.order()
    assert after.state is OrderState.CANCELLED and after.payment_method is PaymentMethod.CARD
    card = post_form(
        f"/orders/{order.reference}/pay-by-card", {}, form_page=f"/orders/{order.reference}"
    )
    assert "cancelled" in client.get(card.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"po_number": ""}, "Enter your purchase order number, or choose PO to follow"),
        ({"po_to_follow": "y"}, "not both"),
        ({"billing_postcode": "nowhere"}, "Enter a real postcode"),
        ({"organisation": ""}, "Enter the organisation you are ordering for"),
        ({"finance_email": "accounts"}, "Enter an email address in the correct format"),
    ],
)
def test_bad_invoice_details_change_nothing(post_form, checkout, stored, change, message):
    checkout()
    order = stored.order()
    response = _switch(post_form, order, change)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    after = stored.order()
    assert after.state is OrderState.PENDING_PAYMENT and after.payment_method is PaymentMethod.CARD


def test_someone_else_cannot_switch_the_order(app, post_form, checkout, stored):
    checkout()
    order = stored.order()
    stranger = app.test_client()
    assert stranger.get(f"/orders/{order.reference}/pay-by-invoice").status_code == 404


@pytest.mark.postgres_only
@pytest.mark.real_transactions
def test_two_switches_at_once_switch_once(app, create_report, create_order):
    report = create_report()
    with app.app_context():
        pdf = db.session.get(ReportFormat, next(f.id for f in report.formats if f.kind == "pdf"))
        order = create_order(
            [(pdf, 1)],
            buyer=Buyer("jo@eastbridge.gov.uk", "Jo Evans", "Eastbridge Council"),
            person=pricing.GUEST,
        )
        db.session.commit()
        order_id = order.id
    details = InvoiceDetails("PO-1", "Town Hall", "", "Eastbridge", "EB1 2CD", "pay@x.gov.uk")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def switch(flask_app: Flask) -> None:
        try:
            with flask_app.test_request_context():
                mine = db.session.get(Order, order_id)
                barrier.wait(timeout=10)
                try:
                    switching.switch_to_invoice(
                        mine, details, pricing.GUEST, None, order.created_at.date()
                    )
                except switching.SwitchRefused:
                    db.session.rollback()
                    outcomes.append("refused")
                else:
                    db.session.commit()
                    outcomes.append("switched")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=switch, args=(app,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(outcomes) == ["refused", "switched"]
    with app.app_context():
        invoices = db.session.scalar(
            select(func.count(Document.id)).where(
                Document.order_id == order_id, Document.kind == DocumentKind.INVOICE
            )
        )
        assert invoices == 1
        assert db.session.get(Order, order_id).state is OrderState.AWAITING_INVOICE_PAYMENT
