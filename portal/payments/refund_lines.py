"""What a refund of chosen lines gives back: which lines (and how many copies of a printed one)
may still be refunded, and what each choice is worth, penny for penny.

A line's copies are given back at the price they were bought at, the dearest first (copies
beyond a subscription's free ones cost the standard price), and its VAT in proportion, so that
refunding a line a few copies at a time adds up exactly to refunding it at once. Postage goes
back on its own, when chosen. Nothing here writes anything.
"""

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from portal.documents.content import FORMAT_NAMES
from portal.documents.printed import Line
from portal.extensions import db
from portal.orders.models import Order, OrderLine
from portal.payments.models import Refund, RefundLine, RefundStatus
from portal.pricing import FormatKind


class LineRefused(Exception):
    """The lines chosen cannot be refunded (none chosen, not the order's, already refunded, more
    copies than are left, costing nothing); ``message`` says which and why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LineRefund:
    """Copies of one order line to give back, and what they are worth."""

    line: OrderLine
    quantity: int
    net_pence: int
    vat_pence: int

    @property
    def total_pence(self) -> int:
        return self.net_pence + self.vat_pence


@dataclass(frozen=True)
class RefundPlan:
    """Everything a refund of chosen lines gives back."""

    lines: tuple[LineRefund, ...]
    postage_pence: int

    @property
    def amount_pence(self) -> int:
        return sum(choice.total_pence for choice in self.lines) + self.postage_pence


def _holds_copies():
    """Refunds that hold their copies: all but those that failed before they were made (one
    that failed after keeps them, its credit note issued)."""
    return or_(Refund.status != RefundStatus.FAILED, Refund.confirmed_at.is_not(None))


def taken(order: Order) -> dict[int, int]:
    """Copies of each line of ``order`` refunded or asked for (a refund Stripe has not yet
    confirmed holds its copies; a failed one gives them back), by line id."""
    rows = db.session.execute(
        select(RefundLine.order_line_id, func.sum(RefundLine.quantity))
        .join(Refund, Refund.id == RefundLine.refund_id)
        .where(Refund.order_id == order.id, _holds_copies())
        .group_by(RefundLine.order_line_id)
    ).all()
    return {line_id: int(copies or 0) for line_id, copies in rows}


def postage_taken(order: Order) -> int:
    """Postage of ``order`` refunded or asked for so far."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Refund.postage_pence), 0)).where(
                Refund.order_id == order.id, _holds_copies()
            )
        )
        or 0
    )


def copies_left(line: OrderLine, already: int) -> int:
    """Copies of ``line`` that may still be refunded, ``already`` being refunded or asked for;
    none of a line that cost nothing, unless it is of printed copies not yet posted (free with
    a subscription: refunding them, for nothing, gives them back to the organisation)."""
    if line.refunded_at is not None:
        return 0  # closed (by a refund of everything paid, counted by amount)
    if line.total_pence <= 0 and not (
        line.format_kind == FormatKind.PRINT and line.dispatched_at is None
    ):
        return 0
    return max(line.quantity - max(already, line.refunded_quantity), 0)


def _dearest_first(line: OrderLine) -> list[tuple[int, int, bool]]:
    """The line's copies in the order refunds take them, as two groups of ``(copies, unit
    price, at the subscriber price)``: the dearer first (at equal prices, those beyond the
    subscription's free copies)."""
    paid = line.quantity - line.subscriber_quantity
    return sorted(
        (
            (paid, line.standard_unit_pence, False),
            (line.subscriber_quantity, line.subscriber_unit_pence, True),
        ),
        key=lambda group: -group[1],
    )


def _net_of_first(line: OrderLine, copies: int) -> int:
    """The net price of the ``copies`` dearest copies of ``line``."""
    if copies >= line.quantity:
        return line.net_pence
    dearer, cheaper = _dearest_first(line)
    first = min(copies, dearer[0])
    return min(first * dearer[1] + (copies - first) * cheaper[1], line.net_pence)


def subscriber_copies_of_first(line: OrderLine, copies: int) -> int:
    """How many of the first ``copies`` copies of ``line`` that refunds take were at the
    subscriber price, that is from the organisation's allowance of free copies."""
    dearer, cheaper = _dearest_first(line)
    first = min(max(copies, 0), dearer[0])
    rest = min(max(copies, 0), line.quantity) - first
    return (first if dearer[2] else 0) + (rest if cheaper[2] else 0)


def _vat_of(line: OrderLine, net_pence: int) -> int:
    """The line's VAT in proportion to ``net_pence`` of its net (halves up); all of it for all."""
    if net_pence >= line.net_pence:
        return line.vat_pence
    return (2 * net_pence * line.vat_pence + line.net_pence) // (2 * line.net_pence)


def worth(line: OrderLine, already: int, copies: int) -> tuple[int, int]:
    """``(net, vat)`` of refunding ``copies`` more copies of ``line`` after ``already``: what
    the first ``already + copies`` are worth, less what the first ``already`` were."""
    net_before = _net_of_first(line, already)
    net_after = _net_of_first(line, already + copies)
    return (
        net_after - net_before,
        _vat_of(line, net_after) - _vat_of(line, net_before),
    )


def plan(order: Order, chosen: dict[int, int], postage: bool) -> RefundPlan:
    """Price a refund of ``chosen`` (copies wanted, by line id) and, with ``postage``, what is
    left of the order's postage. Raises LineRefused, naming the line, for a line not in the
    order, none chosen, a line already refunded, or more copies than are left."""
    lines = {line.id: line for line in order.lines}
    already = taken(order)
    priced = []
    for line_id, copies in chosen.items():
        line = lines.get(line_id)
        if line is None:
            raise LineRefused("That line is not part of this order. Start again.")
        left = copies_left(line, already.get(line_id, 0))
        if left <= 0 and line.total_pence <= 0 and line.refunded_quantity == 0:
            raise LineRefused(f"“{line.report_title}” cost nothing, so there is nothing to refund.")
        if left <= 0:
            raise LineRefused(f"“{line.report_title}” has already been refunded.")
        if not 0 < copies <= left:
            raise LineRefused(
                f"Choose between 1 and {left} copies of “{line.report_title}” to refund."
            )
        net, vat = worth(line, max(already.get(line_id, 0), line.refunded_quantity), copies)
        priced.append(LineRefund(line, copies, net, vat))
    postage_left = max(order.postage_pence - postage_taken(order), 0)
    if postage and postage_left <= 0:
        raise LineRefused("The postage has already been refunded.")
    if not priced and not postage:
        raise LineRefused("Choose at least one line to refund.")
    return RefundPlan(tuple(priced), postage_left if postage else 0)


def printed_lines(lines: list[RefundLine], postage_pence: int) -> tuple[Line, ...]:
    """A refund's lines as its credit note prints them (positive amounts)."""
    printed = [
        Line(
            description=(
                f"{line.order_line.report_title} "
                f"({FORMAT_NAMES.get(line.order_line.format_kind, line.order_line.format_kind)})"
            ),
            quantity=line.quantity,
            unit_pence=None,
            net_pence=line.net_pence,
            vat_rate_basis_points=line.order_line.vat_rate_basis_points,
            vat_pence=line.vat_pence,
            total_pence=line.total_pence,
        )
        for line in lines
    ]
    if postage_pence:
        printed.append(Line("Postage and packing", None, None, postage_pence, 0, 0, postage_pence))
    return tuple(printed)
