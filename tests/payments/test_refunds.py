"""Refunding lines of card orders from the administration pages, through the offline Stripe
stand-in.

The stand-in's webhooks are held while an administrator refunds (its events would otherwise reach
the portal while the request is still running) and released afterwards, as Stripe's late or
repeated deliveries would arrive.
"""

import dataclasses

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.documents.models import Document, DocumentKind
from portal.extensions import db
from portal.orders import services as orders
from portal.orders.models import Order, OrderEvent, OrderState, PaymentMethod
from portal.payments import gateway
from portal.payments.models import Refund, RefundMethod, RefundStatus
from portal.pricing import FormatKind
from tests.documents.helpers import pdf_text
from tests.helpers import ADDRESS, GUEST, csrf_token
from tests.payments.helpers import Office, credit_notes, order_now, refunds_made, stock_of


@pytest.fixture
def admin(create_user):
    return create_user(is_admin=True, email="finance@socitm.net")


@pytest.fixture
def office(app, admin):
    return Office.signed_in(app, admin)


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


def _line(order: Order, kind: str):
    return next(line for line in order.lines if line.format_kind == kind)


def _refund_emails(outbox):
    return [m for m in outbox if m.subject.startswith("Refund of")]


def _stripe_refunds(standin) -> list[dict]:
    return standin.events(type="refund.created")


def _download(client, line_id: int) -> int:
    response = client.get(f"/downloads/{line_id}")
    response.close()  # the PDF is streamed from a file
    return response.status_code


def test_the_confirmation_step_shows_the_amount_and_lines_and_changes_nothing(
    app, office, paid_order, standin, outbox
):
    order = paid_order(pdf=True, printed=2)  # £145.00, and two copies at £175.00
    pdf, printed = _line(order, "pdf"), _line(order, "print")
    page = office.page(order.reference).get_data(as_text=True)
    assert "£495.00" in page and "Left to refund" in page
    assert f'name="quantity-{printed.id}"' in page  # copies of a printed line can be chosen

    shown = office.choose(order.reference, {pdf.id: None, printed.id: 1}, "Wrong report")
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert "Refund £320.00" in text  # £145.00 + one copy at £175.00
    assert pdf.report_title in text and "1 copy: £175.00" in text and "Wrong report" in text
    assert refunds_made(app) == [] and _stripe_refunds(standin) == []
    assert credit_notes(app) == [] and _refund_emails(outbox) == []


def test_a_line_then_copies_of_the_other(app, client, office, paid_order, standin, outbox):
    order = paid_order(pdf=True, printed=2)
    pdf, printed = _line(order, "pdf"), _line(order, "print")
    stock = stock_of(app, printed.report_format_id)

    done = office.refund(order.reference, {pdf.id: None}, "Charged the wrong price")
    assert done.status_code == 303
    assert done.headers["Location"] == f"/admin/orders/{order.reference}"
    (first,) = refunds_made(app)
    assert (first.method, first.amount_pence, first.status) == (
        RefundMethod.CARD,
        14_500,
        RefundStatus.SUCCEEDED,
    )
    assert [(x.order_line_id, x.quantity) for x in first.lines] == [(pdf.id, 1)]
    assert first.stripe_refund_id.startswith("re_")
    assert _download(client, pdf.id) == 410  # the refunded PDF lost access at once
    assert stock_of(app, printed.report_format_id) == stock  # nothing printed came back yet

    assert office.refund(order.reference, {printed.id: 1}, "One copy too many").status_code == 303
    assert [r.amount_pence for r in refunds_made(app)] == [14_500, 17_500]
    assert stock_of(app, printed.report_format_id) == stock + 1  # never posted: back in stock
    stored = order_now(app, order.id)
    assert _line(stored, "print").refunded_quantity == 1
    assert _line(stored, "print").refunded_at is None
    assert stored.state is OrderState.PAID  # one copy is still to be posted
    slip = office.client.get(f"/admin/orders/{order.reference}/packing-slip")
    assert 'govuk-table__cell--numeric">1</td>' in slip.get_data(as_text=True)
    queue = office.client.get("/admin/dispatch").get_data(as_text=True)
    assert f"1 \u00d7 {printed.report_title}" in queue  # one of the two copies

    assert office.refund(order.reference, {printed.id: 1}, "Not needed").status_code == 303
    stored = order_now(app, order.id)
    assert stock_of(app, printed.report_format_id) == stock + 2
    assert all(line.refunded_at is not None for line in stored.lines)
    assert stored.state is OrderState.FULFILLED  # nothing is left to post
    assert [e["event"]["data"]["object"]["amount"] for e in _stripe_refunds(standin)] == [
        14_500,
        17_500,
        17_500,
    ]
    page = office.page(order.reference).get_data(as_text=True)
    assert "Everything paid on this order has been refunded" in page
    assert 'name="lines"' not in page
    with app.app_context():
        notes = db.session.scalars(
            select(OrderEvent.note).where(
                OrderEvent.order_id == order.id, OrderEvent.note.startswith("Refund of")
            )
        ).all()
    assert notes == [
        "Refund of £145.00: Charged the wrong price",
        "Refund of £175.00: One copy too many",
        "Refund of £175.00: Not needed",
    ]


def test_the_credit_note_names_the_lines_and_is_emailed(app, office, paid_order, outbox):
    order = paid_order(pdf=True, printed=2)
    printed = _line(order, "print")
    office.refund(order.reference, {printed.id: 2}, "Damaged in the post")
    (note,) = credit_notes(app)
    with app.app_context():
        receipt = db.session.scalar(
            select(Document).where(
                Document.order_id == order.id, Document.kind == DocumentKind.RECEIPT
            )
        )
    assert note.total_pence == -35_000 and note.credits_document_id == receipt.id
    assert refunds_made(app)[0].credit_note_id == note.id
    text = pdf_text(note.pdf)
    assert note.number in text and receipt.number in text
    assert printed.report_title in text and "-£350.00" in text
    (email,) = _refund_emails(outbox)
    assert email.to == [GUEST["email"]]
    assert email.subject == f"Refund of £350.00 for your Socitm Insight order {order.reference}"
    assert "Damaged in the post" in email.body and note.number in email.body
    assert f"{printed.report_title}, printed copies x 2: £350.00" in email.body
    assert email.attachments[0][0] == f"{note.number}.pdf"
    assert email.attachments[0][1].startswith(b"%PDF")
    assert "can no longer be downloaded" not in email.body  # the PDF was not refunded


def test_the_refund_is_audited(app, office, admin, paid_order):
    order = paid_order()
    office.refund(
        order.reference,
        {_line(order, "pdf").id: None},
        "Charged the wrong price",
        refunded_on="2026-12-03",
        bank_reference="NOT-A-TRANSFER",
    )
    with app.app_context():
        (entry,) = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "order.refund")
        ).all()
    assert (entry.target_type, entry.target_id) == ("order", order.reference)
    assert (entry.actor_user_id, entry.actor_email) == (admin.id, admin.email)
    assert entry.before == {"refunded_pence": 0, "left_pence": 14_500}
    (refund,) = refunds_made(app)
    assert entry.after == {
        "refund_id": refund.id,
        "method": "card",
        "amount_pence": 14_500,
        "left_pence": 0,
        "lines": {str(_line(order, "pdf").id): 1},
        "postage_pence": 0,
    }
    # A card refund keeps no bank transfer's date or reference, whatever the form sent.
    assert (refund.refunded_on, refund.bank_reference) == (None, "")
    assert entry.note == "Charged the wrong price"


def test_a_refund_of_every_line_closes_the_downloads(app, client, office, paid_order, outbox):
    order = paid_order(pdf=True, printed=1)
    pdf = _line(order, "pdf")
    assert _download(client, pdf.id) == 200  # the buyer's browser
    office.refund(order.reference, {_line(order, "print").id: None})
    assert _download(client, pdf.id) == 200  # refunding the printed copy keeps the PDF

    office.refund(order.reference, {pdf.id: None})
    gone = client.get(f"/downloads/{pdf.id}")
    assert gone.status_code == 410 and "refunded" in gone.get_data(as_text=True)
    assert "can no longer be downloaded" in _refund_emails(outbox)[-1].body


def test_the_same_form_sent_twice_refunds_once(app, office, paid_order, standin, outbox):
    order = paid_order()
    key = office.form_key(order.reference)
    lines = {_line(order, "pdf").id: None}
    first = office.refund(order.reference, lines, key=key)
    again = office.refund(order.reference, lines, key=key)
    assert first.status_code == again.status_code == 303
    assert len(refunds_made(app)) == 1
    assert len(_stripe_refunds(standin)) == 1
    assert len(credit_notes(app)) == 1 and len(_refund_emails(outbox)) == 1


def test_each_form_carries_a_new_key(office, paid_order):
    order = paid_order()
    assert office.form_key(order.reference) != office.form_key(order.reference)


def test_a_line_refunded_once_is_refused_the_second_time(app, office, paid_order, standin):
    order = paid_order(pdf=True, printed=2)
    pdf = _line(order, "pdf")
    office.refund(order.reference, {pdf.id: None})
    again = office.refund(order.reference, {pdf.id: None}, key="k" * 32)
    assert again.status_code == 200
    assert "has already been refunded" in again.get_data(as_text=True)
    assert len(refunds_made(app)) == 1 and len(_stripe_refunds(standin)) == 1


def test_more_than_was_paid_is_refused(app, office, paid_order, standin):
    """An earlier refund of an amount (as refunds were made before they were by line) leaves
    less than the line is worth: the line is refused and nothing is written."""
    order = paid_order()
    with app.app_context():
        db.session.add(
            Refund(
                order_id=order.id,
                amount_pence=14_000,
                reason="Goodwill",
                status=RefundStatus.SUCCEEDED,
                idempotency_key="earlier-refund-000001",
            )
        )
        db.session.commit()
    response = office.refund(order.reference, {_line(order, "pdf").id: None})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "Those come to £145.00, more than the £5.00 left to refund" in page
    assert len(refunds_made(app)) == 1 and _stripe_refunds(standin) == []


@pytest.mark.parametrize(
    ("choose", "message"),
    [
        (lambda order: {}, "Choose at least one line to refund"),
        (lambda order: {_line(order, "print").id: "abc"}, "Enter the number of copies of"),
        (lambda order: {_line(order, "print").id: "-1"}, "Enter the number of copies of"),
        (lambda order: {_line(order, "print").id: "9" * 40}, "Enter the number of copies of"),
        (lambda order: {_line(order, "print").id: 0}, "Choose between 1 and 2 copies"),
        (lambda order: {_line(order, "print").id: 3}, "Choose between 1 and 2 copies"),
        (lambda order: {999_999: None}, "That line is not part of this order"),
    ],
    ids=["nothing", "letters", "negative", "huge", "zero", "too-many", "not-this-order"],
)
def test_bad_choices_are_shown_again_with_a_message(
    app, office, paid_order, standin, choose, message
):
    order = paid_order(pdf=True, printed=2)
    for confirm in (False, True):
        response = office.choose(order.reference, choose(order), confirm=confirm)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "There is a problem" in page and message in page
    assert refunds_made(app) == [] and _stripe_refunds(standin) == []


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Enter the reason for the refund"),
        ("x" * 301, "Reason must be 300 characters or fewer"),
    ],
)
def test_a_reason_is_needed(app, office, paid_order, reason, message):
    order = paid_order()
    pdf = _line(order, "pdf")
    page = office.refund(order.reference, {pdf.id: None}, reason).get_data(as_text=True)
    assert message in page and f'value="{pdf.id}" checked' in page.replace("\n", " ")
    assert refunds_made(app) == []


def test_a_form_without_its_key_is_not_sent(app, office, paid_order):
    order = paid_order()
    page = office.refund(order.reference, {_line(order, "pdf").id: None}, key="short")
    assert "This form has expired" in page.get_data(as_text=True)
    assert refunds_made(app) == []


def test_an_unknown_order_is_not_found(office):
    assert office.page("INS-2026-999999").status_code == 404
    assert office.page("x" * 300).status_code == 404


def test_stripe_refusing_shows_its_reason_and_writes_nothing(
    app, office, paid_order, standin, outbox
):
    order = paid_order()
    standin.refuse_next_refund("This charge is disputed and cannot be refunded.", "charge_disputed")
    response = office.refund(order.reference, {_line(order, "pdf").id: None})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Stripe refused the refund: This charge is disputed and cannot be refunded." in page
    assert "could not be reached" not in page
    assert refunds_made(app) == [] and credit_notes(app) == [] and _refund_emails(outbox) == []
    with app.app_context():
        assert db.session.scalars(select(AuditEntry)).all() == []
        assert db.session.get(Order, order.id).lines[0].refunded_at is None
    # Stripe's refusal was for that request only: the same line can be refunded afterwards.
    assert office.refund(order.reference, {_line(order, "pdf").id: None}).status_code == 303
    assert [r.status for r in refunds_made(app)] == [RefundStatus.SUCCEEDED]


def test_what_stripe_says_is_left_wins(app, office, paid_order, standin, stored):
    order = paid_order()
    intent = stored.attempts()[-1].stripe_payment_intent_id
    standin.client().v1.refunds.create({"payment_intent": intent, "amount": 14_000})
    response = office.refund(order.reference, {_line(order, "pdf").id: None})
    assert response.status_code == 409
    assert "Stripe says that is more than is left" in response.get_data(as_text=True)
    assert refunds_made(app) == []
    with app.app_context():
        assert db.session.scalars(select(AuditEntry)).all() == []


def test_stripe_unreachable_keeps_the_refund_to_send_again(
    app, office, paid_order, standin, monkeypatch, outbox
):
    order = paid_order(pdf=True, printed=1)
    pdf = _line(order, "pdf")
    key = office.form_key(order.reference)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    down = office.refund(order.reference, {pdf.id: None}, key=key)
    assert down.status_code == 503
    assert "Stripe could not be reached" in down.get_data(as_text=True)
    (kept,) = refunds_made(app)
    assert kept.status is RefundStatus.REQUESTED and kept.stripe_refund_id is None
    assert _refund_emails(outbox) == []

    monkeypatch.setitem(app.config, "STRIPE_API_BASE", standin.url)
    page = office.page(order.reference).get_data(as_text=True)
    assert "Not yet sent to Stripe" in page and "£175.00" in page  # the £145 is held back
    assert f'name="request_key" value="{key}"' in page  # Send again
    held = office.refund(order.reference, {pdf.id: None}, key="k" * 32)
    assert "has already been refunded" in held.get_data(as_text=True)  # asked for already
    again = office.client.post(
        f"/admin/orders/{order.reference}/refund",
        data={
            "csrf_token": csrf_token(office.client, "/"),
            "request_key": key,
            "reason": "Ordered twice",
            "confirm": "yes",
        },
    )
    assert again.status_code == 303
    (sent,) = refunds_made(app)
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
    done = office.refund(order.reference, {_line(order, "pdf").id: None})
    assert done.status_code == 303
    (waiting,) = refunds_made(app)
    assert waiting.status is RefundStatus.REQUESTED and waiting.stripe_refund_id
    assert credit_notes(app) == [] and _refund_emails(outbox) == []
    assert order_now(app, order.id).lines[0].refunded_at is None  # not before Stripe says so

    attempts = standin.release()  # refund.created, then charge.refunded: both name it
    assert [a["status_code"] for a in attempts] == [200, 200]
    (confirmed,) = refunds_made(app)
    assert confirmed.status is RefundStatus.SUCCEEDED
    for event in standin.events():
        if event["type"] in ("refund.created", "charge.refunded"):
            assert standin.deliver(event["id"])["status_code"] == 200  # repeated deliveries
    assert len(credit_notes(app)) == 1 and len(_refund_emails(outbox)) == 1
    assert order_now(app, order.id).lines[0].refunded_at is not None
    with app.app_context():
        notes = db.session.scalars(
            select(OrderEvent.note).where(
                OrderEvent.order_id == order.id, OrderEvent.note.startswith("Refund of")
            )
        ).all()
    assert notes == ["Refund of £145.00: Ordered twice"]


def test_refund_events_for_refunds_made_elsewhere_are_ignored(
    app, paid_order, standin, stored, outbox
):
    paid_order()
    intent = stored.attempts()[-1].stripe_payment_intent_id
    standin.client().v1.refunds.create({"payment_intent": intent, "amount": 500})
    assert [a["status_code"] for a in standin.release()] == [200, 200]
    assert refunds_made(app) == [] and _refund_emails(outbox) == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_only_administrators_refund(app, client, auth, create_user, paid_order, method):
    order = paid_order()
    path = f"/admin/orders/{order.reference}/refund"
    data = {"csrf_token": csrf_token(client), "lines": str(order.lines[0].id), "reason": "x"}
    guest = client.open(path, method=method, data=data if method == "POST" else None)
    assert guest.status_code == 302 and "/sign-in" in guest.headers["Location"]
    someone = create_user()
    auth.sign_in(someone.email)
    data["csrf_token"] = csrf_token(client, "/")
    assert (
        client.open(path, method=method, data=data if method == "POST" else None).status_code == 403
    )
    assert refunds_made(app) == []


def _cancel(app, order_id: int) -> None:
    with app.app_context():
        orders.cancel_order(db.session.get(Order, order_id), None, "cancelled")
        db.session.commit()


def test_a_payment_that_arrived_after_cancelling_is_refunded_in_full(
    app, office, checkout, standin, stored
):
    """The case the portal flags "Refund it": the order was cancelled, then Stripe took money.
    The order page offers the refund exactly then, and the refund page takes no lines."""
    session_id = checkout(printed=0).headers["Location"].rsplit("/", 1)[1]
    _cancel(app, stored.order().id)
    assert "Refund this order" not in office.order_page(stored.order().reference)
    standin.pay(session_id)
    standin.hold()
    order = stored.order()
    assert order.state is OrderState.CANCELLED and "Refund it" in order.attention
    assert "Refund this order" in office.order_page(order.reference)

    page = office.page(order.reference).get_data(as_text=True)
    assert "refunded in full" in page and 'name="lines"' not in page
    lines = office.refund(order.reference, {order.lines[0].id: None}, key="k" * 32)
    assert "cannot be refunded one by one" in lines.get_data(as_text=True)
    assert refunds_made(app) == []

    shown = office.choose(order.reference, {}, "Paid after cancelling")
    assert "Refund £145.00" in shown.get_data(as_text=True)
    assert office.refund(order.reference, {}, "Paid after cancelling").status_code == 303
    order = stored.order()
    assert [(r.status, r.amount_pence) for r in refunds_made(app)] == [
        (RefundStatus.SUCCEEDED, 14_500)
    ]
    assert order.attention == ""  # settled
    assert credit_notes(app) == []  # nothing was receipted, so nothing to correct


def test_the_lines_of_a_paid_order_cancelled_afterwards_are_not_refunded_one_by_one(
    app, office, paid_order
):
    order = paid_order(pdf=True, printed=1)
    _cancel(app, order.id)
    response = office.refund(order.reference, {_line(order, "print").id: None})
    assert response.status_code == 200
    assert (
        "This order is cancelled, so its lines cannot be refunded one by one: "
        "refund what was paid, in full."
    ) in response.get_data(as_text=True)
    assert refunds_made(app) == []


def _unpaid(app, checkout, post_form, report, stored):
    checkout(printed=0)
    return stored.order()


def _cancelled(app, checkout, post_form, report, stored):
    order = _unpaid(app, checkout, post_form, report, stored)
    _cancel(app, order.id)
    return order


def _waiting_for_approval(app, checkout, post_form, report, stored):
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
    assert order.state is OrderState.AWAITING_APPROVAL
    return order


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_unpaid, "This order is waiting for card payment: there is no card payment to refund."),
        (_cancelled, "This order is cancelled: there is no card payment to refund."),
        (
            _waiting_for_approval,
            "This order is waiting for approval: no invoice has been issued to credit. "
            "Cancel it instead.",
        ),
    ],
    ids=["unpaid", "cancelled", "waiting-for-approval"],
)
def test_orders_with_nothing_to_refund_are_refused(
    app, office, checkout, post_form, report, stored, standin, make, message
):
    order = make(app, checkout, post_form, report, stored)
    state = stored.order().state
    assert "Refund this order" not in office.order_page(order.reference)
    assert "Credit lines" not in office.order_page(order.reference)
    shown = office.page(order.reference)
    assert shown.status_code == 200
    assert message in shown.get_data(as_text=True)
    assert 'name="lines"' not in shown.get_data(as_text=True)
    refused = office.refund(order.reference, {order.lines[0].id: None}, key="k" * 32)
    assert refused.status_code == 409
    assert message in refused.get_data(as_text=True)
    assert refunds_made(app) == [] and _stripe_refunds(standin) == []
    with app.app_context():
        assert (
            db.session.scalar(select(AuditEntry).where(AuditEntry.action == "order.refund")) is None
        )
        assert db.session.get(Order, order.id).state is state


def test_the_order_page_offers_the_refund_of_a_paid_card_order(office, paid_order):
    assert "Refund this order" in office.order_page(paid_order().reference)
