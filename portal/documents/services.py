"""Issuing documents: VAT invoices, receipts and credit notes, numbered without gaps.

Each kind of document has its own sequence (``INV-000001``, ``RCT-000001``, ``CRN-000001``).
Taking a number updates that kind's ``document_sequences`` row, so concurrent transactions queue
on its lock until the first commits, and a transaction that rolls back gives its number back:
no two documents share a number and none is skipped. Issuing for an order first locks the
order's row, so two requests for one order take turns and the second finds the first's document
instead of taking a second number. The PDF is drawn once, when the document is
issued, and kept on the row exactly as issued.

Services flush; the caller commits once (and only then sends the PDF anywhere).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal import pricing
from portal.documents import content
from portal.documents.models import Document, DocumentCopy, DocumentKind, DocumentSequence
from portal.documents.pdf import numbered, render_document, render_with_stand_in
from portal.documents.printed import DocumentContent, InvoiceTerms, Line
from portal.extensions import db
from portal.money import format_pence
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.orders.states import lock_order


class DocumentRefused(Exception):
    """The document cannot be issued (wrong kind of order, wrong state, or too large a credit)."""


def take_number(kind: DocumentKind) -> int:
    """Take the next number of ``kind``, in the caller's transaction.

    One ``UPDATE … RETURNING`` both reads and moves the sequence on, so the row lock it takes
    makes concurrent transactions wait their turn (and read the number the first one left), and a
    rollback undoes the move. Should the row be missing (the tables were emptied), it is put back
    to follow the highest number already issued, then taken as usual.
    """
    sequences = DocumentSequence.__table__
    move_on = (
        update(sequences)
        .where(sequences.c.kind == kind)
        .values(next_number=sequences.c.next_number + 1)
        .returning(sequences.c.next_number - 1)
    )
    number = db.session.execute(move_on).scalar_one_or_none()
    if number is None:
        _restore_sequence(kind)
        number = db.session.execute(move_on).scalar_one()
    return number


def _restore_sequence(kind: DocumentKind) -> None:
    # ON CONFLICT DO NOTHING waits for a concurrent transaction restoring the same row, so only
    # one row is ever put back; both then take numbers from it in turn.
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    highest = (
        select(func.coalesce(func.max(Document.sequence_number), 0) + 1)
        .where(Document.kind == kind)
        .scalar_subquery()
    )
    db.session.execute(
        insert(DocumentSequence.__table__)
        .values(kind=kind, next_number=highest)
        .on_conflict_do_nothing(index_elements=["kind"])
    )


def document_number(kind: DocumentKind, sequence_number: int) -> str:
    """The number as printed: ``INV-000123``."""
    return f"{kind.prefix}-{sequence_number:06d}"


def documents_for(order: Order) -> list[Document]:
    """Every document issued for ``order``, in the order they were issued."""
    return list(
        db.session.scalars(
            select(Document).where(Document.order_id == order.id).order_by(Document.id)
        )
    )


def find_document(order: Order, number: str) -> Document | None:
    """The document of ``order`` with this number (None when there is none, or it belongs to
    another order)."""
    return db.session.scalar(
        select(Document).where(
            Document.order_id == order.id, Document.number == number.strip().upper()
        )
    )


def issue_invoice(order: Order, issued_on: date) -> Document:
    """The VAT invoice of an order paid on invoice, issued on ``issued_on`` (also its tax point),
    with the payment terms (``INVOICE_PAYMENT_DAYS``), the bank details to pay to, the invoice's
    own number as the payment reference, and where to send remittance advice.

    An order has one invoice: asking again returns the one already issued, never a second number.
    Raises DocumentRefused for an order not paid on invoice, or a cancelled one.
    """
    lock_order(order)
    existing = _existing(order, DocumentKind.INVOICE)
    if existing is not None:
        return existing
    if order.payment_method is not PaymentMethod.INVOICE:
        raise DocumentRefused(f"order {order.reference} is not paid on invoice")
    if order.state is OrderState.CANCELLED:
        raise DocumentRefused(f"order {order.reference} is cancelled")
    terms = _invoice_terms(issued_on)
    supplier = content.supplier_from_config(current_app.config)
    return _issue(
        order,
        DocumentKind.INVOICE,
        issued_on,
        _order_amounts(order),
        lambda invoice: content.invoice_content(order, invoice.number, issued_on, supplier, terms),
    )


def _invoice_terms(issued_on: date) -> InvoiceTerms:
    config = current_app.config
    days = config["INVOICE_PAYMENT_DAYS"]
    return InvoiceTerms(
        payment_days=days,
        due_on=issued_on + timedelta(days=days),
        bank=content.bank_from_config(config),
        remittance_email=config["REMITTANCE_EMAIL"].strip(),
    )


def copy_of_invoice(invoice: Document, made_on: date, marking: str) -> DocumentCopy:
    """A copy of an issued VAT invoice drawn again from its order as it is now (e.g. with a
    purchase-order number added), with the same number, date and terms, marked ``marking``.
    The invoice itself never changes; the copy is kept beside it. Raises DocumentRefused for
    anything but an invoice."""
    if invoice.kind is not DocumentKind.INVOICE:
        raise DocumentRefused("only a VAT invoice is copied")
    order = invoice.order
    lock_order(order)
    supplier = content.supplier_from_config(current_app.config)
    drawn = content.invoice_content(
        order, invoice.number, invoice.issued_on, supplier, _invoice_terms(invoice.issued_on)
    ).marked(marking)
    copy = DocumentCopy(
        document_id=invoice.id, made_on=made_on, marking=marking, pdf=render_document(drawn)
    )
    db.session.add(copy)
    db.session.flush()
    return copy


def copies_for(order: Order) -> list[DocumentCopy]:
    """The copies of ``order``'s documents, oldest first."""
    return list(
        db.session.scalars(
            select(DocumentCopy)
            .join(Document, Document.id == DocumentCopy.document_id)
            .where(Document.order_id == order.id)
            .order_by(DocumentCopy.id)
        )
    )


def find_copy(order: Order, name: str) -> DocumentCopy | None:
    """The copy of a document of ``order`` named ``name`` as it is downloaded
    (``INV-000123-copy-4``, see ``DocumentCopy.name``); None for any other name or order."""
    number, _, copy_id = name.strip().upper().rpartition("-COPY-")
    if not number or not copy_id.isascii() or not copy_id.isdigit() or len(copy_id) > 9:
        return None
    return db.session.scalar(
        select(DocumentCopy)
        .join(Document, Document.id == DocumentCopy.document_id)
        .where(
            DocumentCopy.id == int(copy_id),
            Document.order_id == order.id,
            Document.number == number,
        )
    )


def issue_receipt(order: Order, issued_on: date, credited: tuple[Line, ...] = ()) -> Document:
    """The receipt of a paid order (by card or on invoice), saying how it was paid. A receipt
    is for the money received: ``credited`` are the lines (positive amounts) of credit notes
    issued against the invoice before it was paid, which it shows taken off, and its total is
    what is left, as paid.

    An order has one receipt: asking again returns the one already issued, never a second number.
    Raises DocumentRefused for an order that is not paid, and for one that cost nothing: no money
    was received, so it has its order confirmation and no receipt for £0.00.
    """
    lock_order(order)
    existing = _existing(order, DocumentKind.RECEIPT)
    if existing is not None:
        return existing
    if order.state not in pricing.PAID_STATES:
        raise DocumentRefused(f"order {order.reference} is not paid")
    if order.payment_method is PaymentMethod.FREE:
        raise DocumentRefused(f"order {order.reference} cost nothing: there is no receipt")
    paid = order.total_pence - sum(line.total_pence for line in credited)
    how_paid = _how_paid(order, paid)
    supplier = content.supplier_from_config(current_app.config)
    return _issue(
        order,
        DocumentKind.RECEIPT,
        issued_on,
        _amounts_received(order, credited),
        lambda receipt: content.receipt_content(
            order, receipt.number, issued_on, supplier, how_paid, credited
        ),
    )


def left_to_credit(document: Document) -> int:
    """What of ``document``'s total its credit notes have not yet credited."""
    credited = db.session.scalar(
        select(func.coalesce(func.sum(Document.total_pence), 0)).where(
            Document.credits_document_id == document.id
        )
    )
    return document.total_pence + credited  # credit notes' totals are negative


def issue_credit_note(
    document: Document,
    amount_pence: int,
    issued_on: date,
    reason: str,
    lines: tuple[Line, ...] = (),
) -> Document:
    """A credit note for ``amount_pence`` (a positive amount, VAT included) against an invoice or
    a receipt, e.g. for a refund. Its total is minus the amount; it names the document it
    corrects, and why, and ``lines`` (positive amounts) when it credits particular lines.

    The VAT credited is that of ``lines`` when they are given (they must add up to the amount),
    else the original's share of VAT in the amount (all of it for a full credit). Every call
    issues a new credit note. Raises DocumentRefused when ``document`` is itself a credit note,
    or the amount is not positive or is more than is left to credit on it.
    """
    if isinstance(amount_pence, bool) or not isinstance(amount_pence, int):
        raise TypeError(f"money is integer pence, not {type(amount_pence).__name__}")
    order = document.order
    lock_order(order)
    if document.kind is DocumentKind.CREDIT_NOTE:
        raise DocumentRefused("a credit note cannot itself be credited")
    left = left_to_credit(document)
    if not 0 < amount_pence <= left:
        raise DocumentRefused(
            f"{document.number} has {format_pence(left)} left to credit, "
            f"not {format_pence(amount_pence)}"
        )
    if lines and sum(line.total_pence for line in lines) != amount_pence:
        raise DocumentRefused("the lines credited do not add up to the amount")
    vat = (
        sum(line.vat_pence for line in lines)
        if lines
        else vat_share(amount_pence, order.vat_pence, order.total_pence)
    )
    supplier = content.supplier_from_config(current_app.config)
    return _issue(
        order,
        DocumentKind.CREDIT_NOTE,
        issued_on,
        Amounts(net_pence=-(amount_pence - vat), vat_pence=-vat),
        lambda note: content.credit_note_content(document, note, supplier, reason, lines),
        credits=document,
    )


def first_of_kind(order: Order, kind: DocumentKind) -> Document | None:
    """The order's first document of ``kind`` (its invoice, its receipt), or None."""
    return _existing(order, kind)


def _existing(order: Order, kind: DocumentKind) -> Document | None:
    return db.session.scalar(
        select(Document)
        .where(Document.order_id == order.id, Document.kind == kind)
        .order_by(Document.id)
        .limit(1)
    )


@dataclass(frozen=True)
class Amounts:
    """What a document is for, in pence (negative on a credit note): its net (postage
    included) and its VAT, which add up to its total."""

    net_pence: int
    vat_pence: int

    @property
    def total_pence(self) -> int:
        return self.net_pence + self.vat_pence


def _order_amounts(order: Order) -> Amounts:
    return Amounts(net_pence=order.net_pence + order.postage_pence, vat_pence=order.vat_pence)


def _amounts_received(order: Order, credited: tuple[Line, ...]) -> Amounts:
    """The order's amounts less the lines credited before it was paid: what a receipt is for."""
    whole = _order_amounts(order)
    return Amounts(
        net_pence=whole.net_pence - sum(line.net_pence for line in credited),
        vat_pence=whole.vat_pence - sum(line.vat_pence for line in credited),
    )


def _issue(
    order: Order,
    kind: DocumentKind,
    issued_on: date,
    amounts: Amounts,
    content_for: Callable[[Document], DocumentContent],
    credits: Document | None = None,
) -> Document:
    """Keep ``amounts`` on a new document, draw its PDF from it, take the next number, print it
    on the PDF and keep that on the row too.

    The number's row lock is held until the commit, so the PDF is drawn before the number is
    taken, with a stand-in of the same width (number 0, never issued), which the number then
    replaces in the PDF's bytes: confirmations wait for each other only for the rest of their
    transaction. Should that not be possible, the PDF is drawn again with the number.
    """
    stand_in = document_number(kind, 0)
    document = Document(
        order_id=order.id,
        kind=kind,
        number=stand_in,
        issued_on=issued_on,
        net_pence=amounts.net_pence,
        vat_pence=amounts.vat_pence,
        total_pence=amounts.total_pence,
        credits_document_id=credits.id if credits is not None else None,
    )
    drawn = render_with_stand_in(content_for(document), stand_in)
    document.sequence_number = take_number(kind)
    document.number = document_number(kind, document.sequence_number)
    pdf = numbered(drawn, stand_in, document.number) if drawn is not None else None
    document.pdf = pdf if pdf is not None else render_document(content_for(document))
    db.session.add(document)
    db.session.flush()
    return document


def _how_paid(order: Order, paid_pence: int) -> str:
    total = format_pence(paid_pence)
    if order.payment_method is PaymentMethod.CARD:
        return f"Paid in full by card: {total}. Thank you."
    invoice = _existing(order, DocumentKind.INVOICE)
    against = f" against VAT invoice {invoice.number}" if invoice is not None else ""
    return f"Paid in full by bank transfer{against}: {total}. Thank you."


def vat_share(amount_pence: int, order_vat_pence: int, order_total_pence: int) -> int:
    """The VAT in ``amount_pence`` of an order's total, to the nearest penny (halves up): what a
    credit note of that amount takes back."""
    if order_total_pence <= 0:
        return 0
    return (2 * amount_pence * order_vat_pence + order_total_pence) // (2 * order_total_pence)
