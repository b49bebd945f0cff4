"""What administrators do to orders, and which of those the order's state allows.

Every action checks the order's state first and raises ActionRefused before changing anything;
each one that changes something writes an audit entry in the same transaction. Services flush;
the view commits once.
"""

from datetime import UTC, date, datetime, time

from portal import audit
from portal.accounts.models import User
from portal.clock import LONDON, today_in_london, utcnow
from portal.email import send_email
from portal.extensions import db
from portal.orders import standing, states
from portal.orders.access import order_link
from portal.orders.models import Order, OrderLine, OrderState


class ActionRefused(Exception):
    """The action does not make sense in the order's current state; nothing was changed."""


# ---------------------------------------------------------------------------------------------
# Which actions make sense now


def undispatched_print_lines(order: Order) -> list[OrderLine]:
    return standing.to_post(order)


def may_dispatch(order: Order) -> bool:
    """Paid, or released on credit before payment, with printed copies still to post."""
    return standing.may_deliver(order) and bool(undispatched_print_lines(order))


# ---------------------------------------------------------------------------------------------
# Actions


def _state(order: Order) -> dict:
    return audit.snapshot(order, "state")


def _dispatch_moment(dispatched_on: date) -> datetime:
    """Now, when posted today; otherwise midday London time on the day given."""
    if dispatched_on == today_in_london():
        return utcnow()
    return datetime.combine(dispatched_on, time(12), LONDON).astimezone(UTC)


def mark_dispatched(order: Order, dispatched_on: date, note: str, by: User) -> None:
    """Record that every printed line not yet posted was posted on ``dispatched_on`` (with a note
    or tracking number), complete a paid order (its PDFs are already available; an order
    released on credit is complete once its invoice is paid) and email the buyer.

    Refused for an order that is neither paid nor released, or has nothing left to post.
    """
    states.lock_order(order)
    if not standing.may_deliver(order):
        raise ActionRefused("Only a paid order, or one released on credit, can be dispatched.")
    lines = undispatched_print_lines(order)
    if not lines:
        raise ActionRefused("This order has no printed copies waiting to be dispatched.")
    before = _state(order)
    when = _dispatch_moment(dispatched_on)
    for line in lines:
        line.dispatched_at = when
        line.dispatch_note = note
    dispatched = f"Printed copies dispatched. {note}".strip()
    if order.state is OrderState.PAID:
        states.mark_fulfilled(order, by.id, dispatched)
    else:  # released on credit: complete once the invoice is paid
        states.add_note(order, by.id, dispatched)
    send_email("dispatched", order.email, order=order, link=order_link(order))
    db.session.flush()
    audit.record(
        by,
        "order.mark_dispatched",
        "order",
        order.reference,
        before=before,
        after={
            **_state(order),
            "dispatched_on": dispatched_on,
            "lines": [line.id for line in lines],
        },
        note=note,
    )


def clear_attention(order: Order, note: str, by: User) -> None:
    """Clear the flag that said the order needed an administrator, saying what was done."""
    states.lock_order(order)
    if not order.attention:
        raise ActionRefused("This order is not flagged for attention.")
    before = audit.snapshot(order, "attention")
    order.attention = ""
    states.add_note(order, by.id, f"Attention cleared: {note}")
    db.session.flush()
    audit.record(
        by,
        "order.clear_attention",
        "order",
        order.reference,
        before=before,
        after={"attention": ""},
        note=note,
    )
