"""Receipts for paid orders, and credit notes that correct an invoice or a receipt."""

from datetime import date

import pytest

from portal.documents import services
from portal.documents.models import DocumentKind
from portal.orders import states
from portal.orders.models import PaymentMethod
from portal.orders.services import Buyer
from portal.organisations.services import person_for
from portal.pricing import FormatKind
from tests.documents.helpers import TODAY, format_of, pdf_metadata, pdf_text

LATER = date(2026, 12, 10)


def test_a_card_order_gets_a_receipt_once_it_is_paid(ctx, place_guest_order):
    order = place_guest_order(method=PaymentMethod.CARD)
    with pytest.raises(services.DocumentRefused):
        services.issue_receipt(order, TODAY)
    states.mark_paid(order, None, "Paid by card")
    receipt = services.issue_receipt(order, TODAY)
    assert (receipt.number, receipt.total_pence) == ("RCT-000001", 49_500)
    assert services.issue_receipt(order, LATER).id == receipt.id
    text = pdf_text(receipt.pdf)
    for expected in [
        "Receipt",
        "RCT-000001",
        order.reference,
        "Tax point 26 November 2026",
        "VAT registration number: GB 000 0000 00",
        "Total paid £495.00",
        "Paid in full by card: £495.00",
    ]:
        assert expected in text
    assert "How to pay" not in text
    assert "Purchase order" not in text


def test_the_receipt_of_an_invoice_order_names_the_invoice(ctx, place_guest_order):
    order = place_guest_order()
    invoice = services.issue_invoice(order, TODAY)
    states.mark_paid(order, None, "Bank transfer arrived")
    text = pdf_text(services.issue_receipt(order, LATER).pdf)
    assert f"Paid in full by bank transfer against VAT invoice {invoice.number}: £495.00" in text
    assert "Purchase order PO-77123" in text


def test_a_free_subscriber_order_gets_no_receipt_for_nothing(
    ctx, create_organisation, create_user, create_order
):
    """No money was received, so there is nothing to give a receipt for: the order has its
    confirmation instead, and no receipt number is taken."""
    create_organisation(
        name="Northmere", domain="northmere.gov.uk", subscribed=(date(2026, 4, 1), LATER)
    )
    user = create_user(email="sam@northmere.gov.uk", name="Sam Lee")
    order = create_order(buyer=Buyer.from_user(user), person=person_for(user, TODAY), on=TODAY)
    assert order.payment_method is PaymentMethod.FREE
    with pytest.raises(services.DocumentRefused, match="cost nothing"):
        services.issue_receipt(order, TODAY)
    assert services.documents_for(order) == []


def test_a_credit_note_corrects_the_original_document(ctx, place_guest_order):
    order = place_guest_order()
    invoice = services.issue_invoice(order, TODAY)
    credit = services.issue_credit_note(invoice, 17_500, LATER, "One printed copy returned")
    assert (credit.kind, credit.number, credit.total_pence) == (
        DocumentKind.CREDIT_NOTE,
        "CRN-000001",
        -17_500,
    )
    assert (credit.order_id, credit.credits_document_id) == (order.id, invoice.id)
    assert services.documents_for(order) == [invoice, credit]
    text = pdf_text(credit.pdf)
    for expected in [
        "Credit note",
        "CRN-000001",
        "Corrects INV-000001",
        "Date of issue 10 December 2026",
        order.reference,
        "Purchase order PO-77123",
        "Credit against VAT invoice INV-000001",
        "One printed copy returned",
        "-£175.00 0% £0.00 -£175.00",
        "Total credited -£175.00",
        "This credit note corrects VAT invoice INV-000001, issued on 26 November 2026 for £495.00",
        "Amount credited: £175.00",
        "VAT registration number: GB 000 0000 00",
    ]:
        assert expected in text


def test_credit_notes_never_credit_more_than_the_original(ctx, place_guest_order):
    order = place_guest_order(method=PaymentMethod.CARD)
    states.mark_paid(order, None, "Paid by card")
    receipt = services.issue_receipt(order, TODAY)
    services.issue_credit_note(receipt, 40_000, LATER, "Partial refund")
    for amount in (9_501, 0, -100):
        with pytest.raises(services.DocumentRefused):
            services.issue_credit_note(receipt, amount, LATER, "Too much")
    last = services.issue_credit_note(receipt, 9_500, LATER, "The rest")
    assert last.number == "CRN-000002"
    with pytest.raises(services.DocumentRefused):
        services.issue_credit_note(last, 100, LATER, "A credit of a credit")
    with pytest.raises(TypeError):
        services.issue_credit_note(receipt, 1.5, LATER, "Floats are not money")


def test_a_credit_note_takes_back_its_share_of_vat(ctx, create_report, place_guest_order):
    from portal.catalogue.models import ReportFormat

    report = create_report(
        formats=[ReportFormat(kind=FormatKind.PDF, price_pence=10_000, vat_rate_basis_points=2_000)]
    )
    order = place_guest_order([(format_of(report, FormatKind.PDF), 1)])
    invoice = services.issue_invoice(order, TODAY)
    half = pdf_text(services.issue_credit_note(invoice, 6_000, LATER, "Half").pdf)
    assert "-£50.00 20% -£10.00 -£60.00" in half
    assert "Total excluding VAT -£50.00 VAT -£10.00 Total credited -£60.00" in half


def test_the_number_replaces_the_stand_in_the_pdf_was_drawn_with(ctx, place_guest_order):
    order = place_guest_order(method=PaymentMethod.CARD)
    states.mark_paid(order, None, "Paid by card")
    receipt = services.issue_receipt(order, TODAY)
    assert b"RCT-000000" not in receipt.pdf
    assert "Receipt RCT-000001" in pdf_text(receipt.pdf)
    assert pdf_metadata(receipt.pdf).title == "Receipt RCT-000001"


def test_text_that_looks_like_the_stand_in_is_printed_as_it_is(ctx, place_guest_order):
    order = place_guest_order(po_number="INV-000000")
    text = pdf_text(services.issue_invoice(order, TODAY).pdf)
    assert "INV-000001" in text and "INV-000000" in text
    order.po_number = "RCT-000000"
    states.mark_paid(order, None, "Paid by transfer")
    text = pdf_text(services.issue_receipt(order, TODAY).pdf)
    assert "RCT-000001" in text and "RCT-000000" in text
