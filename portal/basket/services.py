"""Baskets: adding, changing and removing lines, joining a guest's basket to an account's, and
pricing what is in it (through the orders feature, which asks the pricing module).

Services flush; the view commits.
"""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from portal import pricing
from portal.basket.models import Basket, BasketLine
from portal.catalogue.models import Report, ReportFormat
from portal.extensions import db
from portal.orders.services import Item, PricedItems, price_items
from portal.orders.stock import formats_for_sale
from portal.pricing import FormatKind


class BasketRefused(Exception):
    """A change the basket cannot take; ``str(error)`` is the message for the person."""


def find_basket(
    user_id: int | None, guest_basket_id: int | None, *, with_formats: bool = False
) -> Basket | None:
    """The account's basket for a signed-in person, else the guest basket their session names.

    ``with_formats`` loads its lines with their formats and reports up front (a query each,
    however many lines), for pages that show or price them.
    """
    if user_id is not None:
        query = select(Basket).where(Basket.user_id == user_id)
    elif guest_basket_id is not None:
        query = select(Basket).where(Basket.id == guest_basket_id, Basket.user_id.is_(None))
    else:
        return None
    if with_formats:
        query = query.options(
            selectinload(Basket.lines)
            .selectinload(BasketLine.report_format)
            .selectinload(ReportFormat.report)
        )
    return db.session.scalar(query)


def count_lines(guest_basket_id: int | None) -> int:
    """How many lines a guest's basket holds (0 without one)."""
    if not isinstance(guest_basket_id, int):
        return 0
    try:
        count = db.session.scalar(
            select(func.count(BasketLine.id))
            .join(Basket, Basket.id == BasketLine.basket_id)
            .where(Basket.id == guest_basket_id, Basket.user_id.is_(None))
        )
    except SQLAlchemyError:
        return 0  # the header of an error page drawn while the database is away
    return count or 0


def format_for_sale(format_id: int) -> ReportFormat | None:
    """A format of a published report, or None (unknown, or its report is not published)."""
    return db.session.scalar(
        select(ReportFormat)
        .join(Report, Report.id == ReportFormat.report_id)
        .where(ReportFormat.id == format_id, Report.is_published.is_(True))
    )


def _check_quantity(report_format: ReportFormat, quantity: int) -> None:
    if report_format.kind is FormatKind.PDF:
        if quantity != 1:
            raise BasketRefused("A PDF is licensed to one person: the quantity is always 1")
        return
    if quantity < 1:
        raise BasketRefused("Enter a number of copies of 1 or more")
    limit = report_format.max_copies_per_order
    if quantity > limit:
        raise BasketRefused(
            f"You can order up to {limit} printed copies of this report in one order. "
            "For more, contact us."
        )
    stock = report_format.stock or 0
    if quantity > stock:
        raise BasketRefused(
            f"Only {stock} printed cop{'y is' if stock == 1 else 'ies are'} available"
            if stock
            else "Printed copies of this report are out of stock"
        )


def add(basket: Basket, report_format: ReportFormat, quantity: int) -> BasketLine:
    """Put ``quantity`` of a format in the basket (added to what is there for printed copies)."""
    line = next((x for x in basket.lines if x.report_format_id == report_format.id), None)
    if report_format.kind is FormatKind.PDF and line is not None:
        return line  # already there; one licence is enough
    wanted = quantity + (line.quantity if line else 0)
    _check_quantity(report_format, wanted)
    if line is None:
        line = BasketLine(report_format=report_format, quantity=wanted)
        basket.lines.append(line)
    else:
        line.quantity = wanted
    db.session.flush()
    return line


def set_quantity(basket: Basket, line_id: int, quantity: int) -> None:
    """Change a line's quantity; raises BasketRefused for a quantity the format cannot take."""
    line = _line(basket, line_id)
    _check_quantity(line.report_format, quantity)
    line.quantity = quantity
    db.session.flush()


def remove(basket: Basket, line_id: int) -> None:
    basket.lines.remove(_line(basket, line_id))
    db.session.flush()


def empty(basket: Basket) -> None:
    basket.lines.clear()
    db.session.flush()


def _line(basket: Basket, line_id: int) -> BasketLine:
    line = next((x for x in basket.lines if x.id == line_id), None)
    if line is None:
        raise BasketRefused("That item is no longer in your basket")
    return line


def remove_withdrawn(basket: Basket | None) -> list[str]:
    """Take out of the basket the lines of reports withdrawn from sale since they were added;
    returns, for each, the sentence that tells the person (empty when nothing was removed)."""
    if basket is None or not basket.lines:
        return []
    on_sale = formats_for_sale([line.report_format_id for line in basket.lines])
    removed = []
    for line in [x for x in basket.lines if x.report_format_id not in on_sale]:
        removed.append(
            f"“{line.report_format.report.title}” ({line.report_format.kind.label}) is no longer "
            "for sale, so we have removed it from your basket."
        )
        basket.lines.remove(line)
    db.session.flush()
    return removed


def basket_for_user(user_id: int) -> Basket:
    """The account's basket, made when first needed."""
    basket = find_basket(user_id, None)
    if basket is None:
        basket = Basket(user_id=user_id)
        db.session.add(basket)
        db.session.flush()
    return basket


def new_guest_basket() -> Basket:
    basket = Basket(user_id=None)
    db.session.add(basket)
    db.session.flush()
    return basket


def join_guest_basket(guest_basket_id: int | None, user_id: int) -> None:
    """At sign-in, move what a guest put in their basket into their account's basket.

    Printed copies add up (as far as stock allows); a PDF already there stays once.
    """
    guest = find_basket(None, guest_basket_id)
    if guest is None:
        return
    if guest.lines:
        account = basket_for_user(user_id)
        for line in guest.lines:
            try:
                add(account, line.report_format, line.quantity)
            except BasketRefused:
                continue  # e.g. stock ran out meanwhile; the account basket keeps what it had
    db.session.delete(guest)
    db.session.flush()


def priced(basket: Basket | None, person: pricing.Person, today: date) -> PricedItems | None:
    """The basket's lines priced for ``person`` today, or None when it is empty."""
    if basket is None or not basket.lines:
        return None
    return price_items(person, items(basket), today)


def items(basket: Basket) -> list[Item]:
    return [Item(line.report_format, line.quantity) for line in basket.lines]
