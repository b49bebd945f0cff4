"""Cancelling orders: an invoiced order's cancellation issues a credit note for the whole
invoice, emailed to the buyer and the finance contact; buyers cancel their own unpaid orders
(with a confirmation step), and are refused once anything is paid, downloaded or posted."""

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.clock import today_in_london, utcnow
from portal.documents import services as documents
from portal.documents.models import DocumentKind
from portal.downloads.models import Download
from portal.extensions import db
from portal.orders import states
from portal.orders.models import Order, OrderLine, OrderState, PaymentMethod
from portal.payments import cancellation, invoices
from portal.payments.models import AttemptStatus, RefundMethod
from tests.documents.helpers import pdf_text
from tests.payments.helpers import BUYER, FINANCE, credit_notes, order_now, refunds_made, stock_of


def _credit_note_emails(outbox) -> list:
    return [m for m in outbox if m.subject.startswith("Credit note CRN-")]


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        db.session.expunge_all()
        return entries


def test_an_administrator_cancelling_an_invoiced_order_credits_the_whole_invoice(
    app, post_form, admin, invoice_order, outbox
):
    placed = invoice_order()
    stock = stock_of(app, placed.format)
    outbox.clear()
    response = post_form(
        f"/admin/orders/{placed.reference}/cancel",
        {"cancel_note": "Ordered by mistake"},
        form_page=f"/admin/orders/{placed.reference}",
    )
    assert response.status_code == 302
    assert order_now(app, placed.id).state is OrderState.CANCELLED
    assert stock_of(app, placed.format) == stock + 2
    (note,) = credit_notes(app)
    assert note.total_pence == -49_500
    text = pdf_text(note.pdf)
    assert note.number in text and placed.invoice in text and "-£495.00" in text
    assert "Ordered by mistake" in text
    emails = _credit_note_emails(outbox)
    assert sorted(m.to[0] for m in emails) == sorted([BUYER, FINANCE])
    for email in emails:
        assert (
            email.subject
            == f"Credit note {note.number} for Socitm Insight order {placed.reference}"
        )
        assert placed.invoice in email.body and "£495.00" in email.body
        assert email.attachments[0][0] == f"{note.number}.pdf"
    (entry,) = _audit(app, "order.cancel")
    assert (entry.actor_user_id, entry.actor_email) == (admin.id, admin.email)
    assert entry.after == {"state": "cancelled", "credit_note": note.number}

    again = post_form(
        f"/admin/orders/{placed.reference}/cancel",
        {"cancel_note": "Again"},
        form_page=f"/admin/orders/{placed.reference}",
    )
    assert again.status_code == 302
    assert len(credit_notes(app)) == 1 and len(_credit_note_emails(outbox)) == 2


def test_an_order_with_no_invoice_is_cancelled_without_a_credit_note(
    app, post_form, admin, invoice_order, outbox
):
    placed = invoice_order(invoiced=False)
    assert placed.state is OrderState.AWAITING_APPROVAL
    post_form(
        f"/admin/orders/{placed.reference}/cancel",
        {"cancel_note": "Not approved"},
        form_page=f"/admin/orders/{placed.reference}",
    )
    assert order_now(app, placed.id).state is OrderState.CANCELLED
    assert credit_notes(app) == [] and _credit_note_emails(outbox) == []


def test_crediting_the_whole_invoice_credits_what_is_left_once(app, invoice_order, outbox):
    placed = invoice_order()
    with app.test_request_context():
        order = db.session.get(Order, placed.id)
        invoice = documents.first_of_kind(order, DocumentKind.INVOICE)
        documents.issue_credit_note(invoice, 10_000, today_in_london(), "Part credit")
        note = cancellation.credit_whole_invoice(order, None, today_in_london(), "Switched")
        assert note.total_pence == -39_500
        assert cancellation.credit_whole_invoice(order, None, today_in_london(), "Again") is None
        db.session.commit()
    assert len(credit_notes(app)) == 2


def test_an_unconfirmed_finance_contact_s_credit_note_is_held_not_lost(
    app, post_form, admin, invoice_order, outbox
):
    placed = invoice_order()
    with app.app_context():
        from portal.payments.models import FinanceContact

        contact = db.session.scalar(select(FinanceContact).where(FinanceContact.email == FINANCE))
        contact.emails_that_day = 3  # it has had its emails today
        db.session.commit()
    outbox.clear()
    post_form(
        f"/admin/orders/{placed.reference}/cancel",
        {"cancel_note": "Ordered by mistake"},
        form_page=f"/admin/orders/{placed.reference}",
    )
    assert [m.to[0] for m in _credit_note_emails(outbox)] == [BUYER]
    with app.app_context():
        from portal.email.models import OutboxEmail, OutboxStatus

        held = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == FINANCE))
        assert held is not None
        rows = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.to_address == FINANCE).order_by(OutboxEmail.id)
        ).all()
        assert rows[-1].status is OutboxStatus.HELD and rows[-1].subject.startswith("Credit note")


# -- the buyer's own cancel -------------------------------------------------------------------


def _page(client, placed) -> str:
    return client.get(f"/orders/{placed.reference}?token={placed.token}").get_data(as_text=True)


def _cancel_page(client, placed):
    return client.get(f"/orders/{placed.reference}/cancel?token={placed.token}")


def _cancel(post_form, placed):
    return post_form(
        f"/orders/{placed.reference}/cancel",
        {"token": placed.token},
        form_page="/sign-in",
    )


def test_the_buyer_cancels_an_unpaid_invoice_order_after_confirming(
    app, client, post_form, invoice_order, outbox
):
    placed = invoice_order()
    stock = stock_of(app, placed.format)
    assert "Cancel this order" in _page(client, placed)
    confirm = _cancel_page(client, placed).get_data(as_text=True)
    assert "Are you sure you want to cancel this order?" in confirm
    assert "£495.00" in confirm and FINANCE in confirm
    assert order_now(app, placed.id).state is OrderState.AWAITING_INVOICE_PAYMENT  # not yet

    outbox.clear()
    done = _cancel(post_form, placed)
    assert done.status_code == 303
    assert done.headers["Location"] == f"/orders/{placed.reference}?token={placed.token}"
    assert order_now(app, placed.id).state is OrderState.CANCELLED
    assert stock_of(app, placed.format) == stock + 2
    (note,) = credit_notes(app)
    assert sorted(m.to[0] for m in _credit_note_emails(outbox)) == sorted([BUYER, FINANCE])
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert f"We have emailed credit note {note.number}" in page
    assert "Cancel this order" not in page
    with app.app_context():
        events = db.session.get(Order, placed.id).events
        (event,) = [e for e in events if e.to_state != e.from_state == "awaiting_invoice_payment"]
        assert (event.to_state, event.note) == ("cancelled", "Cancelled by the buyer")
        assert events[-1].note.startswith(f"Credit note {note.number} for £495.00 cancels")
    (entry,) = _audit(app, "order.cancel_by_buyer")  # a guest, known by the order's address
    assert (entry.actor_user_id, entry.actor_email) == (None, BUYER)
    assert (entry.target_type, entry.target_id) == ("order", placed.reference)
    assert entry.before == {"state": "awaiting_invoice_payment"}
    assert entry.after == {"state": "cancelled", "credit_note": note.number}
    assert entry.note == "Cancelled by the buyer"


def _downloaded(app, placed):
    with app.app_context():
        line = db.session.scalar(
            select(OrderLine).where(OrderLine.order_id == placed.id, OrderLine.format_kind == "pdf")
        )
        db.session.add(Download(order_line_id=line.id, via="link", ip_address="192.0.2.1"))
        db.session.commit()


def _dispatched(app, placed):
    with app.app_context():
        order = db.session.get(Order, placed.id)
        for line in order.lines:
            if line.format_kind == "print":
                line.dispatched_at = utcnow()
        db.session.commit()


def _paid(app, placed):
    with app.test_request_context():
        invoices.mark_invoice_paid(db.session.get(Order, placed.id), today_in_london(), "B", None)
        db.session.commit()


@pytest.mark.parametrize(
    ("happen", "reason"),
    [
        (_downloaded, "A report in this order has been downloaded, so it cannot be cancelled."),
        (_dispatched, "Printed copies of this order have been posted, so it cannot be cancelled."),
        (_paid, "This order has been paid, so it cannot be cancelled here."),
    ],
    ids=["downloaded", "dispatched", "paid"],
)
def test_the_buyer_cannot_cancel_once_anything_is_downloaded_posted_or_paid(
    app, client, post_form, invoice_order, outbox, happen, reason
):
    placed = invoice_order()
    happen(app, placed)
    state = order_now(app, placed.id).state
    assert "Cancel this order" not in _page(client, placed)
    shown = _cancel_page(client, placed).get_data(as_text=True)
    assert reason in shown and "Yes, cancel this order" not in shown
    outbox.clear()
    refused = _cancel(post_form, placed)
    assert refused.status_code == 303
    assert reason in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert order_now(app, placed.id).state is state
    assert credit_notes(app) == [] and _credit_note_emails(outbox) == []
    assert _audit(app, "order.cancel_by_buyer") == []


def test_someone_else_cannot_cancel_the_order(app, client, post_form, invoice_order):
    placed = invoice_order()
    assert client.get(f"/orders/{placed.reference}/cancel").status_code == 404
    stranger = post_form(f"/orders/{placed.reference}/cancel", {}, form_page="/sign-in")
    assert stranger.status_code == 404
    forged = post_form(
        f"/orders/{placed.reference}/cancel", {"token": "x" * 300}, form_page="/sign-in"
    )
    assert forged.status_code == 404
    assert order_now(app, placed.id).state is OrderState.AWAITING_INVOICE_PAYMENT


@pytest.mark.usefixtures("stripe_is_the_standin")
def test_a_card_payment_page_still_open_is_expired_before_cancelling(
    app, client, post_form, checkout, standin, stored
):
    session_id = checkout(pdf=True, printed=1).headers["Location"].rsplit("/", 1)[1]
    order = stored.order()
    assert order.state is OrderState.PENDING_PAYMENT
    assert "Cancel this order" in client.get(f"/orders/{order.reference}").get_data(as_text=True)
    done = post_form(f"/orders/{order.reference}/cancel", {}, form_page="/sign-in")
    assert done.status_code == 303
    assert stored.order().state is OrderState.CANCELLED
    assert standin.client().v1.checkout.sessions.retrieve(session_id).status == "expired"
    assert [a.status for a in stored.attempts()] == [AttemptStatus.EXPIRED]


@pytest.mark.usefixtures("stripe_is_the_standin")
def test_a_signed_in_buyer_s_cancel_is_in_the_audit_log_under_their_account(
    app, client, post_form, auth, create_user, checkout, stored
):
    buyer = create_user(email="sam.reid@westshire.gov.uk")
    auth.sign_in(buyer.email)
    checkout(pdf=True, printed=0)
    order = stored.order()
    assert order.user_id == buyer.id
    assert post_form(f"/orders/{order.reference}/cancel", {}, form_page="/").status_code == 303
    (entry,) = _audit(app, "order.cancel_by_buyer")
    assert (entry.actor_user_id, entry.actor_email) == (buyer.id, buyer.email)
    assert entry.target_id == order.reference
    assert (entry.before, entry.after) == ({"state": "pending_payment"}, {"state": "cancelled"})


@pytest.mark.usefixtures("stripe_is_the_standin")
def test_a_card_payment_made_just_before_cancelling_wins(
    app, client, post_form, checkout, standin, stored
):
    session_id = checkout(pdf=True, printed=0).headers["Location"].rsplit("/", 1)[1]
    order = stored.order()
    standin.pay(session_id, deliver=False)  # paid at Stripe; its event has not arrived
    refused = post_form(f"/orders/{order.reference}/cancel", {}, form_page="/sign-in")
    assert refused.status_code == 303
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "has just been paid" in page
    assert stored.order().state is not OrderState.CANCELLED


def test_states_that_allow_no_cancel(app, create_order):
    with app.app_context():
        order = create_order(method=PaymentMethod.CARD)
        states.mark_paid(order, None, "Paid")
        states.mark_fulfilled(order, None, "Done")
        assert cancellation.refusal(order) == "This order is complete, so it cannot be cancelled."
        with pytest.raises(cancellation.CancelRefused):
            cancellation.cancel_order(order, None, "x", today_in_london())


def test_cancelling_a_paid_invoice_order_credits_it_and_flags_the_money_to_refund(
    app, post_form, admin, invoice_order, outbox
):
    placed = invoice_order(paid=True)
    post_form(
        f"/admin/orders/{placed.reference}/cancel",
        {"cancel_note": "Event called off"},
        form_page=f"/admin/orders/{placed.reference}",
    )
    order = order_now(app, placed.id)
    assert order.state is OrderState.CANCELLED
    assert order.attention == "Cancelled after £495.00 was paid and not refunded. Refund it."
    (note,) = credit_notes(app)
    assert note.total_pence == -49_500

    refund = {
        "reason": "Event called off",
        "request_key": "cancelled-order-refund-1",
        "refunded_on": today_in_london().isoformat(),
        "bank_reference": "BACK-1",
        "confirm": "yes",
    }
    path = f"/admin/orders/{placed.reference}/refund"
    assert post_form(path, refund, form_page=path).status_code == 303
    (made,) = refunds_made(app)
    assert (made.method, made.amount_pence, made.lines) == (RefundMethod.BANK_TRANSFER, 49_500, [])
    assert order_now(app, placed.id).attention == ""  # settled
    assert len(credit_notes(app)) == 1  # the invoice was credited in full when cancelling
