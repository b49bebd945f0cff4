"""Refunding card orders from the administration pages, through the offline Stripe stand-in.

The stand-in's webhooks are held while an administrator refunds (its events would otherwise reach
the portal while the request is still running) and released afterwards, as Stripe's late or
repeated deliveries would arrive.
"""

import dataclasses
import re

import pytest
from sqlalchemy import select

from portal.admin.refunds import pence_from_pounds
from portal.audit.models import AuditEntry
from portal.catalogue.models import FormatKind
from portal.documents.models import Document, DocumentKind
from portal.extensions import db
from portal.orders import services as orders
from portal.orders.models import Order, OrderEvent, OrderLine, OrderState, PaymentMethod
from portal.payments import gateway
from portal.payments.models import Refund, RefundStatus
from tests.helpers import ADDRESS, GUEST, TEST_PASSWORD, complete_two_factor, csrf_token

_KEY = re.compile(r'name="request_key"[^>]*value="([^"]+)"')


class Office:
    """An administrator's browser, apart from the buyer's (who keeps their own session)."""

    def __init__(self, client):
        self.client = client

    def page(self, reference: str):
        return self.client.get(f"/admin/orders/{reference}/refund")

    def form_key(self, reference: str) -> str:
        match = _KEY.search(self.page(reference).get_data(as_text=True))
        assert match, "no refund form on the page"
        return match.group(1)

    def refund(self, reference: str, amount: str, reason: str = "Ordered twice", key=None):
        path = f"/admin/orders/{reference}/refund"
        data = {
            "csrf_token": csrf_token(self.client, "/"),
            "amount": amount,
            "reason": reason,
            "request_key": key or self.form_key(reference),
        }
        return self.client.post(path, data=data)


@pytest.fixture
def admin(create_user):
    return create_user(is_admin=True, email="finance@socitm.net")


@pytest.fixture
def office(app, admin):
    browser = app.test_client()
    token = csrf_token(browser, "/sign-in")
    browser.post(
        "/sign-in", data={"csrf_token": token, "email": admin.email, "password": TEST_PASSWORD}
    )
    complete_two_factor(browser, admin.email)
    return Office(browser)


@pytest.fixture
def paid_order(checkout, standin, stored):
    """Place and pay a card order as the guest buyer; Stripe's later events are then held."""

    def pay(pdf: bool = True, printed: int = 0) -> Order:
        session_id = checkout(pdf=pdf, printed=printed).headers["Location"].rsplit("/", 1)[1]
        standin.pay(session_id)
        standin.hold()
        order = stored.order()
        assert order.state in (OrderState.PAID, OrderState.FULFILLED)
        return order

    return pay


def _refunds(app) -> list[Refund]:
    with app.app_context():
        return db.session.scalars(select(Refund).order_by(Refund.id)).all()


def _credit_notes(app) -> list[Document]:
    with app.app_context():
        return db.session.scalars(
            select(Document).where(Document.kind == DocumentKind.CREDIT_NOTE).order_by(Document.id)
        ).all()


def _refund_emails(outbox):
    return [m for m in outbox if m.subject.startswith("Refund of")]


def _stripe_refunds(standin) -> list[dict]:
    return standin.events(type="refund.created")


def test_a_partial_refund_then_the_rest(app, office, paid_order, standin, outbox):
    order = paid_order()  # one PDF, £145.00
    page = office.page(order.reference).get_data(as_text=True)
    assert "£145.00" in page and "Left to refund" in page

    done = office.refund(order.reference, "20.00", "Charged the wrong price")
    assert done.status_code == 303
    assert done.headers["Location"] == f"/admin/orders/{order.reference}"
    (first,) = _refunds(app)
    assert (first.amount_pence, first.status) == (2000, RefundStatus.SUCCEEDED)
    assert first.stripe_refund_id.startswith("re_") and first.confirmed_at is not None
    page = office.page(order.reference).get_data(as_text=True)
    assert "£125.00" in page and "Charged the wrong price" in page

    assert office.refund(order.reference, "125", "Cancelled by the buyer").status_code == 303
    refunds = _refunds(app)
    assert [r.amount_pence for r in refunds] == [2000, 12_500]
    assert all(r.status is RefundStatus.SUCCEEDED for r in refunds)
    assert [e["event"]["data"]["object"]["amount"] for e in _stripe_refunds(standin)] == [
        2000,
        12_500,
    ]
    page = office.page(order.reference).get_data(as_text=True)
    assert "Everything paid on this order has been refunded" in page
    assert 'name="amount"' not in page
    with app.app_context():
        stored = db.session.get(Order, order.id)
        assert stored.state is OrderState.FULFILLED  # refunds are recorded; the state stays
        notes = [e.note for e in stored.events if e.note.startswith("Refund of")]
        assert notes == [
            "Refund of £20.00: Charged the wrong price",
            "Refund of £125.00: Cancelled by the buyer",
        ]
    # Nothing more can go back.
    over = office.refund(order.reference, "0.01", key="k" * 32)
    assert "Everything paid on this order has been refunded" in over.get_data(as_text=True)
    assert len(_refunds(app)) == 2


def test_the_credit_note_is_issued_and_emailed(app, office, paid_order, outbox):
    order = paid_order()
    office.refund(order.reference, "20.50", "Charged the wrong price")
    (note,) = _credit_notes(app)
    with app.app_context():
        receipt = db.session.scalar(
            select(Document).where(
                Document.order_id == order.id, Document.kind == DocumentKind.RECEIPT
            )
        )
    assert note.total_pence == -2050 and note.credits_document_id == receipt.id
    assert _refunds(app)[0].credit_note_id == note.id
    (email,) = _refund_emails(outbox)
    assert email.to == [GUEST["email"]]
    assert email.subject == f"Refund of £20.50 for your Socitm Insight order {order.reference}"
    assert "Charged the wrong price" in email.body and note.number in email.body
    assert email.attachments[0][0] == f"{note.number}.pdf"
    assert email.attachments[0][1].startswith(b"%PDF")
    assert "can no longer be downloaded" not in email.body  # a partial refund


def test_the_refund_is_audited(app, office, admin, paid_order):
    order = paid_order()
    office.refund(order.reference, "20.00", "Charged the wrong price")
    with app.app_context():
        (entry,) = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "order.refund")
        ).all()
    assert (entry.target_type, entry.target_id) == ("order", order.reference)
    assert (entry.actor_user_id, entry.actor_email) == (admin.id, admin.email)
    assert entry.before == {"refunded_pence": 0, "left_pence": 14_500}
    assert entry.after["amount_pence"] == 2000 and entry.after["left_pence"] == 12_500
    assert entry.note == "Charged the wrong price"


def _download(client, line_id: int) -> int:
    response = client.get(f"/downloads/{line_id}")
    response.close()  # the PDF is streamed from a file
    return response.status_code


def test_a_full_refund_closes_the_downloads_at_once(app, client, office, paid_order, outbox):
    order = paid_order(pdf=True, printed=1)
    line_id = next(line.id for line in order.lines if line.format_kind == "pdf")
    assert _download(client, line_id) == 200  # the buyer's browser

    office.refund(order.reference, "100.00")
    assert _download(client, line_id) == 200  # a part refund keeps it

    office.refund(order.reference, f"{(order.total_pence - 10_000) / 100:.2f}")
    gone = client.get(f"/downloads/{line_id}")
    assert gone.status_code == 410 and "refunded" in gone.get_data(as_text=True)
    with app.app_context():
        lines = db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
    assert all(line.refunded_at is not None for line in lines)
    assert "can no longer be downloaded" in _refund_emails(outbox)[-1].body


def test_the_same_form_sent_twice_refunds_once(app, office, paid_order, standin, outbox):
    order = paid_order()
    key = office.form_key(order.reference)
    first = office.refund(order.reference, "20.00", key=key)
    again = office.refund(order.reference, "20.00", key=key)
    assert first.status_code == again.status_code == 303
    assert len(_refunds(app)) == 1
    assert len(_stripe_refunds(standin)) == 1
    assert len(_credit_notes(app)) == 1 and len(_refund_emails(outbox)) == 1


def test_each_form_carries_a_new_key(office, paid_order):
    order = paid_order()
    assert office.form_key(order.reference) != office.form_key(order.reference)


def test_more_than_was_paid_is_refused(app, office, paid_order, standin):
    order = paid_order()
    response = office.refund(order.reference, "145.01")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "between £0.01 and £145.00" in page
    assert 'value="145.01"' in page
    assert _refunds(app) == [] and _stripe_refunds(standin) == []


def test_what_stripe_says_is_left_wins(app, office, paid_order, standin, stored):
    order = paid_order()
    intent = stored.attempts()[-1].stripe_payment_intent_id
    standin.client().v1.refunds.create({"payment_intent": intent, "amount": 14_000})
    response = office.refund(order.reference, "20.00")
    assert response.status_code == 200
    assert "Stripe says that is more than is left" in response.get_data(as_text=True)
    assert _refunds(app) == []
    with app.app_context():
        assert db.session.scalars(select(AuditEntry)).all() == []


def _unpaid(app, checkout, post_form, report, stored):
    checkout(printed=0)
    return stored.order()


def _cancelled(app, checkout, post_form, report, stored):
    order = _unpaid(app, checkout, post_form, report, stored)
    with app.app_context():
        orders.cancel_order(db.session.get(Order, order.id), None, "Payment abandoned")
        db.session.commit()
    return order


def _on_invoice(app, checkout, post_form, report, stored):
    printed = next(f.id for f in report.formats if f.kind is FormatKind.PRINT)
    post_form(f"/reports/{report.slug}", {"format_id": str(printed), "quantity": "1"})
    post_form("/checkout", {**GUEST, **ADDRESS})
    post_form(
        "/checkout/payment",
        {
            "method": "invoice",
            "po_number": "PO-1",
            "billing_line1": "Town Hall",
            "billing_town": "Eastbridge",
            "billing_postcode": "EB1 2CD",
            "finance_email": "ap@eastbridge.gov.uk",
        },
    )
    post_form("/checkout/review", {})
    order = stored.order()
    assert order.payment_method is PaymentMethod.INVOICE
    return order


def _invoice_paid(app, checkout, post_form, report, stored):
    order = _on_invoice(app, checkout, post_form, report, stored)
    with app.app_context():
        from portal.orders import approval
        from portal.payments import invoices

        placed = db.session.get(Order, order.id)
        approval.approve(placed, None)  # a guest's invoice order waits for approval first
        invoices.mark_invoice_paid(placed, order.created_at.date(), "BACS 1", None)
        db.session.commit()
    return order


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_unpaid, "waiting for card payment: there is no card payment to refund"),
        (_cancelled, "cancelled: there is no card payment to refund"),
        (_on_invoice, "Only card payments can be refunded here"),
        (_invoice_paid, "Only card payments can be refunded here"),
    ],
    ids=["unpaid", "cancelled", "invoice", "invoice-paid"],
)
def test_orders_without_a_card_payment_are_refused(
    app, office, checkout, post_form, report, stored, standin, make, message
):
    order = make(app, checkout, post_form, report, stored)
    state = stored.order().state
    shown = office.page(order.reference)
    assert shown.status_code == 200
    assert message in shown.get_data(as_text=True)
    assert 'name="amount"' not in shown.get_data(as_text=True)
    refused = office.refund(order.reference, "1.00", key="k" * 32)
    assert refused.status_code == 409
    assert message in refused.get_data(as_text=True)
    assert _refunds(app) == [] and _stripe_refunds(standin) == []
    with app.app_context():
        assert (
            db.session.scalar(select(AuditEntry).where(AuditEntry.action == "order.refund")) is None
        )
        assert db.session.get(Order, order.id).state is state


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Enter the amount to refund"),
        ("abc", "Enter the amount in pounds and pence, like 12.50"),
        ("-1", "Enter the amount in pounds and pence, like 12.50"),
        ("0", "Enter an amount of at least £0.01"),
        ("0.00", "Enter an amount of at least £0.01"),
        ("1.234", "Enter the amount in pounds and pence, like 12.50"),
        ("12.5.0", "Enter the amount in pounds and pence, like 12.50"),
        ("1e3", "Enter the amount in pounds and pence, like 12.50"),
        ("99999999999", "Enter an amount no more than the amount left to refund"),
        ("9" * 40, "Enter the amount in pounds and pence, like 12.50"),
    ],
)
def test_bad_amounts_are_shown_again_with_a_message(
    app, office, paid_order, standin, amount, message
):
    order = paid_order()
    response = office.refund(order.reference, amount)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    assert f'value="{amount}"' in page if amount else True
    assert _refunds(app) == [] and _stripe_refunds(standin) == []


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Enter the reason for the refund"),
        ("x" * 301, "Reason must be 300 characters or fewer"),
    ],
)
def test_a_reason_is_needed(app, office, paid_order, reason, message):
    order = paid_order()
    page = office.refund(order.reference, "5.00", reason).get_data(as_text=True)
    assert message in page and 'value="5.00"' in page
    assert _refunds(app) == []


def test_a_form_without_its_key_is_not_sent(app, office, paid_order):
    order = paid_order()
    page = office.refund(order.reference, "5.00", key="short").get_data(as_text=True)
    assert "This form has expired" in page
    assert _refunds(app) == []


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("12.50", 1250),
        ("12.5", 1250),
        ("12", 1200),
        ("£1,234.05", 123_405),
        (" 0.01 ", 1),
        ("1,23", None),
        ("1.234", None),
        (".5", None),
        ("-1", None),
        ("1e3", None),
        ("", None),
    ],
)
def test_pounds_become_pence_without_floats(text, pence):
    assert pence_from_pounds(text) == pence


def test_an_unknown_order_is_not_found(office):
    assert office.page("INS-2026-999999").status_code == 404
    assert office.page("x" * 300).status_code == 404


def test_stripe_unreachable_keeps_the_refund_to_send_again(
    app, office, paid_order, standin, monkeypatch, outbox
):
    order = paid_order()
    key = office.form_key(order.reference)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    down = office.refund(order.reference, "20.00", key=key)
    assert down.status_code == 503
    assert "Stripe could not be reached" in down.get_data(as_text=True)
    (kept,) = _refunds(app)
    assert kept.status is RefundStatus.REQUESTED and kept.stripe_refund_id is None
    assert _refund_emails(outbox) == []

    monkeypatch.setitem(app.config, "STRIPE_API_BASE", standin.url)
    page = office.page(order.reference).get_data(as_text=True)
    assert "Not yet sent to Stripe" in page and "£125.00" in page  # the £20 is held back
    assert f'name="request_key" value="{key}"' in page and 'value="20.00"' in page  # Send again
    assert office.refund(order.reference, "20.00", key=key).status_code == 303
    (sent,) = _refunds(app)
    assert sent.status is RefundStatus.SUCCEEDED and len(_stripe_refunds(standin)) == 1
    assert len(_refund_emails(outbox)) == 1


def test_a_refund_stripe_confirms_later_is_recorded_once(
    app, office, paid_order, standin, monkeypatch, outbox
):
    real = gateway.create_refund

    def not_final_yet(**kwargs):
        return dataclasses.replace(real(**kwargs), status="pending")

    monkeypatch.setattr(gateway, "create_refund", not_final_yet)
    order = paid_order()
    done = office.refund(order.reference, "20.00")
    assert done.status_code == 303
    (waiting,) = _refunds(app)
    assert waiting.status is RefundStatus.REQUESTED and waiting.stripe_refund_id
    assert _credit_notes(app) == [] and _refund_emails(outbox) == []

    attempts = standin.release()  # refund.created, then charge.refunded: both name it
    assert [a["status_code"] for a in attempts] == [200, 200]
    (confirmed,) = _refunds(app)
    assert confirmed.status is RefundStatus.SUCCEEDED
    for event in standin.events():
        if event["type"] in ("refund.created", "charge.refunded"):
            assert standin.deliver(event["id"])["status_code"] == 200  # repeated deliveries
    assert len(_credit_notes(app)) == 1 and len(_refund_emails(outbox)) == 1
    with app.app_context():
        notes = db.session.scalars(
            select(OrderEvent.note).where(
                OrderEvent.order_id == order.id, OrderEvent.note.startswith("Refund of")
            )
        ).all()
    assert notes == ["Refund of £20.00: Ordered twice"]


def test_refund_events_for_refunds_made_elsewhere_are_ignored(
    app, paid_order, standin, stored, outbox
):
    paid_order()
    intent = stored.attempts()[-1].stripe_payment_intent_id
    standin.client().v1.refunds.create({"payment_intent": intent, "amount": 500})
    assert [a["status_code"] for a in standin.release()] == [200, 200]
    assert _refunds(app) == [] and _refund_emails(outbox) == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_only_administrators_refund(app, client, auth, create_user, paid_order, method):
    order = paid_order()
    path = f"/admin/orders/{order.reference}/refund"
    data = {"csrf_token": csrf_token(client), "amount": "1.00", "reason": "x"}
    guest = client.open(path, method=method, data=data if method == "POST" else None)
    assert guest.status_code == 302 and "/sign-in" in guest.headers["Location"]
    someone = create_user()
    auth.sign_in(someone.email)
    data["csrf_token"] = csrf_token(client, "/")
    assert (
        client.open(path, method=method, data=data if method == "POST" else None).status_code == 403
    )
    assert _refunds(app) == []


def test_a_payment_that_arrived_after_cancelling_can_be_refunded(
    app, office, checkout, standin, stored
):
    """The case the portal flags "Refund it": the order was cancelled, then Stripe took money."""
    session_id = checkout(printed=0).headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        orders.cancel_order(db.session.get(Order, stored.order().id), None, "cancelled")
        db.session.commit()
    standin.pay(session_id)
    standin.hold()
    order = stored.order()
    assert order.state is OrderState.CANCELLED and "Refund it" in order.attention

    assert office.refund(order.reference, "145.00", "Paid after cancelling").status_code == 303
    order = stored.order()
    assert [r.status for r in _refunds(app)] == [RefundStatus.SUCCEEDED]
    assert order.attention == ""  # settled
    assert _credit_notes(app) == []  # nothing was receipted, so nothing to correct


def _order_page(office, reference: str) -> str:
    return office.client.get(f"/admin/orders/{reference}").get_data(as_text=True)


def test_the_order_page_offers_a_refund_of_a_payment_made_after_cancelling(
    app, office, checkout, standin, stored
):
    """The order page and the refund service answer from one rule: once a card payment arrives
    for a cancelled order, the page offers the refund the service then takes."""
    session_id = checkout(printed=0).headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        orders.cancel_order(db.session.get(Order, stored.order().id), None, "cancelled")
        db.session.commit()
    assert "Refund this order" not in _order_page(office, stored.order().reference)
    standin.pay(session_id)
    standin.hold()
    order = stored.order()
    assert order.state is OrderState.CANCELLED

    assert "Refund this order" in _order_page(office, order.reference)
    assert office.refund(order.reference, "145.00", "Paid after cancelling").status_code == 303


@pytest.mark.parametrize(
    "make", [_unpaid, _cancelled, _on_invoice, _invoice_paid], ids=lambda make: make.__name__
)
def test_the_order_page_offers_no_refund_the_service_would_refuse(
    app, office, checkout, post_form, report, stored, make
):
    order = make(app, checkout, post_form, report, stored)
    assert "Refund this order" not in _order_page(office, order.reference)


def test_the_order_page_offers_the_refund_of_a_paid_card_order(office, paid_order):
    assert "Refund this order" in _order_page(office, paid_order().reference)
