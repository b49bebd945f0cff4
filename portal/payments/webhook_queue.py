"""Stripe's events acknowledged at once, and acted on by a background job.

The webhook verifies the signature, records the event (one insert that ignores a repeat) and
hands the work to the job queue (``portal.jobs``): it answers Stripe in a few milliseconds,
however long paying an order, drawing its receipt and emailing it take. The job,
``handle_recorded_event``, locks the event's row, skips it if it was handled already, acts on it
(``services.dispatch_event``) and marks it handled, all in one transaction: a job that dies
midway changes nothing and is tried again, and the order's own row lock makes every path to
"paid" (a repeat delivery, the success page, the sweep) run one after the other, so an order is
fulfilled, and its receipt sent, exactly once.

A repeat delivery of an event recorded more than a minute ago and still not handled asks for
the job again (the first request may have stopped between recording the event and queueing the
job, or its job failed for good); the second job waits for the event's row lock, finds the event
handled, or handles it. A repeat of an event recorded moments ago (Stripe sending it twice at
once) leaves it to the job already asked for.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from portal import jobs
from portal.clock import utcnow
from portal.extensions import db
from portal.payments import gateway, services
from portal.payments.models import StripeEvent

log = logging.getLogger(__name__)

#: How long after an event is recorded a repeat delivery of it, not yet handled, asks for its job
#: again: by then the request that recorded it has long finished queueing the first.
ASK_AGAIN_AFTER = timedelta(minutes=1)

#: How long a recorded event may wait unhandled before the worker's sweep asks for its job again
#: (its job was lost with Redis, or failed every try, say while storage was full): well past the
#: time a queue of jobs takes to drain, well inside the minute background work recovers in.
SWEEP_AFTER = timedelta(seconds=30)


@dataclass(frozen=True)
class Received:
    """A recorded event: its row, whether this delivery was a repeat, whether it is handled
    already, and whether it was recorded moments ago (its job asked for then)."""

    row_id: int
    repeat: bool
    handled: bool
    recent: bool = True


def record(event: gateway.Event, payload: str) -> Received:
    """Record a verified event, once: one insert that does nothing when the event's id is
    recorded already (a repeat, or the same event delivered twice at once). Flushes; the caller
    commits."""
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    row_id = db.session.scalar(
        insert(StripeEvent)
        .values(
            event_id=event.id,
            type=event.type,
            payload=payload,
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(StripeEvent.id)
    )
    if row_id is not None:
        return Received(row_id, repeat=False, handled=False)
    row_id, received_at, handled_at = db.session.execute(
        select(StripeEvent.id, StripeEvent.received_at, StripeEvent.handled_at).where(
            StripeEvent.event_id == event.id
        )
    ).one()
    recent = received_at > utcnow() - ASK_AGAIN_AFTER
    return Received(row_id, repeat=True, handled=handled_at is not None, recent=recent)


def hand_over(received: Received) -> bool:
    """Ask for the job that acts on the event, unless it is handled already (or, with a queue,
    asked for moments ago): on the queue when Redis is configured, else at once in this
    process. Call after committing the record. True when the event is handled or waiting on
    the queue; False when it ran here and did not finish (Stripe should deliver it again)."""
    if received.handled:
        return True
    if received.repeat and received.recent and jobs.redis_connection() is not None:
        return True  # its job, asked for moments ago, is waiting on the queue
    if jobs.enqueue(handle_recorded_event, received.row_id) is not None:
        return True
    return handled(received.row_id)


def sweep_unhandled_events(limit: int = 100) -> str:
    """The worker's sweep: ask again for the job of each event recorded more than
    ``SWEEP_AFTER`` ago and still not handled, oldest first, up to ``limit``. A job asked for
    twice is harmless: the second finds the event handled (``_handle``)."""
    with jobs.app_context():
        waiting = db.session.scalars(
            select(StripeEvent.id)
            .where(
                StripeEvent.handled_at.is_(None), StripeEvent.received_at < utcnow() - SWEEP_AFTER
            )
            .order_by(StripeEvent.id)
            .limit(limit)
        ).all()
        db.session.rollback()  # nothing read here is kept: each job reads its event afresh
        for row_id in waiting:
            jobs.enqueue(handle_recorded_event, row_id)
        return f"asked again for {len(waiting)} unhandled events"


def handled(row_id: int) -> bool:
    """Whether the recorded event ``row_id`` has been acted on."""
    db.session.expire_all()
    return (
        db.session.scalar(select(StripeEvent.handled_at).where(StripeEvent.id == row_id))
        is not None
    )


def handle_recorded_event(row_id: int) -> str:
    """The job: act on the recorded event ``row_id`` once, and mark it handled, in one
    transaction. Returns what it did (for the queue's records). A failure rolls everything back
    and is raised, so that the queue tries the job again."""
    with jobs.app_context():
        try:
            return _handle(row_id)
        except Exception:
            db.session.rollback()
            raise


def _handle(row_id: int) -> str:
    # The row lock makes a second job for the same event (or a second delivery handled in the
    # request, without a queue) wait for the first to finish, then find the event handled.
    row = db.session.scalar(
        select(StripeEvent)
        .where(StripeEvent.id == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        db.session.rollback()
        return "unknown"
    if row.handled_at is not None:
        db.session.rollback()
        return "handled already"
    if row.payload is not None:
        services.dispatch_event(gateway.recorded_event(row.payload))
    row.handled_at = utcnow()
    done = f"handled {row.type} {row.event_id}"
    db.session.commit()
    return done
