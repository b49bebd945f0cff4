"""Paying on invoice: choosing it at checkout, the VAT invoice, marking it paid, reminders."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal import pricing
from portal.extensions import db
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.orders.services import Buyer, InvoiceDetails
from portal.payments import invoices
from portal.pricing import GUEST, FormatKind
from tests.helpers import ADDRESS
from tests.helpers import GUEST as GUEST_DETAILS

INVOICE = {
    "method": "invoice",
    "po_number": "PO-4471",
    "billing_line1": "Finance, Town Hall",
    "billing_line2": "",
    "billing_town": "Eastbridge",
    "billing_postcode": "eb1 2cd",
    "finance_email": "accounts.payable@eastbridge.gov.uk",
}


@pytest.fixture
def invoice_checkout(post_form, report, auth, create_user):
    """Signed in with a verified address (a guest's invoice order of printed copies waits for
    approval instead): three printed copies, details, invoice payment; returns the POST
    response of choosing the payment."""
    auth.sign_in(create_user(email=GUEST_DETAILS["email"]).email)

    def run(payment: dict | None = None, details: dict | None = None):
        printed = next(f.id for f in report.formats if f.kind is FormatKind.PRINT)
        post_form(f"/reports/{report.slug}", {"format_id": str(printed), "quantity": "3"})
        post_form("/checkout", {**GUEST_DETAILS, **ADDRESS, **(details or {})})
        chosen = post_form("/checkout/payment", {**INVOICE, **(payment or {})})
        return chosen

    return run


def test_an_officer_orders_on_invoice_and_gets_the_vat_invoice(
    app, client, post_form, invoice_checkout, stored, outbox
):
    assert invoice_checkout().headers["Location"] == "/checkout/review"
    review = client.get("/checkout/review").get_data(as_text=True)
    assert "PO-4471" in review and "By invoice" in review
    placed = post_form("/checkout/review", {})
    order = stored.order()
    assert placed.headers["Location"] == f"/orders/{order.reference}"
    assert order.state is OrderState.AWAITING_INVOICE_PAYMENT
    assert order.payment_method is PaymentMethod.INVOICE
    assert (order.po_number, order.billing_postcode) == ("PO-4471", "EB1 2CD")

    # Emailed to the buyer and the finance contact, the invoice attached.
    assert sorted(m.to[0] for m in outbox) == [
        "accounts.payable@eastbridge.gov.uk",
        "jo.evans@eastbridge.gov.uk",
    ]
    filename, content, mimetype = outbox[0].attachments[0]
    assert filename.startswith("INV-") and mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)
    for expected in (filename[:-4], "PO-4471", order.reference, "Channel shift", "£525.00"):
        assert expected in text

    # And from the order page.
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "waiting for payment of its invoice" in page
    link = f"/orders/{order.reference}/documents/{filename}"
    assert link in page
    with client.get(link) as download:
        assert download.status_code == 200 and download.data == content


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"po_number": ""}, "Enter your purchase order number"),
        ({"po_number": "x" * 65}, "Purchase order number must be 64 characters or fewer"),
        ({"finance_email": "accounts"}, "Enter an email address in the correct format"),
        ({"billing_postcode": "nowhere"}, "Enter a real postcode"),
        ({"method": ""}, "Choose how you would like to pay"),
        ({"method": "cheque"}, "Not a valid choice"),
    ],
)
def test_invoice_details_are_checked(invoice_checkout, stored, change, message):
    response = invoice_checkout(change)
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    assert stored.order() is None


def test_paying_on_invoice_needs_an_organisation(invoice_checkout, stored):
    response = invoice_checkout(details={"organisation": ""})
    assert "To pay by invoice, give the organisation" in response.get_data(as_text=True)
    assert stored.order() is None


def test_someone_elses_invoice_is_not_found(app, client, post_form, invoice_checkout, stored):
    invoice_checkout()
    post_form("/checkout/review", {})
    order = stored.order()
    with app.app_context():
        from portal.documents.services import documents_for

        number = documents_for(db.session.get(Order, order.id))[0].number
    stranger = app.test_client()
    assert stranger.get(f"/orders/{order.reference}/documents/{number}.pdf").status_code == 404
    assert client.get(f"/orders/{order.reference}/documents/INV-999999.pdf").status_code == 404


def _invoice_order(create_order, today=date(2026, 11, 2)) -> Order:
    order = create_order(
        buyer=Buyer("finance@leeds.gov.uk", "Lee Ds", "Leeds City Council"),
        person=GUEST,
        on=today,
        method=PaymentMethod.INVOICE,
        invoice=InvoiceDetails("PO-1", "Civic Hall", "", "Leeds", "LS1 1UR", "ap@leeds.gov.uk"),
    )
    invoices.issue_invoice_for(order, today)
    return order


def test_marking_paid_releases_downloads_and_sends_the_receipt(
    ctx, create_order, create_user, outbox
):
    order = _invoice_order(create_order)
    admin = create_user(is_admin=True)
    invoices.mark_invoice_paid(order, date(2026, 11, 20), "BACS 99812", admin.id)
    db.session.commit()
    assert order.state is OrderState.FULFILLED
    assert order.events[-2].note == "Invoice paid on 20 November 2026, reference BACS 99812"
    assert order.events[-2].actor_user_id == admin.id
    assert any(m.subject.startswith("Receipt RCT-") for m in outbox)
    with pytest.raises(invoices.AlreadyPaid):
        invoices.mark_invoice_paid(order, date(2026, 11, 21), "again", admin.id)


def test_downloads_can_be_released_before_payment(ctx, create_order):
    order = _invoice_order(create_order)
    invoices.release_downloads_early(order, None)
    assert order.downloads_released_at is not None
    assert order.state is OrderState.AWAITING_INVOICE_PAYMENT
    assert order.events[-1].note == "Credit approved: released before the invoice is paid"


def test_an_order_released_on_credit_is_still_reminded_until_paid(
    ctx, create_order, public_sector_domains, outbox
):
    order = create_order(
        buyer=Buyer("lee@leeds.gov.uk", "Lee Oddie", "Leeds City Council"),
        person=pricing.Person(signed_in=True, email_verified=True),
        on=date(2026, 10, 1),
        method=PaymentMethod.INVOICE,
        invoice=InvoiceDetails("", "Civic Hall", "", "Leeds", "LS1 1UR", "ap@leeds.gov.uk"),
    )
    assert order.downloads_released_at is not None and order.credit_terms == "public_sector"
    invoices.issue_invoice_for(order, date(2026, 10, 1))
    db.session.commit()
    assert invoices.send_reminders(date(2026, 10, 31)) == [order.reference]


@pytest.mark.parametrize(
    ("days_since_invoice", "last_reminder_days_ago", "due"),
    [
        (29, None, False),
        (30, None, True),
        (31, None, True),  # a missed day is caught up
        (30, 0, False),  # already reminded today
        (43, 13, False),
        (44, 14, True),
        (58, 14, True),
        (60, 2, False),
    ],
)
def test_reminders_go_on_the_right_days(days_since_invoice, last_reminder_days_ago, due):
    invoiced = date(2026, 1, 15)
    today = invoiced + timedelta(days=days_since_invoice)
    last = (
        None if last_reminder_days_ago is None else today - timedelta(days=last_reminder_days_ago)
    )
    assert invoices.reminder_due(invoiced, last, today) is due


def test_send_reminders_reminds_each_late_invoice_once_a_fortnight(ctx, create_order, outbox):
    order = _invoice_order(create_order, today=date(2026, 10, 1))
    paid = _invoice_order(create_order, today=date(2026, 10, 1))
    invoices.mark_invoice_paid(paid, date(2026, 10, 5), "BACS 1", None)
    db.session.commit()
    outbox.clear()

    assert invoices.send_reminders(date(2026, 10, 30)) == []
    assert invoices.send_reminders(date(2026, 10, 31)) == [order.reference]
    db.session.commit()
    assert invoices.send_reminders(date(2026, 10, 31)) == []  # twice the same day
    assert invoices.send_reminders(date(2026, 11, 14)) == [order.reference]
    db.session.commit()
    reminders = [m for m in outbox if m.subject.startswith("Reminder")]
    assert len(reminders) == 4  # two days, to the buyer and the finance contact
    assert reminders[0].attachments[0][0].startswith("INV-")


def test_the_reminders_command(runner, app, create_order):
    with app.app_context():
        order = _invoice_order(create_order, today=date(2026, 10, 1))
        db.session.commit()
        reference = order.reference
    result = runner.invoke(args=["send-reminders", "--today", "2026-10-31"])
    assert result.exit_code == 0, result.output
    assert reference in result.output
    with app.app_context():
        stored_order = db.session.scalar(select(Order).where(Order.reference == reference))
        assert stored_order.last_reminded_on == date(2026, 10, 31)
