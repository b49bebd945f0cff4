"""The order's row lock (``states.lock_order``): taken once per transaction and order, taken
again for another order or in a later transaction, and never losing a change not yet written."""

from sqlalchemy import update

from portal.extensions import db
from portal.orders import states
from portal.orders.models import Order


def test_a_change_not_yet_written_survives_the_lock(ctx, create_order):
    order = create_order()
    db.session.flush()
    order.attention = "Check the delivery address"  # not written yet

    states.lock_order(order)

    assert order.attention == "Check the delivery address"
    db.session.expire(order)
    assert order.attention == "Check the delivery address"  # written before the re-read


def test_another_order_is_locked_and_read_in_the_same_transaction(ctx, create_order, count_queries):
    first, second = create_order(), create_order()
    states.lock_order(first)

    with count_queries() as statements:
        assert states.lock_order(second) is second
    with count_queries() as again:
        states.lock_order(first)
        states.lock_order(second)

    assert len(statements) == 1 and again == []


def test_a_later_transaction_locks_and_reads_the_order_again(ctx, create_order):
    order = create_order()
    states.lock_order(order)
    db.session.commit()
    # Another request changes the order, after this one's lock has ended.
    db.session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(attention="Changed meanwhile")
        .execution_options(synchronize_session=False)
    )

    states.lock_order(order)

    assert order.attention == "Changed meanwhile"


def test_a_lock_taken_in_a_savepoint_rolled_back_is_taken_again(ctx, create_order, count_queries):
    order = create_order()
    db.session.flush()
    savepoint = db.session.begin_nested()
    states.lock_order(order)
    savepoint.rollback()

    with count_queries() as statements:
        states.lock_order(order)

    assert len(statements) == 1


def test_the_order_s_lines_and_history_stay_loaded(ctx, create_order, count_queries):
    order = create_order()
    db.session.commit()
    loaded = (list(order.lines), list(order.events))

    states.lock_order(order)

    with count_queries() as statements:
        assert (list(order.lines), list(order.events)) == loaded
    assert statements == []
