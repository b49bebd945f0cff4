"""Demo orders at Northmere City Council and its organisation manager: a colleague (Sam Patel)
took the free printed copy of each report, one of them with a paid copy on invoice, so the
manager's page has orders, an invoice and free copies used to show. Added once: nothing is
added while Sam has orders or Northmere has a manager."""

from datetime import date

from sqlalchemy import select

from portal.accounts.models import User
from portal.catalogue.models import Report
from portal.checkout.services import place_order
from portal.documents.services import issue_invoice
from portal.extensions import db
from portal.orders.models import Order, PaymentMethod
from portal.orders.services import Buyer, Delivery, InvoiceDetails, Item
from portal.organisations.models import Organisation, OrganisationManager
from portal.organisations.services import person_for
from portal.pricing import FormatKind

ORGANISATION = "Northmere City Council"
MANAGER = "morgan.reid@northmere.gov.uk"
COLLEAGUE = "sam.patel@northmere.gov.uk"
POST_ROOM = Delivery(
    "Sam Patel, Policy Unit", "Civic Centre, Market Street", "", "Northmere", "NM1 2AB"
)
BILLING = InvoiceDetails(
    "PO-NCC-4471",
    "Civic Centre, Market Street",
    "",
    "Northmere",
    "NM1 2AB",
    "accounts.payable@northmere.gov.uk",
)


def _printed(slug: str):
    report = db.session.scalar(select(Report).where(Report.slug == slug))
    return next(f for f in report.formats if f.kind is FormatKind.PRINT)


def seed_organisation_orders(today: date) -> list[str]:
    """Add the manager's appointment and the colleague's orders if missing; a line per thing."""
    added: list[str] = []
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == ORGANISATION))
    manager = db.session.scalar(select(User).where(User.email == MANAGER))
    colleague = db.session.scalar(select(User).where(User.email == COLLEAGUE))
    if organisation is None or manager is None or colleague is None:
        return added
    appointed = db.session.scalar(
        select(OrganisationManager.id).where(OrganisationManager.organisation_id == organisation.id)
    )
    if appointed is None:
        db.session.add(OrganisationManager(organisation_id=organisation.id, user_id=manager.id))
        added.append(f"organisation manager {MANAGER}")
    if db.session.scalar(select(Order.id).where(Order.user_id == colleague.id).limit(1)):
        return added
    buyer, person = Buyer.from_user(colleague), person_for(colleague, today)
    place_order(
        buyer,
        person,
        [Item(_printed("challenge-of-transformation"), 1)],
        today,
        delivery=POST_ROOM,
    )
    on_invoice = place_order(
        buyer,
        person,
        [Item(_printed("transformation-in-practice"), 2)],
        today,
        PaymentMethod.INVOICE,
        delivery=POST_ROOM,
        invoice=BILLING,
    )
    issue_invoice(on_invoice, today)
    added.append(f"orders of {COLLEAGUE}")
    return added
