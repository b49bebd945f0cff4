"""The documents register: every VAT invoice, receipt and credit note issued on a range of London
days, one row each, as CSV an accounting package imports (Sage 50, Xero).

What the packages expect, and so what the file does: one header row; dates as day/month/year
(``31/07/2026``), as UK Sage and Xero read them; amounts as plain decimals (``1234.50``: no
symbol, no thousands separator); a credit note's amounts as positive figures, its kind saying
that it is a credit, as both packages enter credit notes. The README maps each column to its
field in either package.

Streamed like the orders export (``portal.admin.order_exports``): plain columns through
``yield_per``, a fixed number of queries whatever the number of documents, every cell through
``portal.csv_safety``.
"""

from collections.abc import Iterator
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import String, case, func, select, type_coerce
from sqlalchemy.orm import aliased

from portal.admin.order_exports import BATCH_SIZE, pounds
from portal.csv_safety import csv_rows, safe_row
from portal.documents.models import Document, DocumentKind
from portal.documents.printed import percent
from portal.extensions import db
from portal.orders.models import Order, OrderLine, OrderState, PaymentMethod
from portal.payments.models import InvoicePayment, Refund, RefundStatus

REGISTER_HEADER = (
    "Number",
    "Date",
    "Kind",
    "Order reference",
    "PO number",
    "Buyer",
    "Email",
    "Organisation",
    "Payment method",
    "Net",
    "VAT rate",
    "VAT",
    "Total",
    "Status",
    "Corrects",
    "Due date",
)

#: A document's kind, and its order's payment method, as the order pages name them.
KIND_LABELS = {kind.value: kind.label for kind in DocumentKind}
METHOD_LABELS = {method.value: method.label for method in PaymentMethod}

#: What became of a credit note's refund, by the rank ``_refund_rank`` gives its best refund.
_REFUND_STATUS = {3: "Refunded", 2: "Refund pending", 1: "Refund failed"}


def uk_date(day: date | None) -> str:
    """``31/07/2026``: the day/month/year that Sage and Xero read in the UK."""
    return "" if day is None else day.strftime("%d/%m/%Y")


def document_status(total: int, credited: int, paid: bool, cancelled: bool = False) -> str:
    """An invoice's or a receipt's status (a receipt is always paid): nothing to pay, credited
    in full by credit notes against it, or paid or unpaid (and part credited); an invoice of a
    cancelled order with no credit note says so."""
    if total <= 0:
        return "Nothing to pay"
    if credited >= total:
        return "Credited"
    part = ", part credited" if credited > 0 else ""
    if paid:
        return "Paid" + part
    if cancelled and not credited:
        return "Cancelled, not credited"
    return "Unpaid" + part


def vat_rate(lowest: int | None, highest: int | None, postage_pence: int) -> str:
    """The VAT rate of everything on a document (``20%``), or ``Mixed`` when its lines have
    different rates; postage carries none of its own, so counts as 0%."""
    rates = {lowest, highest} - {None}
    if postage_pence:
        rates.add(0)
    return percent(rates.pop()) if len(rates) == 1 else "Mixed"


def credit_note_status(refund_rank: int | None) -> str:
    """A credit note's status: the money went back (or is on its way, or failed to), or it was
    credited without a refund (against the invoice)."""
    return _REFUND_STATUS.get(refund_rank or 0, "Credited")


def _rows(first: date, last: date) -> Iterator[tuple]:
    issued = (Document.issued_on >= first) & (Document.issued_on <= last)
    corrected = aliased(Document, name="corrected")
    credit = aliased(Document, name="credit")
    credited = (
        select(
            credit.credits_document_id.label("document_id"),
            func.sum(-credit.total_pence).label("pence"),
        )
        .where(credit.credits_document_id.is_not(None))
        .group_by(credit.credits_document_id)
        .subquery("credited")
    )
    refund_rank = func.max(
        case(
            (Refund.status == RefundStatus.SUCCEEDED, 3),
            (Refund.status == RefundStatus.REQUESTED, 2),
            else_=1,
        )
    )
    refunds = (
        select(Refund.credit_note_id.label("document_id"), refund_rank.label("rank"))
        .where(Refund.credit_note_id.is_not(None))
        .group_by(Refund.credit_note_id)
        .subquery("credit_note_refunds")
    )
    rates = (
        select(
            OrderLine.order_id,
            func.min(OrderLine.vat_rate_basis_points).label("lowest"),
            func.max(OrderLine.vat_rate_basis_points).label("highest"),
        )
        .where(OrderLine.order_id.in_(select(Document.order_id).where(issued)))
        .group_by(OrderLine.order_id)
        .subquery("order_vat_rates")
    )
    query = (
        select(
            Document.number,
            Document.issued_on,
            type_coerce(Document.kind, String()),
            Order.reference,
            Order.po_number,
            Order.name,
            Order.email,
            Order.organisation_name,
            type_coerce(Order.payment_method, String()),
            Document.net_pence,
            Document.vat_pence,
            Document.total_pence,
            type_coerce(Order.state, String()),
            InvoicePayment.id.is_not(None),
            func.coalesce(credited.c.pence, 0),
            refunds.c.rank,
            corrected.number,
            rates.c.lowest,
            rates.c.highest,
            Order.postage_pence,
        )
        .join(Order, Order.id == Document.order_id)
        .outerjoin(InvoicePayment, InvoicePayment.order_id == Order.id)
        .outerjoin(credited, credited.c.document_id == Document.id)
        .outerjoin(refunds, refunds.c.document_id == Document.id)
        .outerjoin(corrected, corrected.id == Document.credits_document_id)
        .outerjoin(rates, rates.c.order_id == Order.id)
        .where(issued)
        .order_by(Document.issued_on, Document.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    payment_days = timedelta(days=current_app.config["INVOICE_PAYMENT_DAYS"])
    cancelled = OrderState.CANCELLED.value
    for row in db.session.connection().execute(query):
        (number, issued_on, kind, reference, po, name, email, organisation, method) = row[:9]
        (net, vat, total, state, paid, credited_pence) = row[9:15]
        (rank, corrects, lowest, highest, postage) = row[15:]
        if kind == DocumentKind.CREDIT_NOTE:
            # Entered as a credit, its amounts positive.
            net, vat, amount = -net, -vat, -total
            status, due = credit_note_status(rank), ""
        elif kind == DocumentKind.INVOICE:
            amount = total
            status = document_status(total, credited_pence, paid, state == cancelled)
            due = uk_date(issued_on + payment_days)
        else:
            amount = total
            status, due = document_status(total, credited_pence, paid=True), ""
        yield (
            number,
            uk_date(issued_on),
            KIND_LABELS.get(kind, kind),
            reference,
            # What people typed is made safe for spreadsheets; the rest the portal wrote.
            *safe_row((po, name, email, organisation)),
            METHOD_LABELS.get(method, method),
            pounds(net),
            vat_rate(lowest, highest, postage),
            pounds(vat),
            pounds(amount),
            status,
            corrects,
            due,
        )


def document_count(first: date, last: date) -> int:
    """How many rows ``documents_csv`` writes below its header for the same days."""
    return db.session.scalar(
        select(func.count(Document.id)).where(
            Document.issued_on >= first, Document.issued_on <= last
        )
    )


def documents_csv(first: date, last: date) -> Iterator[str]:
    """Every document issued on London days ``first`` to ``last`` (its date of issue, also its
    tax point), oldest first: a header, then one row per document; CSV text in batches."""
    yield from csv_rows([REGISTER_HEADER])
    yield from csv_rows(_rows(first, last), batch_size=BATCH_SIZE, made_safe=True)
