"""Invoices issued at the same moment by separate transactions, on PostgreSQL where the row locks
are real: every committed invoice has its own number, and together they leave no gap."""

import threading
import time

import pytest
from sqlalchemy import delete, select

from portal import pricing
from portal.catalogue.models import ReportFormat
from portal.documents import services
from portal.documents.models import Document, DocumentKind, DocumentSequence
from portal.extensions import db
from portal.orders.models import Order, PaymentMethod
from portal.orders.services import Buyer
from portal.pricing import FormatKind
from tests.documents.helpers import BILLING, TODAY, format_of

THREADS = 8
ROLLED_BACK = 3  # the transaction that takes this number first rolls back instead of committing


def _invoice_orders(app, create_report, create_order, count: int) -> list[int]:
    report = create_report()
    with app.app_context():
        pdf = db.session.get(ReportFormat, format_of(report, FormatKind.PDF).id)
        orders = []
        for n in range(count):
            order = create_order(
                [(pdf, 1)],
                buyer=Buyer(f"buyer{n}@eastbridge.gov.uk", f"Buyer {n}", "Eastbridge Council"),
                person=pricing.GUEST,
                on=TODAY,
                method=PaymentMethod.INVOICE,
                **BILLING,
            )
            orders.append(order)
        db.session.commit()
        return [order.id for order in orders]


@pytest.mark.postgres_only
@pytest.mark.real_transactions
@pytest.mark.parametrize("sequence_row", ["present", "missing"])
def test_invoices_issued_at_once_are_numbered_without_duplicates_or_gaps(
    app, create_report, create_order, sequence_row
):
    order_ids = _invoice_orders(app, create_report, create_order, THREADS)
    with app.app_context():
        if sequence_row == "missing":
            db.session.execute(delete(DocumentSequence))
        elif db.session.get(DocumentSequence, DocumentKind.INVOICE) is None:
            db.session.add(DocumentSequence(kind=DocumentKind.INVOICE, next_number=1))
        db.session.commit()

    barrier = threading.Barrier(THREADS)
    guard = threading.Lock()
    rolled_back: list[int] = []
    committed: list[int] = []
    errors: list[BaseException] = []

    def issue(order_id: int) -> None:
        try:
            with app.app_context():
                order = db.session.get(Order, order_id)
                barrier.wait(timeout=10)
                invoice = services.issue_invoice(order, TODAY)
                number = invoice.sequence_number
                with guard:
                    roll_back = number == ROLLED_BACK and not rolled_back
                    if roll_back:
                        rolled_back.append(number)
                if roll_back:
                    time.sleep(0.3)  # hold the number while the others queue behind it
                    db.session.rollback()
                    return
                db.session.commit()
                with guard:
                    committed.append(number)
        except BaseException as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=issue, args=(order_id,)) for order_id in order_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert rolled_back == [ROLLED_BACK]
    assert sorted(committed) == list(range(1, THREADS))
    with app.app_context():
        numbers = db.session.scalars(select(Document.number).order_by(Document.number)).all()
        assert numbers == [f"INV-{n:06d}" for n in range(1, THREADS)]
        sequence = db.session.get(DocumentSequence, DocumentKind.INVOICE)
        assert sequence.next_number == THREADS
