"""The VAT invoice: what it says, issued once per order."""

import pytest
from sqlalchemy import select

from portal.documents import services
from portal.documents.models import Document, DocumentKind
from portal.extensions import db
from portal.orders.models import PaymentMethod
from portal.orders.services import cancel_order
from portal.pricing import FormatKind
from tests.documents.helpers import TODAY, format_of, pdf_metadata, pdf_text


def test_the_invoice_pdf_has_what_a_vat_invoice_needs(ctx, place_guest_order):
    order = place_guest_order()
    invoice = services.issue_invoice(order, TODAY)

    assert (invoice.kind, invoice.number, invoice.sequence_number) == (
        DocumentKind.INVOICE,
        "INV-000001",
        1,
    )
    assert (invoice.order_id, invoice.issued_on, invoice.total_pence) == (order.id, TODAY, 49_500)
    text = pdf_text(invoice.pdf)
    for expected in [
        "VAT invoice",
        "INV-000001",
        "Date of issue 26 November 2026",
        "Tax point 26 November 2026",
        "Socitm Limited",
        "Briefing House, 1 Example Street",
        "VAT registration number: GB 000 0000 00",
        "Jo Evans",
        "Eastbridge Council",
        "Finance Department, Civic Centre",
        "EB1 2CD",
        "PO-77123",
        order.reference,
        f"{order.lines[0].report_title} (PDF download) 1 £145.00 £145.00 0% £0.00 £145.00",
        f"{order.lines[1].report_title} (printed copy) 2 £175.00 £350.00 0% £0.00 £350.00",
        "Total excluding VAT £495.00",
        "VAT £0.00",
        "Total due £495.00",
        "Payment due within 30 days, by 26 December 2026",
        "Account name Socitm Limited",
        "Sort code 00-00-00",
        "Account number 00000000",
        "Payment reference INV-000001",
        "Use INV-000001 as the payment reference",
    ]:
        assert expected in text
    metadata = pdf_metadata(invoice.pdf)
    assert metadata.title == "VAT invoice INV-000001"
    assert metadata.author == "Socitm Limited"


def test_the_supplier_and_bank_come_from_the_configuration(
    app, ctx, place_guest_order, monkeypatch
):
    for key, value in {
        "SUPPLIER_NAME": "Socitm Ltd",
        "SUPPLIER_ADDRESS": "Socitm Ltd\\nUnit 7, Other Road\\nBedford\\nMK40 1AA",
        "SUPPLIER_VAT_NUMBER": "GB 123 4567 89",
        "BANK_ACCOUNT_NAME": "Socitm Ltd Insight",
        "BANK_SORT_CODE": "12-34-56",
        "BANK_ACCOUNT_NUMBER": "87654321",
        "INVOICE_PAYMENT_DAYS": 14,
        "SUPPLIER_COMPANY_NUMBER": "SC123456",
        "SUPPLIER_REGISTERED_OFFICE": "2 Other Street\\nBedford\\nMK40 1AA",
        "BANK_IBAN": "GB29 NWBK 6016 1331 9268 19",
        "BANK_BIC": "NWBKGB2L",
        "REMITTANCE_EMAIL": "remittances@socitm.example",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    text = pdf_text(services.issue_invoice(place_guest_order(), TODAY).pdf)
    for expected in [
        "Socitm Ltd Unit 7, Other Road Bedford MK40 1AA",
        "GB 123 4567 89",
        "Account name Socitm Ltd Insight",
        "Sort code 12-34-56",
        "Account number 87654321",
        "Payment due within 14 days, by 10 December 2026",
        "Company number: SC123456",
        "Registered office: 2 Other Street, Bedford, MK40 1AA",
        "IBAN GB29 NWBK 6016 1331 9268 19",
        "BIC NWBKGB2L",
        "Please email remittance advice to remittances@socitm.example.",
    ]:
        assert expected in text


def test_vat_postage_and_free_subscriber_copies_are_shown(
    ctx, standard_rate_report, place_guest_order
):
    report = standard_rate_report
    order = place_guest_order(
        [(format_of(report, FormatKind.PDF), 3), (format_of(report, FormatKind.PRINT), 1)]
    )
    text = pdf_text(services.issue_invoice(order, TODAY).pdf)
    assert "(PDF download) 3 £100.00 £300.00 20% £60.00 £360.00" in text
    assert "Postage and packing - - £4.50 0% £0.00 £4.50" in text
    assert "Total excluding VAT £479.50 VAT £60.00 Total due £539.50" in text


def test_an_order_is_invoiced_once(ctx, place_guest_order):
    order = place_guest_order()
    first = services.issue_invoice(order, TODAY)
    again = services.issue_invoice(order, TODAY.replace(day=27))
    assert again.id == first.id
    assert services.issue_invoice(place_guest_order(), TODAY).number == "INV-000002"
    assert db.session.scalars(select(Document.number)).all() == ["INV-000001", "INV-000002"]


def test_only_invoice_orders_get_an_invoice(ctx, place_guest_order):
    with pytest.raises(services.DocumentRefused):
        services.issue_invoice(place_guest_order(method=PaymentMethod.CARD), TODAY)
    assert services.take_number(DocumentKind.INVOICE) == 1  # no number was used up


def test_a_cancelled_order_is_not_invoiced(ctx, place_guest_order):
    order = place_guest_order()
    cancel_order(order, None, "Ordered twice")
    with pytest.raises(services.DocumentRefused):
        services.issue_invoice(order, TODAY)


def test_documents_of_an_order_are_listed_and_found_by_number(ctx, place_guest_order):
    order, other = place_guest_order(), place_guest_order()
    invoice = services.issue_invoice(order, TODAY)
    other_invoice = services.issue_invoice(other, TODAY)
    assert services.documents_for(order) == [invoice]
    assert services.find_document(order, "INV-000001") is invoice
    assert services.find_document(order, " inv-000001 ") is invoice
    assert services.find_document(order, other_invoice.number) is None
    assert invoice.filename == "INV-000001.pdf"
