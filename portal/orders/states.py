"""The order state machine: which change of state is allowed from where, each one recorded.

    pending_payment ──────────► paid ──► fulfilled
    awaiting_invoice_payment ──►  │
    awaiting_approval ──► awaiting_invoice_payment
    (any but fulfilled) ──► cancelled

An order waiting for approval has taken no printed copies yet; approving it takes them (see
``portal.orders.approval``).

Each transition is one function; it refuses to run from the wrong state and writes an
``OrderEvent`` (who, when, from, to, note).
"""

from portal.extensions import db
from portal.orders.models import Order, OrderEvent, OrderState


class TransitionRefused(Exception):
    """The order is not in a state this change can start from."""

    def __init__(self, order: Order, to: OrderState):
        super().__init__(f"order {order.reference} cannot go from {order.state} to {to}")
        self.order = order
        self.to = to


ALLOWED: dict[OrderState, frozenset[OrderState]] = {
    OrderState.PENDING_PAYMENT: frozenset({OrderState.PAID, OrderState.CANCELLED}),
    OrderState.AWAITING_APPROVAL: frozenset(
        {OrderState.AWAITING_INVOICE_PAYMENT, OrderState.CANCELLED}
    ),
    OrderState.AWAITING_INVOICE_PAYMENT: frozenset({OrderState.PAID, OrderState.CANCELLED}),
    OrderState.PAID: frozenset({OrderState.FULFILLED, OrderState.CANCELLED}),
    OrderState.FULFILLED: frozenset(),
    OrderState.CANCELLED: frozenset(),
}


def _move(order: Order, to: OrderState, by_user_id: int | None, note: str) -> None:
    if to not in ALLOWED[order.state]:
        raise TransitionRefused(order, to)
    # Added through the event's side, so the order's history need not be loaded to grow.
    db.session.add(
        OrderEvent(
            order=order, from_state=order.state, to_state=to, actor_user_id=by_user_id, note=note
        )
    )
    order.state = to
    db.session.flush()


def record_created(order: Order, by_user_id: int | None, note: str = "") -> None:
    """The first entry of an order's history: it came into being in its initial state."""
    order.events.append(
        OrderEvent(from_state=None, to_state=order.state, actor_user_id=by_user_id, note=note)
    )


def approve(order: Order, by_user_id: int | None, note: str = "") -> None:
    """An order that waited for an administrator's approval now waits for its invoice's payment."""
    _move(order, OrderState.AWAITING_INVOICE_PAYMENT, by_user_id, note)


def mark_paid(order: Order, by_user_id: int | None, note: str = "") -> None:
    _move(order, OrderState.PAID, by_user_id, note)


def mark_fulfilled(order: Order, by_user_id: int | None, note: str = "") -> None:
    _move(order, OrderState.FULFILLED, by_user_id, note)


def cancel(order: Order, by_user_id: int | None, note: str = "") -> None:
    _move(order, OrderState.CANCELLED, by_user_id, note)
