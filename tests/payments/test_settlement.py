"""Money arriving settles an order the same way whether it came by card, by a bank transfer
against the invoice, or because the order cost nothing."""

from datetime import date

import pytest

from portal.catalogue.models import ReportFormat
from portal.checkout.services import place_order
from portal.downloads import jobs as download_jobs
from portal.email import send_email
from portal.extensions import db
from portal.orders.access import order_link
from portal.orders.models import OrderState, PaymentMethod
from portal.orders.services import Buyer, InvoiceDetails, Item
from portal.payments import gateway, invoices
from portal.payments import services as payments
from portal.payments.models import AttemptStatus, CheckoutAttempt
from portal.pricing import GUEST, FormatKind

TODAY = date(2026, 11, 2)
BUYER = Buyer("jo.evans@eastbridge.gov.uk", "Jo Evans", "Eastbridge")


@pytest.fixture
def jobs(monkeypatch):
    """The background jobs queued to run after the commit, as (function, arguments)."""
    queued = []
    monkeypatch.setattr(
        download_jobs, "enqueue_after_commit", lambda func, *args: queued.append((func, args))
    )
    return queued


def _pdf_order(create_report, price_pence: int, method: PaymentMethod, **fields):
    pdf = ReportFormat(kind=FormatKind.PDF, price_pence=price_pence, subscriber_price_pence=0)
    report = create_report(formats=[pdf])
    return place_order(BUYER, GUEST, [Item(report.formats[0], 1)], TODAY, method, **fields)


def _by_card(create_report):
    order = _pdf_order(create_report, 14_500, PaymentMethod.CARD)
    attempt = CheckoutAttempt(
        order_id=order.id,
        number=1,
        stripe_session_id="cs_test_settle",
        status=AttemptStatus.OPEN,
        amount_pence=order.total_pence,
        currency="gbp",
    )
    db.session.add(attempt)
    db.session.flush()
    session = gateway.CheckoutSession(
        id="cs_test_settle",
        url=None,
        status="complete",
        payment_status="paid",
        amount_total=order.total_pence,
        currency="gbp",
        payment_intent="pi_settle",
        metadata={},
    )
    payments._record_payment(order, attempt, session)
    return order


def _by_invoice(create_report):
    details = InvoiceDetails("PO-1", "Civic Hall", "", "Leeds", "LS1 1UR", "")
    order = _pdf_order(create_report, 14_500, PaymentMethod.INVOICE, invoice=details)
    invoices.mark_invoice_paid(order, TODAY, "BACS 1", None)
    return order


def _free(create_report):
    order = _pdf_order(create_report, 0, PaymentMethod.CARD)
    # As the checkout does for a free order: its confirmation, never a receipt for £0.00.
    send_email("order_confirmation", order.email, order=order, link=order_link(order))
    return order


@pytest.mark.parametrize("pay", [_by_card, _by_invoice, _free], ids=["card", "invoice", "free"])
def test_every_way_of_paying_settles_the_order_alike(ctx, create_report, jobs, outbox, pay):
    order = pay(create_report)
    db.session.commit()

    assert order.state is OrderState.FULFILLED
    assert [e.to_state for e in order.events][-2:] == [OrderState.PAID, OrderState.FULFILLED]
    assert order.events[-1].note == "PDF available to download"
    assert jobs == [(download_jobs.stamp_line_copies, ([order.lines[0].id],))]
    assert [m.to for m in outbox] == [[order.email]]
    told = "Your order INS-" if pay is _free else "Receipt RCT-"
    assert outbox[0].subject.startswith(told)
