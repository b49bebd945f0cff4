"""Placing orders: prices fixed from the pricing module, printed stock reserved (or the order
waiting for approval before it takes any), history written.

Services flush; the caller commits once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from portal import pricing
from portal.catalogue.models import ReportFormat
from portal.extensions import db
from portal.orders import approval, states, stock
from portal.orders.models import Order, OrderLine, OrderState, PaymentMethod
from portal.orders.stock import CopyLimitReached, Item, NotForSale, OutOfStock  # noqa: F401
from portal.organisations.models import Organisation
from portal.pricing import FormatKind


@dataclass(frozen=True)
class Buyer:
    """Who the order is for, as they gave it (a signed-in person, or a guest at checkout)."""

    email: str
    name: str
    organisation_name: str = ""
    user_id: int | None = None

    @classmethod
    def from_user(cls, user) -> "Buyer":
        return cls(user.email, user.name, user.organisation_name, user.id)


@dataclass(frozen=True)
class Delivery:
    """A UK postal address for printed copies."""

    name: str
    line1: str
    line2: str
    town: str
    postcode: str
    organisation: str = ""
    phone: str = ""

    def as_order_fields(self) -> dict[str, str]:
        return {
            "delivery_name": self.name,
            "delivery_line1": self.line1,
            "delivery_line2": self.line2,
            "delivery_town": self.town,
            "delivery_postcode": self.postcode,
            "delivery_organisation": self.organisation,
            "delivery_phone": self.phone,
        }


@dataclass(frozen=True)
class InvoiceDetails:
    """What paying on invoice needs: a purchase-order number, a billing address, who pays."""

    po_number: str  # empty: "PO to follow"
    line1: str
    line2: str
    town: str
    postcode: str
    finance_email: str
    organisation: str = ""
    phone: str = ""

    #: The order's columns these fill.
    FIELDS = (
        "po_number",
        "billing_line1",
        "billing_line2",
        "billing_town",
        "billing_postcode",
        "finance_email",
        "billing_organisation",
        "billing_phone",
    )

    def as_order_fields(self) -> dict[str, str]:
        values = (self.po_number, self.line1, self.line2, self.town, self.postcode)
        extra = (self.finance_email, self.organisation, self.phone)
        return dict(zip(self.FIELDS, (*values, *extra), strict=True))


class NotEntitled(Exception):
    """The person may not take this for free."""


def _free_copies_used_by(organisation_id: int):
    """Printed copies given to this organisation at the subscriber price, per format, across
    all its members' orders that were not cancelled, less those given back before they were
    posted (a query: format id, copies)."""
    return (
        select(
            OrderLine.report_format_id.label("report_format_id"),
            func.sum(OrderLine.subscriber_quantity - OrderLine.free_copies_returned).label(
                "copies"
            ),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.subscriber_organisation_id == organisation_id,
            Order.state != OrderState.CANCELLED,
            OrderLine.format_kind == FormatKind.PRINT,
        )
        .group_by(OrderLine.report_format_id)
    )


def free_copies_used(organisation_id: int, format_ids: list[int]) -> dict[int, int]:
    """Printed copies each format has given this organisation at the subscriber price, across all
    its members' orders that were not cancelled, less those given back before they were posted
    (see ``_free_copies_used_by``)."""
    if not format_ids:
        return {}
    rows = db.session.execute(
        _free_copies_used_by(organisation_id).where(OrderLine.report_format_id.in_(format_ids))
    ).all()
    used = dict.fromkeys(format_ids, 0)
    used.update({format_id: int(total or 0) for format_id, total in rows})
    return used


@dataclass(frozen=True)
class PricedItems:
    """Items priced for one person: a quote per item, in order, and what they add up to."""

    items: list[Item]
    quotes: list[pricing.Quote]
    totals: pricing.Totals
    subscriber_organisation_id: int | None


def price_items(
    person: pricing.Person, items: list[Item], today: date, *, lock: bool = False
) -> PricedItems:
    """Price ``items`` for ``person`` today with the pricing rules, counting the free printed
    copies their organisation has had (the basket, checkout and placing an order all use this).

    With ``lock``, the subscribing organisation's row is locked first (see ``place_order``).
    """
    organisation_id = _subscribing_organisation(person, today)
    print_ids = [i.report_format.id for i in items if i.report_format.kind is FormatKind.PRINT]
    used: dict[int, int] = {}
    if organisation_id is not None and print_ids:
        if lock:
            db.session.execute(
                select(Organisation.id).where(Organisation.id == organisation_id).with_for_update()
            )
        used = free_copies_used(organisation_id, print_ids)
    quotes, postage = [], []
    for item in items:
        report_format = item.report_format
        quote = pricing.quote(
            person, report_format, item.quantity, today, used.get(report_format.id, 0)
        )
        if report_format.kind is FormatKind.PRINT:
            used[report_format.id] = used.get(report_format.id, 0) + quote.subscriber_quantity
            postage.append(report_format.postage_pence)
        quotes.append(quote)
    return PricedItems(items, quotes, pricing.totals(quotes, postage), organisation_id)


def quotes_and_stock(
    person: pricing.Person,
    formats: list,
    today: date,
    kept_stock: Callable[[list[int]], dict[int, int | None]] | None = None,
) -> tuple[dict[int, pricing.Quote], dict[int, int | None]]:
    """One unit of each format priced for ``person`` today, and each format's printed copies in
    stock now, both keyed by format id (for the report page).

    ``formats`` may be cached catalogue data: what decides what someone may order — the stock and
    the free copies their organisation has had — is read here, live, in one query. With
    ``kept_stock`` (a process's copy of the stock, for pages that only show it), someone whose
    organisation has no free copies to count is priced without a query.
    """
    if not formats:
        return {}, {}
    organisation_id = _subscribing_organisation(person, today)
    if organisation_id is None and kept_stock is not None:
        stock, used = kept_stock([f.id for f in formats]), {}
    else:
        stock, used = _stock_and_copies_used(formats, organisation_id)
    quotes = {f.id: pricing.quote(person, f, 1, today, used.get(f.id, 0)) for f in formats}
    return quotes, stock


def _stock_and_copies_used(
    formats: list, organisation_id: int | None
) -> tuple[dict[int, int | None], dict[int, int]]:
    """Each format's stock now and, for a subscribing organisation, the free copies it has had
    (one query)."""
    query = select(ReportFormat.id, ReportFormat.stock).where(
        ReportFormat.id.in_([f.id for f in formats])
    )
    if organisation_id is not None:
        used = _free_copies_used_by(organisation_id).subquery()
        query = query.add_columns(used.c.copies).outerjoin(
            used, used.c.report_format_id == ReportFormat.id
        )
    stock: dict[int, int | None] = {}
    copies_used: dict[int, int] = {}
    for format_id, in_stock, *copies in db.session.execute(query):
        stock[format_id] = in_stock
        copies_used[format_id] = int(copies[0] or 0) if copies else 0
    return stock, copies_used


def _subscribing_organisation(person: pricing.Person, today: date) -> int | None:
    membership = person.membership
    if pricing.subscription_reason(person, today) is None and membership is not None:
        return membership.organisation_id
    return None


def place_order(
    buyer: Buyer,
    person: pricing.Person,
    items: list[Item],
    today: date,
    payment_method: PaymentMethod = PaymentMethod.CARD,
    delivery: Delivery | None = None,
    invoice: InvoiceDetails | None = None,
) -> Order:
    """Create an order, pricing every line with ``pricing.quote`` and fixing price and reason.

    This is the one place a basket becomes an order, so the rules on what may be ordered are
    checked here: NotForSale for a report withdrawn from sale, CopyLimitReached for more printed
    copies than one order or this address in a London day may take, OutOfStock when printed
    copies run out (the caller rolls back; nothing is kept).

    When the buyer's organisation subscribes, its row is locked first, so two members ordering
    at once are priced one after the other and the free printed copies are never over-given.
    An order that costs nothing is placed paid (the checkout settles it: ``checkout.services``);
    an invoice order that must wait for approval (``approval.waits_for_approval``) takes no
    printed copies yet; otherwise it takes them and waits for ``payment_method``. An invoice
    order on credit terms (``approval.credit_for``) is released at once; the caller stamps its
    PDF copies after the commit.
    """
    if not items:
        raise ValueError("an order needs at least one line")
    stock.check_for_sale(items)
    stock.check_copy_limits(buyer.email, items, today)
    priced = price_items(person, items, today, lock=True)
    order = Order(
        user_id=buyer.user_id,
        email=buyer.email,
        name=buyer.name,
        organisation_name=buyer.organisation_name,
        subscriber_organisation_id=priced.subscriber_organisation_id,
        **(delivery.as_order_fields() if delivery else {}),
        **(invoice.as_order_fields() if invoice else {}),
    )
    free = priced.totals.total_pence == 0
    waits = not free and approval.waits_for_approval(person, payment_method, priced.items)
    credit = None if free else approval.credit_for(person, buyer.email, payment_method)
    order.credit_terms = credit.value if credit else ""
    if not waits:
        stock.reserve(priced.items)
    for item, quote in zip(priced.items, priced.quotes, strict=True):
        order.lines.append(_line_from_quote(item.report_format, quote))
    order.net_pence, order.vat_pence = priced.totals.net_pence, priced.totals.vat_pence
    order.postage_pence, order.total_pence = (
        priced.totals.postage_pence,
        priced.totals.total_pence,
    )
    order.payment_method = PaymentMethod.FREE if free else payment_method
    order.state = (
        OrderState.PAID
        if free
        else OrderState.AWAITING_APPROVAL
        if waits
        else OrderState.AWAITING_INVOICE_PAYMENT
        if payment_method is PaymentMethod.INVOICE
        else OrderState.PENDING_PAYMENT
    )
    states.record_created(
        order,
        buyer.user_id,
        "Nothing to pay" if free else "No printed copies taken until approved" if waits else "",
    )
    db.session.add(order)
    db.session.flush()
    order.reference = f"INS-{today.year}-{order.id:06d}"
    if credit is not None and credit.released and not waits:
        approval.release(order, buyer.user_id, released_note(credit))
    db.session.flush()
    return order


def released_note(credit: pricing.CreditTerms) -> str:
    """The history note of an order released on credit terms when placed."""
    why = {
        pricing.CreditTerms.ORGANISATION: "a known organisation",
        pricing.CreditTerms.PUBLIC_SECTOR: "a public-sector domain",
    }[credit]
    return f"Released on credit terms: a verified address of {why}"


def _line_from_quote(report_format: ReportFormat, quote: pricing.Quote) -> OrderLine:
    return OrderLine(
        report_format_id=report_format.id,
        report_title=report_format.report.title,
        format_kind=report_format.kind,
        quantity=quote.quantity,
        subscriber_quantity=quote.subscriber_quantity,
        subscriber_unit_pence=quote.subscriber_unit_pence,
        standard_unit_pence=quote.standard_unit_pence,
        net_pence=quote.net_pence,
        vat_rate_basis_points=quote.vat_rate_basis_points,
        vat_pence=quote.vat_pence,
        total_pence=quote.total_pence,
        reason=quote.reason,
    )


def held_line(user_id: int, report_format: ReportFormat) -> OrderLine | None:
    """The latest line of ``report_format`` on a paid or free order of this person's, if any."""
    return db.session.scalar(
        select(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.user_id == user_id,
            Order.state.in_(pricing.PAID_STATES),
            OrderLine.report_format_id == report_format.id,
        )
        .order_by(OrderLine.id.desc())
        .limit(1)
    )


def cancel_order(order: Order, by_user_id: int | None, note: str) -> None:
    """Cancel an order and put the printed copies it took back in stock (an order still waiting
    for approval took none); its free copies, counted from orders that are not cancelled, come
    back by themselves."""
    took_stock = stock.has_taken_stock(order)
    states.cancel(order, by_user_id, note)
    if took_stock:
        stock.give_back(order)
    db.session.flush()


def line_for_download(line_id: int) -> OrderLine | None:
    return db.session.get(OrderLine, line_id)
