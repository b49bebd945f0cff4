"""The order state machine: which change of state is allowed from where, each one recorded.

    pending_payment ──────────► paid ──► fulfilled
    awaiting_invoice_payment ──►  │
    awaiting_approval ──► awaiting_invoice_payment
    (any but fulfilled) ──► cancelled

    The buyer switching how to pay an unpaid order:
    pending_payment ──► awaiting_invoice_payment or awaiting_approval (to invoice)
    awaiting_approval ──► pending_payment (to card: no invoice was issued yet)

An order waiting for approval has taken no printed copies yet; approving it takes them (see
``portal.orders.approval``).

Each transition is one function; it refuses to run from the wrong state and writes an
``OrderEvent`` (who, when, from, to, note). Entries that change no state are written here too
(``add_note``): no other module builds an ``OrderEvent``.
"""

from functools import cache

from sqlalchemy import inspect

from portal.extensions import db
from portal.orders.models import Order, OrderEvent, OrderState


class TransitionRefused(Exception):
    """The order is not in a state this change can start from."""

    def __init__(self, order: Order, to: OrderState):
        super().__init__(f"order {order.reference} cannot go from {order.state} to {to}")
        self.order = order
        self.to = to


def lock_order(order: Order) -> Order:
    """Lock the order's row until the transaction ends, and re-read its columns.

    Everything that changes an order or what hangs on it (its state, payments, refunds, the
    numbers of its documents) takes this lock first, so concurrent requests for one order (a
    double click, two administrators, the webhook and the success page) take turns, and each
    then sees what the one before it committed. An order already locked in this transaction is
    not locked or read again: no one else can have changed it since. Returns the same object.
    """
    session = db.session()
    held = session.info.get(_LOCKED)
    if held is not None and held[0] is _transaction() and order.id in held[1]:
        return order
    # Changes not yet written would be lost by the re-read: write them first.
    session.flush()
    # Columns only: the order's lines and history, if loaded, stay loaded.
    session.refresh(order, _order_columns(), with_for_update=True)
    transaction = _transaction()
    if held is None or held[0] is not transaction:
        held = (transaction, set())
        session.info[_LOCKED] = held
    held[1].add(order.id)
    return order


_LOCKED = "locked_orders"


@cache
def _order_columns() -> list[str]:
    # Read on first use: the mappers are complete only once every model is imported.
    return [column.key for column in inspect(Order).column_attrs]


def _transaction():
    # A savepoint rolled back releases the locks taken inside it, so a lock is remembered
    # only for the (nested) transaction that took it.
    session = db.session()
    return session.get_nested_transaction() or session.get_transaction()


ALLOWED: dict[OrderState, frozenset[OrderState]] = {
    OrderState.PENDING_PAYMENT: frozenset(
        {
            OrderState.PAID,
            OrderState.CANCELLED,
            OrderState.AWAITING_INVOICE_PAYMENT,
            OrderState.AWAITING_APPROVAL,
        }
    ),
    OrderState.AWAITING_APPROVAL: frozenset(
        {OrderState.AWAITING_INVOICE_PAYMENT, OrderState.CANCELLED, OrderState.PENDING_PAYMENT}
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


def add_note(order: Order, by_user_id: int | None, note: str) -> None:
    """An entry in the order's history that changes no state (a refund, downloads released
    early, a flag cleared): the order stays as it was."""
    order.events.append(
        OrderEvent(
            from_state=order.state, to_state=order.state, actor_user_id=by_user_id, note=note
        )
    )


def approve(order: Order, by_user_id: int | None, note: str = "") -> None:
    """An order that waited for an administrator's approval now waits for its invoice's payment."""
    if order.state is not OrderState.AWAITING_APPROVAL:
        raise TransitionRefused(order, OrderState.AWAITING_INVOICE_PAYMENT)
    _move(order, OrderState.AWAITING_INVOICE_PAYMENT, by_user_id, note)


def to_invoice(order: Order, waits: bool, by_user_id: int | None, note: str = "") -> None:
    """A card order the buyer switched to paying on invoice: it waits for its invoice's payment,
    or (``waits``) for approval first."""
    to = OrderState.AWAITING_APPROVAL if waits else OrderState.AWAITING_INVOICE_PAYMENT
    if order.state is not OrderState.PENDING_PAYMENT:
        raise TransitionRefused(order, to)
    _move(order, to, by_user_id, note)


def to_card(order: Order, by_user_id: int | None, note: str = "") -> None:
    """An invoice order still waiting for approval (no invoice issued) that the buyer switched
    to paying by card."""
    if order.state is not OrderState.AWAITING_APPROVAL:
        raise TransitionRefused(order, OrderState.PENDING_PAYMENT)
    _move(order, OrderState.PENDING_PAYMENT, by_user_id, note)


def mark_paid(order: Order, by_user_id: int | None, note: str = "") -> None:
    _move(order, OrderState.PAID, by_user_id, note)


def mark_fulfilled(order: Order, by_user_id: int | None, note: str = "") -> None:
    _move(order, OrderState.FULFILLED, by_user_id, note)


def cancel(order: Order, by_user_id: int | None, note: str = "") -> None:
    _move(order, OrderState.CANCELLED, by_user_id, note)
