"""An organisation with a manager and colleagues who ordered, and a second organisation."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from portal.accounts.models import User
from portal.clock import today_in_london
from portal.documents.services import issue_invoice
from portal.extensions import db
from portal.orders.models import PaymentMethod
from portal.orders.services import Buyer, Delivery, InvoiceDetails
from portal.organisations.models import OrganisationManager
from portal.organisations.services import person_for

TODAY = today_in_london()
THIS_YEAR = (TODAY - timedelta(days=30), TODAY + timedelta(days=300))
DELIVERY = Delivery("Post room", "Civic Centre", "", "Northmere", "NM1 1AA")
INVOICE = InvoiceDetails("PO-9", "Civic Centre", "", "Northmere", "NM1 1AA", "ap@northmere.gov.uk")


@dataclass
class Council:
    organisation_id: int
    manager: User
    colleague: User
    free_copy_order: str  # the colleague's order that took the free printed copy
    invoice_order: str  # the colleague's invoice order, its invoice issued
    invoice_number: str
    other_order: str  # an order of someone at another organisation
    other_invoice_number: str
    other_organisation_id: int


@pytest.fixture
def council(app, create_user, create_organisation, create_order, create_report) -> Council:
    northmere = create_organisation(
        name="Northmere City Council", domain="northmere.gov.uk", subscribed=THIS_YEAR
    )
    westbridge = create_organisation(
        name="Westbridge Council", domain="westbridge.gov.uk", subscribed=THIS_YEAR
    )
    manager = create_user(email="mo@northmere.gov.uk", name="Mo Manager")
    colleague = create_user(email="cat@adults.northmere.gov.uk", name="Cat Colleague")
    outsider = create_user(email="oz@westbridge.gov.uk", name="Oz Outsider")
    report = create_report(title="Transformation in practice")
    with app.app_context():
        subscriber = person_for(db.session.merge(colleague), TODAY)
        free = create_order(
            report=report,
            pdf=0,
            prints=1,
            buyer=Buyer.from_user(colleague),
            person=subscriber,
            on=TODAY,
            delivery=DELIVERY,
        )
        invoiced = create_order(
            report=report,
            pdf=0,
            prints=2,
            buyer=Buyer.from_user(colleague),
            person=subscriber,
            on=TODAY,
            method=PaymentMethod.INVOICE,
            delivery=DELIVERY,
            invoice=INVOICE,
        )
        invoice = issue_invoice(invoiced, TODAY)
        other = create_order(
            report=report,
            pdf=0,
            prints=2,
            buyer=Buyer.from_user(outsider),
            person=person_for(db.session.merge(outsider), TODAY),
            on=TODAY,
            method=PaymentMethod.INVOICE,
            delivery=DELIVERY,
            invoice=INVOICE,
        )
        other_invoice = issue_invoice(other, TODAY)
        db.session.add(OrganisationManager(organisation_id=northmere.id, user_id=manager.id))
        found = Council(
            organisation_id=northmere.id,
            manager=manager,
            colleague=colleague,
            free_copy_order=free.reference,
            invoice_order=invoiced.reference,
            invoice_number=invoice.number,
            other_order=other.reference,
            other_invoice_number=other_invoice.number,
            other_organisation_id=westbridge.id,
        )
        db.session.commit()
    return found
