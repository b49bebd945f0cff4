"""Administrators and held stock: approving an invoice order that waits for approval, seeing
the printed copies held by unpaid orders, and setting the cap of copies per order."""

from datetime import date

import pytest
from sqlalchemy import select

from portal import pricing
from portal.audit.models import AuditEntry
from portal.catalogue.models import ReportFormat
from portal.extensions import db
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.orders.services import Buyer, Delivery, InvoiceDetails
from portal.pricing import FormatKind
from tests.catalogue.report_form import FORMAT_FORM

TODAY = date(2026, 3, 2)
VERIFIED = pricing.Person(signed_in=True, email_verified=True)
DELIVERY = Delivery("Post Room", "1 Civic Square", "", "Leeds", "LS1 1UR")
INVOICE = InvoiceDetails(
    "PO-7781", "Finance, Civic Hall", "", "Leeds", "LS1 1UR", "ap@leeds.gov.uk"
)


@pytest.fixture
def report(create_report):
    return create_report(title="Channel shift")


@pytest.fixture
def place(report, create_order):
    """Place and commit an order of printed copies of ``report``; returns its reference."""

    def run(copies: int, person=pricing.GUEST, method=PaymentMethod.INVOICE) -> str:
        order = create_order(
            report=report,
            pdf=0,
            prints=copies,
            buyer=Buyer("bea@leeds.gov.uk", "Bea Buyer", "Leeds City Council"),
            person=person,
            on=TODAY,
            method=method,
            delivery=DELIVERY,
            invoice=INVOICE if method is PaymentMethod.INVOICE else None,
        )
        return order.reference

    return run


def _order(app, reference) -> Order:
    with app.app_context():
        return db.session.scalar(select(Order).where(Order.reference == reference))


def _stock(app, report) -> int:
    with app.app_context():
        return db.session.scalar(
            select(ReportFormat.stock).where(
                ReportFormat.report_id == report.id, ReportFormat.kind == FormatKind.PRINT
            )
        )


def _approve(post_form, reference):
    return post_form(
        f"/admin/orders/{reference}/approve-credit", {}, form_page=f"/admin/orders/{reference}"
    )


def test_an_administrator_approves_an_order_and_its_stock_is_taken(
    app, client, post_form, admin, place, report, outbox
):
    reference = place(4)
    page = client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    assert "Waiting for approval" in page and "Approve credit" in page
    assert "Re-send the order confirmation" in page  # never the invoice: there is none yet

    response = _approve(post_form, reference)
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Its VAT invoice has been emailed." in flashed
    approved = _order(app, reference)
    assert approved.state is OrderState.AWAITING_INVOICE_PAYMENT
    assert approved.downloads_released_at is not None  # credit approved: released at once
    assert _stock(app, report) == 6
    # The invoice is issued now, to the buyer and the finance contact.
    assert sorted(m.to[0] for m in outbox) == ["ap@leeds.gov.uk", "bea@leeds.gov.uk"]
    assert all(m.attachments[0][0].startswith("INV-") for m in outbox)
    with app.app_context():
        [entry] = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "order.approve_credit")
        ).all()
        assert entry.target_id == reference and entry.actor_user_id == admin.id
        assert entry.before == {"state": "awaiting_approval", "downloads_released_at": None}
        assert entry.after["state"] == "awaiting_invoice_payment"
        assert entry.after["downloads_released_at"] and entry.after["invoiced"] is True

    again = _approve(post_form, reference)  # a second click changes nothing
    assert again.status_code == 302
    assert _stock(app, report) == 6 and len(outbox) == 2


def test_approval_without_enough_stock_is_refused_with_a_message(
    app, client, post_form, admin, place, report, outbox
):
    reference = place(8)
    place(5, person=VERIFIED)
    response = _approve(post_form, reference)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not enough printed copies of “Channel shift” are in stock" in page
    assert _order(app, reference).state is OrderState.AWAITING_APPROVAL
    assert _stock(app, report) == 5
    assert outbox == []


def test_cancelling_an_order_waiting_for_approval_leaves_the_stock(
    app, post_form, admin, place, report
):
    reference = place(4)
    post_form(
        f"/admin/orders/{reference}/cancel",
        {"cancel_note": "Not approved"},
        form_page=f"/admin/orders/{reference}",
    )
    assert _order(app, reference).state is OrderState.CANCELLED
    assert _stock(app, report) == 10


def test_the_catalogue_shows_copies_held_by_unpaid_orders(app, client, admin, place, report):
    place(2, person=VERIFIED)  # awaiting invoice payment: held
    place(3, person=VERIFIED, method=PaymentMethod.CARD)  # pending card payment: held
    place(4)  # waiting for approval: not held
    page = client.get("/admin/reports").get_data(as_text=True)
    assert "10 on the shelf" in page
    assert "5 held by unpaid orders" in page
    assert "5 available" in page
    assert "4 wanted by orders waiting for approval" in page


def test_the_copies_allowed_per_order_are_an_admin_setting(app, client, post_form, admin, report):
    form = client.get(f"/admin/reports/{report.slug}/formats/print").get_data(as_text=True)
    assert "Most printed copies per order" in form and 'value="20"' in form
    response = post_form(
        f"/admin/reports/{report.slug}/formats/print", {**FORMAT_FORM, "max_copies": "5"}
    )
    assert response.status_code == 302
    with app.app_context():
        printed = db.session.scalar(
            select(ReportFormat).where(
                ReportFormat.report_id == report.id, ReportFormat.kind == FormatKind.PRINT
            )
        )
        assert printed.max_copies_per_order == 5


@pytest.mark.parametrize("value", ["0", "-1", "ten", ""])
def test_a_bad_copies_per_order_is_refused(app, post_form, admin, report, value):
    response = post_form(
        f"/admin/reports/{report.slug}/formats/print", {**FORMAT_FORM, "max_copies": value}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page
    assert "Most printed copies per order must be a whole number of 1 or more" in page
