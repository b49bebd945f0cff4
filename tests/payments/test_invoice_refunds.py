"""Refunding and crediting lines of invoice orders: an invoice paid by bank transfer is refunded
by bank transfer (recorded with its date and reference); an invoice not yet paid is credited,
so that less is owed. Each issues a credit note against the invoice, copied to the finance
contact, as every document of an invoice order is."""

import pytest
from sqlalchemy import select

from portal.catalogue.models import ReportFormat
from portal.clock import long_date, today_in_london
from portal.documents import services as documents
from portal.documents.models import Document, DocumentKind
from portal.extensions import db
from portal.orders.models import Order, OrderEvent, OrderState, PaymentMethod
from portal.orders.services import Delivery, InvoiceDetails
from portal.payments import cancellation, invoices, refunds
from portal.payments.models import FinanceContact, InvoicePayment, RefundMethod, RefundStatus
from portal.pricing import FormatKind
from tests.documents.helpers import pdf_text
from tests.payments.helpers import (
    BUYER,
    FINANCE,
    VERIFIED,
    Office,
    credit_notes,
    order_now,
    refunds_made,
    stock_of,
)


@pytest.fixture
def office(app, create_user):
    return Office.signed_in(app, create_user(is_admin=True))


def _emails(outbox, start: str) -> list:
    return [m for m in outbox if m.subject.startswith(start)]


def _download(client, placed, line_id: int) -> int:
    response = client.get(f"/downloads/{line_id}?token={placed.token}")
    response.close()
    return response.status_code


def test_an_invoice_paid_by_bank_transfer_is_refunded_by_line(
    app, client, office, invoice_order, outbox
):
    placed = invoice_order(paid=True)
    assert _download(client, placed, placed.pdf) == 200
    assert "Refund this order" in office.order_page(placed.reference)
    page = office.page(placed.reference).get_data(as_text=True)
    assert "Paid by bank transfer" in page and "£495.00" in page
    assert "Bank transfer reference" in page

    missing = office.choose(placed.reference, {placed.pdf: None}, "Wrong report")
    text = missing.get_data(as_text=True)
    assert "Enter the date the bank transfer was sent" in text
    assert "Enter the bank transfer reference" in text
    assert refunds_made(app) == []

    sent_on = today_in_london()
    bank = {"refunded_on": sent_on.isoformat(), "bank_reference": "REFUND-77"}
    shown = office.choose(placed.reference, {placed.pdf: None}, "Wrong report", **bank)
    assert "Refund £145.00" in shown.get_data(as_text=True)
    assert "By bank transfer sent on" in shown.get_data(as_text=True)
    assert refunds_made(app) == []

    outbox.clear()
    assert (
        office.refund(placed.reference, {placed.pdf: None}, "Wrong report", **bank).status_code
        == 303
    )
    (made,) = refunds_made(app)
    assert (made.method, made.status, made.amount_pence) == (
        RefundMethod.BANK_TRANSFER,
        RefundStatus.SUCCEEDED,
        14_500,
    )
    assert (made.refunded_on, made.bank_reference) == (sent_on, "REFUND-77")
    assert _download(client, placed, placed.pdf) == 410
    (note,) = credit_notes(app)
    text = pdf_text(note.pdf)
    assert note.number in text and placed.invoice in text and placed.title in text
    assert note.total_pence == -14_500
    for address in (BUYER, FINANCE):
        (email,) = [m for m in _emails(outbox, "Refund of £145.00") if m.to == [address]]
        assert "by bank transfer" in email.body and "REFUND-77" in email.body
        assert email.attachments[0][0] == f"{note.number}.pdf"
    with app.app_context():
        notes = db.session.scalars(
            select(OrderEvent.note).where(
                OrderEvent.order_id == placed.id, OrderEvent.note.startswith("Refund of")
            )
        ).all()
    transfer = f"by bank transfer on {long_date(sent_on)}, reference REFUND-77"
    assert notes == [f"Refund of £145.00 {transfer}: Wrong report"]
    assert order_now(app, placed.id).state is OrderState.PAID  # the printed copies still go


def test_an_unpaid_invoice_is_credited_by_line_and_less_is_owed(
    app, client, office, invoice_order, outbox
):
    placed = invoice_order(released=True)
    stock = stock_of(app, placed.format)
    assert "Credit lines against the invoice" in office.order_page(placed.reference)
    page = office.page(placed.reference).get_data(as_text=True)
    assert "Still owed" in page and "£495.00" in page and "Bank transfer" not in page

    shown = office.choose(placed.reference, {placed.printed: 1}, "One copy too many")
    assert "Credit £175.00" in shown.get_data(as_text=True)
    assert "£320.00 will then be owed" in shown.get_data(as_text=True)

    outbox.clear()
    assert (
        office.refund(placed.reference, {placed.printed: 1}, "One copy too many").status_code == 303
    )
    (made,) = refunds_made(app)
    assert (made.method, made.status, made.amount_pence) == (
        RefundMethod.CREDIT,
        RefundStatus.SUCCEEDED,
        17_500,
    )
    assert stock_of(app, placed.format) == stock + 1
    order = order_now(app, placed.id)
    assert order.state is OrderState.AWAITING_INVOICE_PAYMENT
    (note,) = credit_notes(app)
    assert note.total_pence == -17_500
    with app.app_context():
        stored = db.session.get(Order, placed.id)
        assert refunds.refundable_pence(stored) == 32_000
        invoice = documents.first_of_kind(stored, DocumentKind.INVOICE)
        assert note.credits_document_id == invoice.id
        assert documents.left_to_credit(invoice) == 32_000
    assert {m.to[0] for m in _emails(outbox, "Credit of £175.00")} == {BUYER, FINANCE}
    assert _download(client, placed, placed.pdf) == 200  # the PDF was not credited

    everything = office.refund(
        placed.reference, {placed.pdf: None, placed.printed: 1}, "All of it", key="k" * 32
    )
    assert (
        "That credits everything still owed on the invoice: cancel the order instead, "
        "which credits the whole invoice."
    ) in everything.get_data(as_text=True)
    assert len(refunds_made(app)) == 1

    outbox.clear()
    with app.test_request_context():
        stored = db.session.get(Order, placed.id)
        invoices.mark_invoice_paid(stored, today_in_london(), "BACS-IN-2", None)
        db.session.commit()
        paid = db.session.scalar(select(InvoicePayment).where(InvoicePayment.order_id == placed.id))
        assert paid.amount_pence == 32_000  # what was still owed
        # What was received is what is left to refund, not the order's total.
        received = refunds.summary(stored)
        assert (received.method, received.paid_pence, received.left_pence) == (
            RefundMethod.BANK_TRANSFER,
            32_000,
            32_000,
        )
        receipt = documents.first_of_kind(stored, DocumentKind.RECEIPT)
        assert receipt.total_pence == 32_000  # a receipt is for the money received
        text = pdf_text(receipt.pdf)
    assert f"Credit note {note.number}: {placed.title} (printed copy)" in text
    assert "-£175.00" in text and "£320.00" in text and "£495.00" not in text.split("Total paid")[1]
    assert "Paid in full by bank transfer against VAT invoice" in text
    emails = _emails(outbox, f"Receipt {receipt.number}")
    assert sorted(m.to[0] for m in emails) == sorted([BUYER, FINANCE])
    for email in emails:
        assert "We have received your payment of £320.00" in email.body
        assert "Credited before payment: £175.00" in email.body and "Paid: £320.00" in email.body
        assert "£495.00" in email.body  # the order's total, before the credit


def test_a_credited_pdf_loses_access(app, client, office, invoice_order):
    placed = invoice_order(released=True)
    assert _download(client, placed, placed.pdf) == 200
    office.refund(placed.reference, {placed.pdf: None}, "Not wanted")
    gone = client.get(f"/downloads/{placed.pdf}?token={placed.token}")
    assert gone.status_code == 410 and "refunded" in gone.get_data(as_text=True)


def test_the_receipt_of_an_invoice_order_goes_to_the_finance_contact_too(
    app, invoice_order, outbox
):
    invoice_order(paid=True)
    receipts = _emails(outbox, "Receipt RCT-")
    assert sorted(m.to[0] for m in receipts) == sorted([BUYER, FINANCE])
    assert all(m.attachments[0][0].startswith("RCT-") for m in receipts)


def test_the_change_button_goes_back_to_the_choice_as_it_was(app, office, invoice_order):
    placed = invoice_order(released=True)
    back = office.choose(placed.reference, {placed.printed: 1}, "One copy too many", change="1")
    page = back.get_data(as_text=True)
    assert "Which lines do you want to credit?" in page
    assert f'name="quantity-{placed.printed}" type="text" value="1"' in page
    assert "One copy too many" in page
    assert refunds_made(app) == []


def test_postage_is_credited_when_chosen_and_printed_on_the_credit_note(
    app, create_report, create_order
):
    report = create_report(
        formats=[
            ReportFormat(kind=FormatKind.PDF, price_pence=14_500, subscriber_price_pence=0),
            ReportFormat(kind=FormatKind.PRINT, price_pence=17_500, stock=10, postage_pence=350),
        ]
    )
    today = today_in_london()
    with app.test_request_context():
        order = create_order(
            report=report,
            pdf=1,
            prints=1,
            method=PaymentMethod.INVOICE,
            person=VERIFIED,
            on=today,
            delivery=Delivery("Jo Evans", "Town Hall", "", "Eastbridge", "EB1 2CD"),
            invoice=InvoiceDetails("PO-9", "Town Hall", "", "Eastbridge", "EB1 2CD", FINANCE),
        )
        invoices.issue_invoice_for(order, today)
        printed = next(line for line in order.lines if line.format_kind == "print")
        made = refunds.request_refund(
            order, {printed.id: 1}, "Not wanted", None, request_key="k" * 32, postage=True
        )
        assert (made.amount_pence, made.postage_pence) == (17_850, 350)
        note = db.session.get(Document, made.credit_note_id)
        assert note.total_pence == -17_850
        assert "Postage and packing" in pdf_text(note.pdf)
        with pytest.raises(refunds.RefundRefused, match="postage has already been refunded"):
            refunds.check_choice(order, {}, True)


def test_only_the_orders_own_bank_transfer_makes_it_refunded_by_bank_transfer(app, invoice_order):
    paid = invoice_order(paid=True)
    unpaid = invoice_order()
    with app.test_request_context():
        owed = refunds.summary(db.session.get(Order, unpaid.id))
        assert (owed.method, owed.paid_pence, owed.left_pence) == (RefundMethod.CREDIT, 0, 49_500)
        # Paid, then cancelled: the transfer received is what is refunded, in full.
        order = db.session.get(Order, paid.id)
        cancellation.cancel_order(order, None, "No longer needed", today_in_london())
        received = refunds.summary(order)
        assert (received.method, received.paid_pence) == (RefundMethod.BANK_TRANSFER, 49_500)
        assert refunds.refusal(order) is None


def test_the_refund_email_to_an_unconfirmed_finance_contact_counts_against_todays_emails(
    app, invoice_order, create_user
):
    placed = invoice_order(paid=True)
    clerk = create_user(is_admin=True)
    with app.test_request_context():
        contact = db.session.scalar(select(FinanceContact).where(FinanceContact.email == FINANCE))
        contact.emails_on, contact.emails_that_day = None, 0  # nothing sent to it yet today
        refunds.request_refund(
            db.session.get(Order, placed.id),
            {placed.pdf: 1},
            "Wrong report",
            clerk,
            request_key="key-1",
            refunded_on=today_in_london(),
            bank_reference="REFUND-1",
        )
        assert (contact.emails_on, contact.emails_that_day) == (today_in_london(), 1)
