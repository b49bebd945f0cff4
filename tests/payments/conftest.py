"""Card payments are tested against the offline Stripe stand-in, with the real SDK (its fixtures
are the suite's: ``standin``, ``post_webhook``, ``held_completed_event``, ``stored``,
``checkout``)."""

from types import SimpleNamespace

import pytest

from portal import pricing
from portal.clock import today_in_london
from portal.documents import services as documents
from portal.documents.models import DocumentKind
from portal.extensions import db
from portal.orders.access import order_token
from portal.orders.models import PaymentMethod
from portal.orders.services import Buyer, Delivery, InvoiceDetails
from portal.payments import invoices
from tests.payments.helpers import BUYER, FINANCE, VERIFIED


@pytest.fixture(autouse=True)
def _stripe_is_the_standin(stripe_is_the_standin):
    """Every payment here goes through the offline Stripe stand-in."""


@pytest.fixture
def report(create_report):
    return create_report(title="Channel shift", with_pdf=True)


@pytest.fixture
def invoice_order(app, create_report, create_order):
    """A verified buyer's invoice order of a PDF (£145.00) and two printed copies (£175.00
    each), naming ``FINANCE`` as its finance contact, its VAT invoice issued and emailed and
    committed. ``invoiced=False``: a guest's, waiting for approval, with no invoice yet;
    ``released`` lets the PDF be downloaded before payment; ``paid`` records the bank transfer
    paying it. Returns the ids a test needs."""
    report = create_report(with_pdf=True)

    def place(
        *, invoiced: bool = True, paid: bool = False, released: bool = False
    ) -> SimpleNamespace:
        today = today_in_london()
        with app.test_request_context():
            order = create_order(
                report=report,
                pdf=1,
                prints=2,
                method=PaymentMethod.INVOICE,
                person=VERIFIED if invoiced else pricing.GUEST,
                buyer=Buyer(BUYER, "Jo Evans", "Eastbridge Council"),
                on=today,
                delivery=Delivery("Jo Evans", "Town Hall", "", "Eastbridge", "EB1 2CD"),
                invoice=InvoiceDetails("PO-9", "Town Hall", "", "Eastbridge", "EB1 2CD", FINANCE),
            )
            if invoiced:
                invoices.issue_invoice_for(order, today)
            if released:
                invoices.release_downloads_early(order, None)
            if paid:
                invoices.mark_invoice_paid(order, today, "BACS-IN-1", None)
            db.session.commit()
            pdf = next(line for line in order.lines if line.format_kind == "pdf")
            printed = next(line for line in order.lines if line.format_kind == "print")
            invoice = documents.first_of_kind(order, DocumentKind.INVOICE)
            return SimpleNamespace(
                id=order.id,
                reference=order.reference,
                state=order.state,
                pdf=pdf.id,
                printed=printed.id,
                format=printed.report_format_id,
                title=pdf.report_title,
                token=order_token(order),
                invoice=invoice.number if invoice else None,
            )

    return place
