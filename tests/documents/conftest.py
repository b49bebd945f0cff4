"""Orders to issue documents for."""

import pytest

from portal import pricing
from portal.catalogue.models import ReportFormat
from portal.orders.models import Order, PaymentMethod
from portal.orders.services import Buyer
from portal.pricing import FormatKind
from tests.documents.helpers import BILLING, TODAY, format_of


@pytest.fixture
def place_guest_order(create_report, create_order):
    """Place a non-subscriber's order (on invoice unless told otherwise) and flush; the address
    is verified, so an invoice order takes its printed copies at once. ``items`` is a list of
    ``(report_format, quantity)``, by default one PDF and two printed copies of a new report.
    Invoice orders get a PO number, billing address and finance contact; ``fields`` set any
    order field afterwards."""

    def place(items=None, *, method: PaymentMethod = PaymentMethod.INVOICE, **fields) -> Order:
        if items is None:
            report = create_report()
            items = [
                (format_of(report, FormatKind.PDF), 1),
                (format_of(report, FormatKind.PRINT), 2),
            ]
        details = BILLING if method is PaymentMethod.INVOICE else {}
        return create_order(
            list(items),
            buyer=Buyer("jo.evans@eastbridge.gov.uk", "Jo Evans", "Eastbridge Council"),
            person=pricing.Person(signed_in=True, email_verified=True),
            on=TODAY,
            method=method,
            **{**details, **fields},
        )

    return place


@pytest.fixture
def standard_rate_report(create_report):
    """A report whose PDF (£100) is at the standard rate of VAT, and whose printed copy (£175,
    £4.50 postage) is zero-rated."""
    return create_report(
        formats=[
            ReportFormat(kind=FormatKind.PDF, price_pence=10_000, vat_rate_basis_points=2_000),
            ReportFormat(kind=FormatKind.PRINT, price_pence=17_500, stock=5, postage_pence=450),
        ]
    )
