"""What finance officers look for on a document: the company's number and registered office,
IBAN and BIC beside the sort code, where to send remittance advice, zero-rated supplies named as
such, and the invoice number as the payment reference; all from the configuration."""

import re
from datetime import date

import pytest

from portal.documents import services
from portal.documents.pdf import render_document
from portal.documents.printed import (
    BankAccount,
    InvoiceTerms,
    Line,
    VatBand,
)
from portal.extensions import db
from portal.orders import states
from portal.orders.models import PaymentMethod
from portal.payments import invoices
from portal.pricing import FormatKind
from tests.documents.helpers import TODAY, format_of, pdf_text, sample_receipt

SUPPLIER_FACTS = [
    "Company number: 00000000",
    "Registered office: Briefing House, 1 Example Street, Northampton NN1 1AA",
    "Socitm Limited - company number 00000000 - VAT registration number GB 000 0000 00",
]


def test_an_invoice_prints_every_detail_a_finance_officer_pays_by(ctx, place_guest_order):
    invoice = services.issue_invoice(place_guest_order(), TODAY)
    text = pdf_text(invoice.pdf)
    for expected in [
        *SUPPLIER_FACTS,
        "Account name Socitm Limited",
        "Sort code 00-00-00",
        "Account number 00000000",
        "IBAN GB46 DEMO 0000 0000 0000 00",
        "BIC DEMOGB2L",
        "Payment reference INV-000001",
        "Use INV-000001 as the payment reference.",
        "Please email remittance advice to finance@socitm.example.",
        "VAT summary Net VAT Zero-rated (0%) £495.00 £0.00",
    ]:
        assert expected in text
    # The number was printed in place of the stand-in everywhere it appears.
    assert b"INV-000000" not in invoice.pdf
    assert "INV-000000" not in text


def test_receipts_and_credit_notes_name_the_company_too(ctx, place_guest_order):
    order = place_guest_order(method=PaymentMethod.CARD)
    states.mark_paid(order, None, "Paid by card")
    receipt = services.issue_receipt(order, TODAY)
    credit_note = services.issue_credit_note(receipt, 14_500, TODAY, "PDF not wanted")
    for document in (receipt, credit_note):
        text = pdf_text(document.pdf)
        for expected in SUPPLIER_FACTS:
            assert expected in text
        # Only an invoice asks to be paid.
        assert "IBAN" not in text and "remittance" not in text
    assert "Zero-rated (0%) -£145.00 £0.00" in pdf_text(credit_note.pdf)


def test_the_vat_summary_adds_up_each_rate(ctx, standard_rate_report, place_guest_order):
    report = standard_rate_report
    order = place_guest_order(
        [(format_of(report, FormatKind.PDF), 3), (format_of(report, FormatKind.PRINT), 1)]
    )
    text = pdf_text(services.issue_invoice(order, TODAY).pdf)
    # The printed copy and its postage are zero-rated; the PDFs at the standard rate.
    assert (
        "VAT summary Net VAT Zero-rated (0%) £179.50 £0.00 Standard rate (20%) £300.00 £60.00"
        in text
    )


@pytest.mark.parametrize(
    ("rate", "label"),
    [
        (0, "Zero-rated (0%)"),
        (500, "Reduced rate (5%)"),
        (2000, "Standard rate (20%)"),
        (1750, "17.5%"),
        (None, "Mixed rates"),
    ],
)
def test_each_vat_rate_is_named(rate, label):
    assert VatBand(rate, 100, 0).label == label


def test_bands_are_lowest_rate_first_and_mixed_rates_last():
    lines = tuple(
        Line("x", 1, 100, 100, rate, vat, 100 + vat)
        for rate, vat in ((2000, 20), (None, 5), (0, 0), (2000, 20))
    )
    assert sample_receipt(lines=lines).vat_bands == (
        VatBand(0, 100, 0),
        VatBand(2000, 200, 40),
        VatBand(None, 100, 5),
    )


def test_details_not_given_are_left_out_rather_than_printed_empty():
    terms = InvoiceTerms(30, date(2026, 12, 26), BankAccount("Socitm", "00-00-00", "1"))
    text = pdf_text(render_document(sample_receipt(number="INV-000045", payment=terms)))
    for absent in ("IBAN", "BIC", "remittance", "Company number", "Registered office"):
        assert absent not in text
    assert "Payment reference INV-000045" in text
    assert "Use INV-000045 as the payment reference." in text


def test_the_invoice_email_and_order_page_give_the_invoice_number_as_the_reference(
    ctx, client, place_guest_order, outbox
):
    order = place_guest_order()
    invoices.issue_invoice_for(order, TODAY)
    db.session.commit()
    [email] = [m for m in outbox if m.to == [order.email]]
    html = email.alternatives[0][0]
    invoice = email.attachments[0][0].removesuffix(".pdf")
    for body in (email.body, html):
        assert "IBAN GB46 DEMO 0000 0000 0000 00, BIC DEMOGB2L" in body
        assert "Please email remittance advice to finance@socitm.example." in body
        assert order.reference not in body.split("Payment reference:")[1][:40]
    assert f"Payment reference: {invoice}" in email.body
    assert f"Payment reference: <strong>{invoice}</strong>" in html
    # The order page, through the link in the email.
    link = re.search(r"http://localhost(/orders/\S+)", email.body).group(1)
    page = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert f"<strong>{invoice}</strong> as the reference" in page
    assert "IBAN GB46 DEMO 0000 0000 0000 00, BIC DEMOGB2L" in page

    reminded = date(2026, 12, 26)
    outbox.clear()
    assert invoices.send_reminders(reminded) == [order.reference]
    db.session.commit()
    [reminder] = [m for m in outbox if m.to == [order.email]]
    assert f"Payment reference: {invoice}" in reminder.body
    assert "IBAN GB46 DEMO 0000 0000 0000 00" in reminder.body
