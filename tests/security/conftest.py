"""Fixtures for the security tests: a small world of real objects owned by one customer, and a
signed-in test client for each persona who may come asking for them."""

import io
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.accounts import signed_in, two_factor
from portal.accounts.models import SignedInSession, User
from portal.accounts.services import email_verification_token, password_reset_token
from portal.addresses.models import SavedAddress
from portal.basket import services as baskets
from portal.catalogue.covers import cover_size_key, drawn_sizes
from portal.catalogue.models import Report, ReportFormat, Topic
from portal.clock import today_in_london, utcnow
from portal.content import services as content
from portal.content.pages import ContentPage
from portal.documents.services import issue_invoice
from portal.downloads.samples import refresh_sample
from portal.extensions import db
from portal.insight.models import RequestTopic
from portal.insight.requests import RequestDetails, submit_request
from portal.orders.models import OrderState, PaymentMethod
from portal.orders.services import Buyer, Delivery, InvoiceDetails
from portal.organisations.models import (
    NamedMember,
    Organisation,
    OrganisationManager,
    PublicSectorDomain,
    SubscriptionContact,
)
from portal.pricing import FormatKind, Person
from portal.storage import get_storage
from tests.helpers import AuthActions, csrf_token
from tests.security.helpers import (
    TOTP_SECRET,
)


@dataclass
class World:
    """The real objects URL arguments are filled from; all belong to ``customer``."""

    slug: str
    reference: str
    order_line_id: int
    basket_line_id: int
    document_number: str
    organisation_id: int
    subscription_id: int
    domain_id: int
    public_sector_domain_id: int
    member_id: int
    contact_id: int
    insight_request_id: int
    manager_id: int
    address_id: int
    emails: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    verify_token: str = ""
    reset_token: str = ""
    signed_in_session_id: int = 0
    topic_id: int = 0

    def url_values(self, endpoint: str) -> dict:
        """Values for every URL argument a rule may name, chosen for ``endpoint``."""
        basket = endpoint.startswith("basket.")
        return {
            "slug": self.slug,
            "reference": self.reference,
            "line_id": self.basket_line_id if basket else self.order_line_id,
            "number": self.document_number,
            "organisation_id": self.organisation_id,
            "subscription_id": self.subscription_id,
            "domain_id": (
                self.public_sector_domain_id if "public_sector" in endpoint else self.domain_id
            ),
            "member_id": self.member_id,
            "contact_id": self.contact_id,
            "request_id": self.insight_request_id,
            "manager_id": self.manager_id,
            "address_id": self.address_id,
            "user_id": self.user_ids["another"],
            "kind": "pdf",
            "token": self.reset_token if "reset" in endpoint else self.verify_token,
            "filename": "build/main.css",
            "job_id": "no-such-job",  # a failed background job (none exists: a clear message)
            "session_id": self.signed_in_session_id,
            "email_id": 999_999,  # a held email (none exists: a clear message)
            "page": "terms",  # a content page, with its first version
            "version_number": 1,
            "width": 240,  # a cover's width
            "topic_id": self.topic_id,
            "refund_id": 999_999,  # a refund that failed after it was made (none exists: 404)
        }


@pytest.fixture
def world(
    app, create_user, create_report, create_organisation, create_order, public_sector_domains
) -> World:
    """A published report; a subscribing organisation with a member, managed by the subscriber; a
    non-subscribing customer
    with an order on invoice (a PDF and a printed line, its VAT invoice issued) and a basket
    line; another customer who owns nothing; an administrator."""
    today = today_in_london()
    report = create_report(
        title="Modern public services", with_pdf=True, cover_image_key="covers/matrix.png"
    )
    with app.app_context():
        cover = io.BytesIO()
        Image.new("RGB", (4, 4)).save(cover, "PNG")
        get_storage().save("covers/matrix.png", cover.getvalue())
        for width, drawn in drawn_sizes(cover.getvalue()).items():
            get_storage().save(cover_size_key("covers/matrix.png", width), drawn)
        # Its free sample, cut from its PDF.
        stored = db.session.get(Report, report.id)
        assert refresh_sample(stored)
        db.session.commit()
    organisation = create_organisation(
        domain="subscribing.gov.uk",
        subscribed=(today - timedelta(days=30), today + timedelta(days=300)),
    )
    customer = create_user(email="jo@eastbridge.gov.uk", name="Jo Evans")
    subscriber = create_user(email="sam@subscribing.gov.uk", name="Sam Patel")
    another = create_user(email="pat@westbridge.gov.uk", name="Pat Other")
    admin = create_user(email="boss@socitm.example", name="Boss", is_admin=True)
    with app.app_context():
        formats = {
            f.kind: f
            for f in db.session.scalars(
                select(ReportFormat).where(ReportFormat.report_id == report.id)
            )
        }
        order = create_order(
            [(formats[FormatKind.PDF], 1), (formats[FormatKind.PRINT], 1)],
            buyer=Buyer.from_user(customer),
            person=Person(signed_in=True, email_verified=True),  # not a subscriber
            on=today,
            method=PaymentMethod.INVOICE,
            delivery=Delivery("Jo Evans", "Town Hall", "", "Eastbridge", "EB1 2CD"),
            invoice=InvoiceDetails("PO-1", "Town Hall", "", "Eastbridge", "EB1 2CD", "ap@e.gov.uk"),
        )
        assert order.state is OrderState.AWAITING_INVOICE_PAYMENT
        invoice = issue_invoice(order, today)
        basket = baskets.basket_for_user(customer.id)
        basket_line = baskets.add(basket, formats[FormatKind.PDF], 1)
        member = NamedMember(organisation_id=organisation.id, email="named@elsewhere.org.uk")
        contact = SubscriptionContact(
            organisation_id=organisation.id, name="Kim Lee", email="kim@subscribing.gov.uk"
        )
        db.session.add_all([member, contact])
        # The subscriber manages the subscribing organisation (the customer's order is not its).
        manager = OrganisationManager(organisation_id=organisation.id, user_id=subscriber.id)
        db.session.add(manager)
        address = SavedAddress(
            user_id=customer.id, line1="Town Hall", town="Eastbridge", postcode="EB1 2CD"
        )
        db.session.add(address)
        db.session.flush()
        insight_request = submit_request(
            RequestDetails(
                RequestTopic.RENEW, "Sam Patel", "Subscribing", subscriber.email, "", ""
            ),
            "matrix-request-key-0001",
        )
        content.publish(
            db.session.merge(admin), ContentPage.TERMS, content.Draft("Terms", "Terms.", "", None)
        )
        org = db.session.get(Organisation, organisation.id)
        user = db.session.merge(customer)
        topic = Topic(name="Housing", slug="housing")
        db.session.add(topic)
        db.session.flush()
        found = World(
            topic_id=topic.id,
            slug=report.slug,
            reference=order.reference,
            order_line_id=next(line.id for line in order.lines),
            basket_line_id=basket_line.id,
            document_number=invoice.number,
            organisation_id=org.id,
            subscription_id=org.subscriptions[0].id,
            domain_id=org.domains[0].id,
            public_sector_domain_id=db.session.scalar(
                select(PublicSectorDomain.id).order_by(PublicSectorDomain.id).limit(1)
            ),
            member_id=member.id,
            contact_id=contact.id,
            insight_request_id=insight_request.id,
            manager_id=manager.id,
            address_id=address.id,
            emails={
                "customer": customer.email,
                "subscriber": subscriber.email,
                "another": another.email,
                "admin": admin.email,
            },
            user_ids={"customer": customer.id, "another": another.id, "admin": admin.id},
            verify_token=email_verification_token(user),
            reset_token=password_reset_token(user),
            # The customer signed in on another device.
            signed_in_session_id=_signed_in_elsewhere(user),
        )
        db.session.commit()
    return found


def _signed_in_elsewhere(user) -> int:
    signed_in.start(user, "", "192.0.2.1")
    return db.session.scalar(
        select(func.max(SignedInSession.id)).where(SignedInSession.user_id == user.id)
    )


def _post_with_token(client):
    def post(path: str, data: dict, *, form_page: str | None = None, **kwargs):
        token = csrf_token(client, form_page or path)
        return client.post(path, data={"csrf_token": token, **data}, **kwargs)

    return post


@pytest.fixture
def persona_client(app, world):
    """A fresh test client signed in as the persona (through the ordinary sign-in, so any second
    factor the sign-in helper completes is completed here too)."""

    def make(persona: str):
        client = app.test_client()
        if persona != "anonymous":
            response = AuthActions(client, _post_with_token(client)).sign_in(world.emails[persona])
            assert response.status_code in (302, 303), f"{persona} could not sign in"
        return client

    return make


# Two-factor sign-in


@pytest.fixture
def two_factor_user(app, create_user):
    """A customer with two-factor sign-in set up (secret ``TOTP_SECRET``), and their recovery
    codes."""

    def create(**overrides):
        user = create_user(totp_secret=TOTP_SECRET, totp_enabled_at=utcnow(), **overrides)
        with app.app_context():
            codes = two_factor.new_recovery_codes(db.session.get(User, user.id))
            db.session.commit()
        return user, codes

    return create
