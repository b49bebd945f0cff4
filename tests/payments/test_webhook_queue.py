"""Stripe's events acknowledged at once and acted on by a background job: every order paid,
fulfilled and sent its receipt exactly once, whatever the deliveries and the jobs do."""

import threading

import pytest
from sqlalchemy import func, select

from portal.documents.models import Document
from portal.extensions import db
from portal.orders.models import OrderState
from portal.payments import receipts, webhook_queue
from portal.payments.models import StripeEvent


def _session_id(response) -> str:
    return response.headers["Location"].rsplit("/", 1)[1]


def _paid_transitions(order) -> int:
    return sum(1 for e in order.events if e.to_state is OrderState.PAID)


def _receipts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Document))


def _events(app) -> list[StripeEvent]:
    with app.app_context():
        return db.session.scalars(select(StripeEvent)).all()


def test_the_webhook_answers_before_the_order_is_paid_and_the_job_pays_it(
    app, checkout, stored, outbox, held_completed_event, post_webhook, run_jobs
):
    event = held_completed_event(_session_id(checkout(printed=0)))
    response = post_webhook(event)
    assert response.status_code == 200 and response.json == {"status": "ok"}
    # Acknowledged: recorded with its body, nothing drawn or sent in the request.
    [recorded] = _events(app)
    assert recorded.payload and recorded.handled_at is None
    assert stored.order().state is OrderState.PENDING_PAYMENT
    assert _receipts(app) == 0

    assert run_jobs()
    order = stored.order()
    assert order.state is OrderState.FULFILLED and _paid_transitions(order) == 1
    assert _receipts(app) == 1
    assert sum("Receipt" in m.subject for m in outbox) == 1
    assert _events(app)[0].handled_at is not None


def test_repeats_before_and_after_the_job_fulfil_once(
    app, checkout, stored, outbox, held_completed_event, post_webhook, run_jobs
):
    event = held_completed_event(_session_id(checkout(printed=0)))
    assert post_webhook(event).json == {"status": "ok"}
    # A repeat while the first is still waiting leaves it to the job already asked for.
    assert post_webhook(event).json == {"status": "duplicate"}
    assert run_jobs()
    assert post_webhook(event).json == {"status": "duplicate"}
    assert not run_jobs()
    order = stored.order()
    assert order.state is OrderState.FULFILLED and _paid_transitions(order) == 1
    assert _receipts(app) == 1 and len(_events(app)) == 1
    assert sum("Receipt" in m.subject for m in outbox) == 1


def test_a_repeat_long_after_an_event_never_handled_asks_for_its_job_again(
    app, checkout, stored, outbox, held_completed_event, post_webhook, run_jobs
):
    """The request that recorded the event stopped before queueing its job (or the job failed
    for good): Stripe's next delivery, a minute or more later, puts it on the queue again."""
    from portal.jobs.queue import job_queue, redis_connection

    event = held_completed_event(_session_id(checkout(printed=0)))
    assert post_webhook(event).status_code == 200
    with app.app_context():
        job_queue(redis_connection()).empty()  # the job is lost
        recorded = db.session.scalars(select(StripeEvent)).one()
        recorded.received_at -= webhook_queue.ASK_AGAIN_AFTER
        db.session.commit()
    assert not run_jobs()
    assert post_webhook(event).json == {"status": "duplicate"}
    assert run_jobs()
    order = stored.order()
    assert order.state is OrderState.FULFILLED and _paid_transitions(order) == 1
    assert _receipts(app) == 1


def test_the_workers_sweep_asks_again_for_an_event_whose_job_was_lost(
    app, checkout, stored, outbox, held_completed_event, post_webhook, run_jobs
):
    """Redis lost the job (or it failed every try) and Stripe has not delivered the event again:
    the worker's sweep queues it once it has waited ``SWEEP_AFTER``, not before."""
    from portal.jobs.queue import job_queue, redis_connection

    event = held_completed_event(_session_id(checkout(printed=0)))
    assert post_webhook(event).status_code == 200

    def sweep() -> str:
        with app.app_context():
            return webhook_queue.sweep_unhandled_events()

    with app.app_context():
        job_queue(redis_connection()).empty()  # the job is lost
    assert sweep() == "asked again for 0 unhandled events"
    assert not run_jobs()
    with app.app_context():
        recorded = db.session.scalars(select(StripeEvent)).one()
        recorded.received_at -= webhook_queue.SWEEP_AFTER
        db.session.commit()
    assert sweep() == "asked again for 1 unhandled events"
    assert run_jobs()
    order = stored.order()
    assert order.state is OrderState.FULFILLED and _paid_transitions(order) == 1
    assert _receipts(app) == 1
    assert sweep() == "asked again for 0 unhandled events"  # handled now: left alone


def test_a_job_that_dies_midway_changes_nothing_and_its_retry_fulfils_once(
    app, checkout, stored, outbox, held_completed_event, post_webhook, run_jobs, monkeypatch
):
    """The receipt fails after the order was marked paid and fulfilled in the job's
    transaction: all of it is undone, and the queue's retry does it again, once."""
    event = held_completed_event(_session_id(checkout(printed=0)))
    assert post_webhook(event).status_code == 200
    real_send = receipts.send_receipt
    tries = []

    def dies_the_first_time(order, today):
        tries.append(order.id)
        if len(tries) == 1:
            raise ConnectionResetError("the worker lost its database midway")
        real_send(order, today)

    monkeypatch.setattr("portal.payments.settlement.send_receipt", dies_the_first_time)
    run_jobs()
    assert len(tries) == 2
    order = stored.order()
    assert order.state is OrderState.FULFILLED and _paid_transitions(order) == 1
    assert _receipts(app) == 1
    assert sum("Receipt" in m.subject for m in outbox) == 1


def test_without_a_queue_the_event_is_handled_in_the_request(
    app, checkout, stored, outbox, held_completed_event, post_webhook
):
    event = held_completed_event(_session_id(checkout(printed=0)))
    assert post_webhook(event).status_code == 200
    assert stored.order().state is OrderState.FULFILLED
    assert _events(app)[0].handled_at is not None
    assert sum("Receipt" in m.subject for m in outbox) == 1


def test_a_job_for_an_event_handled_already_or_unknown_does_nothing(app, stored):
    with app.app_context():
        assert webhook_queue.handle_recorded_event(999_999) == "unknown"


@pytest.mark.postgres_only
@pytest.mark.real_transactions
def test_two_jobs_for_one_event_at_once_fulfil_once(
    app, checkout, stored, outbox, held_completed_event, post_webhook, jobs_on_redis
):
    """Two workers take the job for the same event at the same moment (a repeat delivery asked
    for it twice): the event's row lock lets one act; the other waits, then finds it handled."""
    event = held_completed_event(_session_id(checkout(printed=0)))
    assert post_webhook(event).status_code == 200
    [recorded] = _events(app)
    barrier = threading.Barrier(2)
    outcomes = []

    def work():
        with app.app_context():
            barrier.wait(timeout=10)
            outcomes.append(webhook_queue.handle_recorded_event(recorded.id))
            db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2
    assert sorted(outcomes)[0] == "handled already"
    assert sorted(outcomes)[1].startswith("handled checkout.session.completed")
    order = stored.order()
    assert order.state is OrderState.FULFILLED and _paid_transitions(order) == 1
    assert _receipts(app) == 1
