"""The money recorded against an order, gathered for ``portal.orders.standing`` (what is owed
and what has been delivered): card payments and the invoice payment received, refunds that
went through, and the invoice and credit notes issued."""

from sqlalchemy import func, select

from portal.documents.models import Document, DocumentKind
from portal.extensions import db
from portal.orders.models import Order
from portal.orders.standing import Money, Standing, standing
from portal.payments.models import (
    AttemptStatus,
    CheckoutAttempt,
    InvoicePayment,
    Refund,
    RefundMethod,
    RefundStatus,
)


def money_of(order: Order) -> Money:
    """The money recorded against ``order`` (four small queries)."""
    card = db.session.scalar(
        select(func.coalesce(func.sum(CheckoutAttempt.amount_paid_pence), 0)).where(
            CheckoutAttempt.order_id == order.id, CheckoutAttempt.status == AttemptStatus.PAID
        )
    )
    transfer = db.session.scalar(
        select(func.coalesce(func.sum(InvoicePayment.amount_pence), 0)).where(
            InvoicePayment.order_id == order.id
        )
    )
    # Money paid back; a credit against an unpaid invoice moved none (its credit note counts).
    refunded = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount_pence), 0)).where(
            Refund.order_id == order.id,
            Refund.status == RefundStatus.SUCCEEDED,
            Refund.method != RefundMethod.CREDIT,
        )
    )
    documents = dict(
        db.session.execute(
            select(Document.kind, func.sum(Document.total_pence))
            .where(Document.order_id == order.id)
            .group_by(Document.kind)
        ).all()
    )
    return Money(
        invoiced=DocumentKind.INVOICE in documents,
        paid_pence=int(card or 0) + int(transfer or 0),
        refunded_pence=int(refunded or 0),
        # Credit notes' totals are negative.
        credited_pence=-int(documents.get(DocumentKind.CREDIT_NOTE) or 0),
    )


def standing_of(order: Order) -> Standing:
    """What is owed on ``order`` and what has been delivered (``portal.orders.standing``)."""
    return standing(order, money_of(order))
