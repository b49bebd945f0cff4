"""What an organisation's managers see: its people's orders, the free printed copies they took,
and who belongs to it. Reads only; the writes are ``portal.organisations.managers`` and the named
members' services, which administrators use too.

An order is the organisation's when it used the organisation's subscription, or its address is
one of the organisation's (at one of its domains or a named member's).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal.catalogue.models import ReportFormat
from portal.documents.models import Document
from portal.extensions import db
from portal.orders.models import Order, OrderLine, OrderState
from portal.organisations.models import Organisation
from portal.pricing import FormatKind

ORDERS_SHOWN = 500


def _addresses_of(organisation: Organisation):
    """The condition "this order's address is one of the organisation's"."""
    conditions = [Order.email.in_([m.email for m in organisation.members])]
    for registered in organisation.domains:
        # Domains hold only letters, digits, hyphens and dots, so nothing here is a wildcard.
        conditions.append(Order.email.like(f"%@{registered.domain}"))
        conditions.append(Order.email.like(f"%@%.{registered.domain}"))
    return or_(*conditions)


def _orders_query(organisation: Organisation):
    return select(Order).where(
        Order.reference.is_not(None),
        or_(Order.subscriber_organisation_id == organisation.id, _addresses_of(organisation)),
    )


def organisation_orders(organisation: Organisation) -> list[Order]:
    """The orders placed by the organisation's people, newest first, with their lines (at most
    ORDERS_SHOWN)."""
    return list(
        db.session.scalars(
            _orders_query(organisation)
            .options(selectinload(Order.lines))
            .order_by(Order.id.desc())
            .limit(ORDERS_SHOWN)
        )
    )


def organisation_order(organisation: Organisation, reference: str) -> Order | None:
    """One of the organisation's orders by reference; None for anyone else's."""
    if len(reference) > 20:
        return None
    return db.session.scalar(_orders_query(organisation).where(Order.reference == reference))


@dataclass(frozen=True)
class DocumentLink:
    order_id: int
    number: str
    kind_label: str


def documents_of(orders: list[Order]) -> dict[int, list[DocumentLink]]:
    """The invoices, receipts and credit notes issued for these orders, by order id (numbers
    only: the PDFs stay in the database until one is downloaded)."""
    found: dict[int, list[DocumentLink]] = {order.id: [] for order in orders}
    if not found:
        return found
    rows = db.session.execute(
        select(Document.order_id, Document.number, Document.kind)
        .where(Document.order_id.in_(list(found)))
        .order_by(Document.id)
    )
    for order_id, number, kind in rows:
        found[order_id].append(DocumentLink(order_id, number, kind.label))
    return found


@dataclass(frozen=True)
class FreeCopyTaken:
    """Free printed copies of a report one person took in one order."""

    report_title: str
    name: str
    email: str
    reference: str
    copies: int
    placed_at: datetime
    allowance: int  # free printed copies of the report each subscribing organisation gets


def free_copies_taken(organisation: Organisation) -> list[FreeCopyTaken]:
    """Who took the organisation's free printed copies, report by report, oldest first: the
    orders (not cancelled) that used its subscription for printed copies at the subscriber
    price."""
    rows = db.session.execute(
        select(
            OrderLine.report_title,
            Order.name,
            Order.email,
            Order.reference,
            OrderLine.subscriber_quantity,
            Order.created_at,
            ReportFormat.free_copies_per_organisation,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(ReportFormat, ReportFormat.id == OrderLine.report_format_id)
        .where(
            Order.subscriber_organisation_id == organisation.id,
            Order.state != OrderState.CANCELLED,
            OrderLine.format_kind == FormatKind.PRINT,
            OrderLine.subscriber_quantity > 0,
        )
        .order_by(OrderLine.report_title, Order.created_at, Order.id)
    )
    return [FreeCopyTaken(*row) for row in rows]
