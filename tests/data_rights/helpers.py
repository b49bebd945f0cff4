"""A person with something in every table that can name them, and a search of every column."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import LargeBinary, String, Text, select
from sqlalchemy.types import JSON

from portal.accounts.models import SignedInSession, User
from portal.addresses.models import SavedAddress
from portal.audit.services import record
from portal.basket.models import Basket, BasketLine
from portal.downloads.models import Download
from portal.email.models import OutboxAttachment, OutboxEmail, OutboxStatus
from portal.extensions import db
from portal.insight.models import InsightRequest, InsightRequestEvent, RequestTopic
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.orders.services import Buyer, Delivery, InvoiceDetails
from portal.organisations.models import NamedMember, OrganisationManager, SubscriptionContact
from portal.payments.invoices import issue_invoice_for
from portal.pricing import FormatKind

#: What identifies the person, each distinctive enough to be searched for in any column.
EMAIL = "zebedee.quartermaine@northmere.gov.uk"
NAME = "Zebedee Quartermaine"
STREET = "17 Larkspur Row"
PHONE = "07700 900417"
IP_ADDRESS = "203.0.113.77"
USER_AGENT = "QuirkyBrowser/9.9 (Zebedee)"

#: Issued documents stay exactly as issued (the financial record); they are not searched.
KEPT_AS_ISSUED = {("documents", "pdf"), ("document_copies", "pdf")}


@dataclass
class Seeded:
    user_id: int
    order_ids: list[int]
    other_order_id: int


def seed_person(app, create_user, create_order, create_organisation, create_report) -> Seeded:
    """The person, with orders (card and invoice, with delivery and billing addresses and
    documents), downloads, sign-ins, emails sent and waiting, saved addresses, a named
    membership, a manager appointment, a subscription contact, an Insight request, a basket and
    audit entries that mention them; and another buyer's order naming them as finance contact."""
    user = create_user(email=EMAIL, name=NAME, organisation_name="Northmere Council")
    organisation = create_organisation(domain="northmere-council.gov.uk")
    report = create_report()
    delivery = Delivery(NAME, STREET, "Flat 2", "Northmere", "NM1 4ZZ", "Post room", PHONE)
    invoice = InvoiceDetails(
        "PO-77", STREET, "", "Northmere", "NM1 4ZZ", "finance@northmere.gov.uk", "Finance", PHONE
    )
    buyer = Buyer(EMAIL, NAME, "Northmere Council", user.id)
    card = create_order(
        report=report, prints=1, buyer=buyer, delivery=delivery, state=OrderState.PAID
    )
    on_invoice = create_order(
        report=report,
        buyer=buyer,
        invoice=invoice,
        method=PaymentMethod.INVOICE,
        state=OrderState.AWAITING_INVOICE_PAYMENT,
    )
    guest = create_order(report=report, buyer=Buyer(EMAIL, NAME, "Northmere Council"))
    other = create_order(
        report=report,
        buyer=Buyer("someone.else@northmere.gov.uk", "Someone Else", "Northmere Council"),
        invoice=InvoiceDetails("PO-78", "1 High St", "", "Northmere", "NM1 1AA", EMAIL),
        method=PaymentMethod.INVOICE,
        state=OrderState.AWAITING_INVOICE_PAYMENT,
    )
    with app.app_context():
        person = db.session.get(User, user.id)
        admin = User(email="staff@portal.example", name="Staff", password_hash="x", is_admin=True)
        db.session.add(admin)
        for order_id in (on_invoice.id, other.id):
            issue_invoice_for(db.session.get(Order, order_id), date(2026, 11, 26))
        pdf_line = next(line for line in card.lines if line.format_kind is FormatKind.PDF)
        db.session.add_all(
            [
                SignedInSession(
                    user_id=person.id,
                    token_hash="a" * 64,
                    browser=USER_AGENT,
                    ip_address=IP_ADDRESS,
                ),
                Download(
                    order_line_id=pdf_line.id,
                    user_id=person.id,
                    via="account",
                    ip_address=IP_ADDRESS,
                    user_agent=USER_AGENT,
                ),
                SavedAddress(
                    user_id=person.id,
                    organisation="Post room",
                    line1=STREET,
                    town="Northmere",
                    postcode="NM1 4ZZ",
                    phone=PHONE,
                ),
                NamedMember(organisation_id=organisation.id, email=EMAIL),
                OrganisationManager(organisation_id=organisation.id, user_id=person.id),
                SubscriptionContact(
                    organisation_id=organisation.id, name=NAME, email=EMAIL, role="Head of policy"
                ),
                OutboxEmail(
                    template="verify_email",
                    to_address=EMAIL,
                    subject=f"Hello {NAME}",
                    body_text=f"Dear {NAME}",
                    body_html=f"<p>Dear {NAME}</p>",
                    status=OutboxStatus.HELD,
                    held_reason="Waiting for the address to be confirmed",
                    attachments=[
                        OutboxAttachment(
                            filename="a.txt", content_type="text/plain", data=EMAIL.encode()
                        )
                    ],
                ),
            ]
        )
        db.session.add(
            Basket(
                user_id=person.id,
                lines=[BasketLine(report_format_id=report.formats[0].id, quantity=1)],
            )
        )
        request = InsightRequest(
            request_key="k" * 32,
            topic=RequestTopic.JOIN,
            name=NAME,
            organisation_name="Northmere Council",
            email=EMAIL,
            role="Head of policy",
            message=f"Call me on {PHONE}",
            user_id=person.id,
        )
        db.session.add(request)
        db.session.flush()
        db.session.add(InsightRequestEvent(request_id=request.id, note=f"Rang {EMAIL}"))
        record(
            admin,
            "user.make_admin",
            "user",
            person.id,
            before={"email": EMAIL},
            after={"who": [EMAIL]},
            note=f"asked by {EMAIL}",
        )
        record(person, "organisation.add_member", "organisation", organisation.id)
        db.session.commit()
        return Seeded(person.id, [card.id, on_invoice.id, guest.id], other.id)


def text_columns():
    """Every column of every table that can hold text or bytes."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text | LargeBinary | JSON):
                yield table, column


def where_found(needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for each place any of ``needles`` is still found."""
    found = []
    for table, column in text_columns():
        if (table.name, column.name) in KEPT_AS_ISSUED:
            continue
        for (value,) in db.session.execute(select(column)):
            if value is None:
                continue
            text = (
                value.decode("latin-1")
                if isinstance(value, bytes)
                else value
                if isinstance(value, str)
                else repr(value)
            )
            found += [(table.name, column.name, n) for n in needles if n.lower() in text.lower()]
    return found
