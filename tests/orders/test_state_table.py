"""The order state machine as one table: every transition tried from every state.

Each pair of state and transition is either allowed (the order moves, and its history says from
what, to what, by whom and why) or refused (nothing changes). Adding or removing a transition in
``portal.orders.states`` fails one of these tests; so does a state the table forgets.
"""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.orders import states
from portal.orders.models import OrderEvent, OrderState

S = OrderState

#: Each transition, and the state it moves an order to.
TRANSITIONS = {
    "approve": (states.approve, S.AWAITING_INVOICE_PAYMENT),
    "mark_paid": (states.mark_paid, S.PAID),
    "mark_fulfilled": (states.mark_fulfilled, S.FULFILLED),
    "cancel": (states.cancel, S.CANCELLED),
    "to_invoice": (
        lambda order, by, *note: states.to_invoice(order, False, by, *note),
        S.AWAITING_INVOICE_PAYMENT,
    ),
    "to_invoice_waiting": (
        lambda order, by, *note: states.to_invoice(order, True, by, *note),
        S.AWAITING_APPROVAL,
    ),
    "to_card": (states.to_card, S.PENDING_PAYMENT),
}

#: The transitions each state allows; every other pair is refused.
ALLOWED_FROM = {
    S.PENDING_PAYMENT: {"mark_paid", "cancel", "to_invoice", "to_invoice_waiting"},
    S.AWAITING_APPROVAL: {"approve", "cancel", "to_card"},
    S.AWAITING_INVOICE_PAYMENT: {"mark_paid", "cancel"},
    S.PAID: {"mark_fulfilled", "cancel"},
    S.FULFILLED: set(),
    S.CANCELLED: set(),
}

PAIRS = [(state, name) for state in OrderState for name in TRANSITIONS]


def _history(order) -> list[OrderEvent]:
    return list(
        db.session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        )
    )


def test_the_table_names_every_state():
    assert set(ALLOWED_FROM) == set(OrderState)
    assert len(PAIRS) == 6 * 7  # six states, seven transitions


@pytest.mark.parametrize(
    ("state", "transition"),
    [pair for pair in PAIRS if pair[1] in ALLOWED_FROM[pair[0]]],
    ids=lambda value: str(value),
)
def test_an_allowed_transition_moves_the_order_and_records_who_and_why(
    ctx, create_order, create_user, state, transition
):
    order = create_order(state=state)
    clerk = create_user(name="Kim Clerk")
    before = _history(order)
    move, to = TRANSITIONS[transition]

    move(order, clerk.id, "Checked by phone")

    assert order.state is to
    after = _history(order)
    assert after[: len(before)] == before
    [entry] = after[len(before) :]
    assert (entry.from_state, entry.to_state) == (state, to)
    assert (entry.actor_user_id, entry.note) == (clerk.id, "Checked by phone")


@pytest.mark.parametrize(
    ("state", "transition"),
    [pair for pair in PAIRS if pair[1] not in ALLOWED_FROM[pair[0]]],
    ids=lambda value: str(value),
)
def test_a_refused_transition_changes_nothing(ctx, create_order, create_user, state, transition):
    order = create_order(state=state)
    before = _history(order)
    move, to = TRANSITIONS[transition]

    with pytest.raises(states.TransitionRefused) as refused:
        move(order, create_user().id, "Should not happen")

    assert (refused.value.order, refused.value.to) == (order, to)
    assert str(refused.value) == f"order {order.reference} cannot go from {state} to {to}"
    assert order.state is state
    assert _history(order) == before


@pytest.mark.parametrize("transition", sorted(TRANSITIONS))
def test_a_transition_without_a_note_or_a_person_is_the_portals_own(ctx, create_order, transition):
    move, to = TRANSITIONS[transition]
    start = next(state for state, allowed in ALLOWED_FROM.items() if transition in allowed)
    order = create_order(state=start)

    move(order, None)

    entry = _history(order)[-1]
    assert (entry.to_state, entry.actor_user_id, entry.note) == (to, None, "")


def test_every_state_the_machine_can_reach_has_a_transition_of_its_own():
    """A state listed as a destination must be reached through its transition's function."""
    reachable = set().union(*states.ALLOWED.values())
    assert reachable <= {to for _, to in TRANSITIONS.values()}
    assert set(states.ALLOWED) == set(OrderState)


def test_a_new_order_records_who_created_it_and_why(ctx, create_order, create_user):
    buyer = create_user(name="Jo Evans")
    order = create_order(state=None)
    before = len(_history(order))

    states.record_created(order, buyer.id, "Placed by phone")
    db.session.flush()

    entry = _history(order)[before]
    assert (entry.from_state, entry.to_state) == (None, order.state)
    assert (entry.actor_user_id, entry.note) == (buyer.id, "Placed by phone")


def test_a_new_order_without_a_note_has_an_empty_one(ctx, create_order):
    order = create_order()
    states.record_created(order, None)
    db.session.flush()
    assert _history(order)[-1].note == ""


@pytest.mark.parametrize("state", list(OrderState))
def test_a_note_changes_no_state_and_keeps_who_wrote_it(ctx, create_order, create_user, state):
    order = create_order(state=state)
    clerk = create_user()

    states.add_note(order, clerk.id, "Refund of £10.00")
    db.session.flush()

    entry = _history(order)[-1]
    assert order.state is state
    assert (entry.from_state, entry.to_state) == (state, state)
    assert (entry.actor_user_id, entry.note) == (clerk.id, "Refund of £10.00")


def test_an_order_locked_already_in_this_transaction_is_not_locked_or_read_again(
    ctx, create_order, count_queries
):
    order = create_order()
    with count_queries() as first:
        assert states.lock_order(order) is order
    with count_queries() as again:
        assert states.lock_order(order) is order

    assert len(first) == 1 and again == []
