"""Two administrators refunding the same line of one order at the same moment, on PostgreSQL
where the row locks are real: exactly one refund is made, the other is refused, and the line's
copies go back into stock once."""

import threading

import pytest
from sqlalchemy import func, select

from portal import pricing
from portal.catalogue.models import ReportFormat
from portal.clock import today_in_london
from portal.documents.models import Document, DocumentKind
from portal.extensions import db
from portal.orders.models import Order, PaymentMethod
from portal.orders.services import Buyer, Delivery, InvoiceDetails
from portal.payments import invoices, refunds
from portal.payments.models import Refund

ADMINISTRATORS = 2


@pytest.mark.postgres_only
@pytest.mark.real_transactions
def test_two_administrators_refunding_one_line_at_once_refund_it_once(
    app, create_report, create_order
):
    report = create_report()
    printed = next(f for f in report.formats if f.kind == "print")
    pdf = next(f for f in report.formats if f.kind == "pdf")
    today = today_in_london()
    with app.test_request_context():
        order = create_order(
            [
                (db.session.get(ReportFormat, pdf.id), 1),
                (db.session.get(ReportFormat, printed.id), 2),
            ],
            method=PaymentMethod.INVOICE,
            person=pricing.Person(signed_in=True, email_verified=True),
            buyer=Buyer("jo.evans@eastbridge.gov.uk", "Jo Evans", "Eastbridge Council"),
            on=today,
            delivery=Delivery("Jo Evans", "Town Hall", "", "Eastbridge", "EB1 2CD"),
            invoice=InvoiceDetails("PO-1", "Town Hall", "", "Eastbridge", "EB1 2CD", ""),
        )
        invoices.issue_invoice_for(order, today)
        invoices.mark_invoice_paid(order, today, "BACS-1", None)
        db.session.commit()
        order_id = order.id
        line_id = next(line.id for line in order.lines if line.format_kind == "print")
        stock = db.session.get(ReportFormat, printed.id).stock

    barrier = threading.Barrier(ADMINISTRATORS)
    guard = threading.Lock()
    made: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def refund(n: int) -> None:
        try:
            with app.test_request_context():
                mine = db.session.get(Order, order_id)
                barrier.wait(timeout=10)
                try:
                    refund = refunds.request_refund(
                        mine,
                        {line_id: 2},
                        "Not wanted",
                        None,
                        request_key=f"concurrent-refund-{n:06d}",
                        refunded_on=today,
                        bank_reference=f"REF-{n}",
                    )
                except refunds.RefundRefused as error:
                    db.session.rollback()
                    with guard:
                        refused.append(error.message)
                    return
                db.session.commit()
                with guard:
                    made.append(refund.id)
        except BaseException as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=refund, args=(n,)) for n in range(ADMINISTRATORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert len(made) == 1
    assert len(refused) == 1 and "has already been refunded" in refused[0]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
        notes = db.session.scalar(
            select(func.count())
            .select_from(Document)
            .where(Document.kind == DocumentKind.CREDIT_NOTE)
        )
        assert notes == 1
        assert db.session.get(ReportFormat, printed.id).stock == stock + 2
