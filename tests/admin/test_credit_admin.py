"""Administrators and credit: organisations on stop, the public-sector domains, and a purchase
order number added after the invoice (a marked copy, the invoice unchanged)."""

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal import pricing
from portal.audit.models import AuditEntry
from portal.catalogue.models import ReportFormat
from portal.clock import long_date, today_in_london, utcnow
from portal.documents.models import Document, DocumentCopy
from portal.extensions import db
from portal.orders.models import Order, PaymentMethod
from portal.orders.services import Buyer, InvoiceDetails
from portal.organisations.models import NamedMember, Organisation, PublicSectorDomain
from portal.organisations.services import credit_terms_for
from portal.payments import invoices

TODAY = date(2026, 12, 4)
PO_TO_FOLLOW = InvoiceDetails("", "Finance, Civic Hall", "", "Leeds", "LS1 1UR", "ap@leeds.gov.uk")
VERIFIED = pricing.Person(signed_in=True, email_verified=True)


@pytest.fixture(autouse=True)
def _public_sector_domains(public_sector_domains):
    """Credit terms follow the list the migration seeds."""


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _organisation(app, organisation_id: int) -> Organisation:
    with app.app_context():
        return db.session.get(Organisation, organisation_id)


def _terms(app, email: str) -> pricing.CreditTerms:
    with app.app_context():
        return credit_terms_for(VERIFIED, email)


# On stop


def test_putting_an_organisation_on_stop_and_taking_it_off(
    app, client, admin, post_form, create_organisation
):
    council = create_organisation(domain="eastbridge.gov.uk")
    page = f"/admin/organisations/{council.id}"
    assert _terms(app, "jo@eastbridge.gov.uk") is pricing.CreditTerms.PUBLIC_SECTOR
    response = post_form(
        f"{page}/on-stop", {"stop_reason": "Three invoices unpaid"}, form_page=page
    )
    assert response.status_code == 302
    assert _organisation(app, council.id).on_stop_reason == "Three invoices unpaid"
    assert _terms(app, "jo@adults.eastbridge.gov.uk") is pricing.CreditTerms.ON_STOP
    shown = client.get(page).get_data(as_text=True)
    assert "On stop" in shown and "Three invoices unpaid" in shown
    (entry,) = _audit(app, "organisation.put_on_stop")
    assert entry.after == {"on_stop": True, "reason": "Three invoices unpaid"}

    post_form(f"{page}/off-stop", {}, form_page=page)
    assert _organisation(app, council.id).on_stop_since is None
    assert _terms(app, "jo@eastbridge.gov.uk") is pricing.CreditTerms.PUBLIC_SECTOR
    (entry,) = _audit(app, "organisation.take_off_stop")
    assert entry.before["reason"] == "Three invoices unpaid"


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Enter why the organisation is going on stop"), ("x" * 501, "500 characters or fewer")],
)
def test_going_on_stop_needs_a_reason(app, admin, post_form, create_organisation, reason, message):
    council = create_organisation()
    page = f"/admin/organisations/{council.id}"
    response = post_form(f"{page}/on-stop", {"stop_reason": reason}, form_page=page)
    assert "There is a problem" in response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert _organisation(app, council.id).on_stop_since is None
    assert _audit(app, "organisation.put_on_stop") == []


def test_on_stop_twice_or_off_when_not_on_stop_changes_nothing(
    app, client, admin, post_form, create_organisation
):
    council = create_organisation()
    page = f"/admin/organisations/{council.id}"
    off = post_form(f"{page}/off-stop", {}, form_page=page)
    assert "is not on stop" in client.get(off.headers["Location"]).get_data(as_text=True)
    post_form(f"{page}/on-stop", {"stop_reason": "First"}, form_page=page)
    again = post_form(f"{page}/on-stop", {"stop_reason": "Second"}, form_page=page)
    assert "already on stop" in again.get_data(as_text=True)
    assert _organisation(app, council.id).on_stop_reason == "First"
    assert len(_audit(app, "organisation.put_on_stop")) == 1


def test_a_named_member_of_an_organisation_on_stop_waits(app, create_organisation):
    council = create_organisation(domain="northmere.gov.uk")
    with app.app_context():
        db.session.add(NamedMember(organisation_id=council.id, email="pat@consultancy.example"))
        db.session.get(Organisation, council.id).on_stop_reason = "x"
        db.session.commit()
    assert _terms(app, "pat@consultancy.example") is pricing.CreditTerms.UNKNOWN  # no membership
    with app.app_context():
        db.session.get(Organisation, council.id).on_stop_since = utcnow()
        db.session.commit()
    assert _terms(app, "pat@consultancy.example") is pricing.CreditTerms.ON_STOP


# The public-sector domains


def test_the_public_sector_list_is_kept_by_administrators(app, client, admin, post_form):
    page = client.get("/admin/public-sector-domains").get_data(as_text=True)
    assert "gov.uk" in page and "nhs.net" in page
    assert _terms(app, "x@trust.example.org") is pricing.CreditTerms.UNKNOWN
    added = post_form("/admin/public-sector-domains", {"public_domain": "@Example.ORG"})
    assert added.status_code == 302
    assert _terms(app, "x@trust.example.org") is pricing.CreditTerms.PUBLIC_SECTOR
    assert _audit(app, "public_sector_domain.add")[0].after == {"domain": "example.org"}

    with app.app_context():
        listed = db.session.scalar(
            select(PublicSectorDomain).where(PublicSectorDomain.domain == "example.org")
        )
    post_form(
        f"/admin/public-sector-domains/{listed.id}/remove",
        {},
        form_page="/admin/public-sector-domains",
    )
    assert _terms(app, "x@trust.example.org") is pricing.CreditTerms.UNKNOWN
    assert len(_audit(app, "public_sector_domain.remove")) == 1


def test_the_longest_public_sector_domain_is_added_and_logged(app, admin, post_form):
    """A domain may run to 253 characters; its audit entries name it in full (PostgreSQL
    refused a target longer than the log's column once)."""
    domain = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 54, "gov.uk"])
    assert len(domain) == 253
    assert post_form("/admin/public-sector-domains", {"public_domain": domain}).status_code == 302
    (entry,) = _audit(app, "public_sector_domain.add")
    assert entry.target_id == domain


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("", "Enter an email domain like gov.uk"),
        ("gov", "Enter an email domain like gov.uk"),
        ("*.gov.uk", "Enter an email domain like gov.uk"),
        ("gov.uk", "gov.uk is already on the list"),
    ],
)
def test_a_bad_public_sector_domain_is_refused(app, admin, post_form, domain, message):
    with app.app_context():
        before = db.session.scalar(select(db.func.count(PublicSectorDomain.id)))
    response = post_form("/admin/public-sector-domains", {"public_domain": domain})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(PublicSectorDomain.id))) == before


def test_removing_an_unknown_public_sector_domain_is_not_found(client, admin, post_form):
    response = post_form(
        "/admin/public-sector-domains/999999/remove", {}, form_page="/admin/public-sector-domains"
    )
    assert response.status_code == 404


# A purchase order number to follow


@pytest.fixture
def po_to_follow_order(app, create_report, create_order):
    """An invoice order placed with "PO to follow", its invoice issued; returns its reference."""
    report = create_report(with_pdf=True)
    with app.app_context():
        pdf = db.session.get(ReportFormat, next(f.id for f in report.formats if f.kind == "pdf"))
        order = create_order(
            [(pdf, 1)],
            buyer=Buyer("bea@leeds.gov.uk", "Bea Buyer", "Leeds City Council"),
            person=VERIFIED,
            on=TODAY,
            method=PaymentMethod.INVOICE,
            invoice=PO_TO_FOLLOW,
        )
        invoices.issue_invoice_for(order, TODAY)
        db.session.commit()
        return order.reference


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_adding_the_po_number_sends_a_marked_copy_and_keeps_the_invoice(
    app, client, admin, post_form, po_to_follow_order, outbox
):
    reference = po_to_follow_order
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.reference == reference))
        invoice = db.session.scalar(select(Document).where(Document.order_id == order.id))
        original = invoice.pdf
    assert "To follow" in _text(original)
    page = f"/admin/orders/{reference}"
    assert "Add the purchase order number" in client.get(page).get_data(as_text=True)
    outbox.clear()

    response = post_form(f"{page}/po-number", {"po_number": "PO-9931"}, form_page=page)
    assert response.status_code == 302
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.reference == reference))
        assert order.po_number == "PO-9931"
        invoice = db.session.scalar(select(Document).where(Document.order_id == order.id))
        assert invoice.pdf == original  # an issued document never changes
        (copy,) = db.session.scalars(select(DocumentCopy)).all()
        copy_pdf, name, marking = copy.pdf, copy.name, copy.marking
    assert marking == f"Copy \N{EM DASH} PO number added on {long_date(today_in_london())}"
    text = _text(copy_pdf)
    assert "PO number added on" in text and "PO-9931" in text and invoice.number in text
    # Emailed to the buyer and the finance contact, the copy attached.
    assert sorted(m.to[0] for m in outbox) == ["ap@leeds.gov.uk", "bea@leeds.gov.uk"]
    assert all(m.attachments[0][0] == f"{name}.pdf" for m in outbox)
    (entry,) = _audit(app, "order.add_po_number")
    assert entry.before == {"po_number": ""} and entry.after["po_number"] == "PO-9931"
    # The buyer's page lists the copy beside the invoice; the copy downloads.
    shown = client.get(f"/orders/{reference}").get_data(as_text=True)
    assert f"/orders/{reference}/documents/{name}.pdf" in shown
    with client.get(f"/orders/{reference}/documents/{name}.pdf") as download:
        assert download.status_code == 200 and download.data == copy_pdf
    # Once added, it is not offered, and a second try changes nothing.
    assert "Add the purchase order number" not in client.get(page).get_data(as_text=True)
    post_form(f"{page}/po-number", {"po_number": "PO-0000"}, form_page=page)
    with app.app_context():
        assert db.session.scalar(select(Order.po_number).where(Order.reference == reference)) == (
            "PO-9931"
        )
        assert len(db.session.scalars(select(DocumentCopy)).all()) == 1


def test_a_blank_po_number_is_refused(app, admin, post_form, po_to_follow_order):
    page = f"/admin/orders/{po_to_follow_order}"
    response = post_form(f"{page}/po-number", {"po_number": "  "}, form_page=page)
    assert response.status_code == 400
    assert "Enter the purchase order number" in response.get_data(as_text=True)
    assert _audit(app, "order.add_po_number") == []


def test_a_copy_is_found_only_under_its_own_order(
    app, client, admin, post_form, po_to_follow_order
):
    page = f"/admin/orders/{po_to_follow_order}"
    post_form(f"{page}/po-number", {"po_number": "PO-1"}, form_page=page)
    with app.app_context():
        (copy,) = db.session.scalars(select(DocumentCopy)).all()
        name = copy.name
    for wrong in (f"{name}0", name.replace("copy", "kopy"), "INV-000001-copy-x", "-copy-1"):
        assert client.get(f"/orders/{po_to_follow_order}/documents/{wrong}.pdf").status_code == 404


def test_the_invoice_email_says_po_to_follow(app, outbox, po_to_follow_order):
    assert any("purchase order to follow" in m.body for m in outbox)
