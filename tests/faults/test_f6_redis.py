"""Redis frozen, then lost and started empty: pages and Stripe's webhook are answered without
waiting on it, jobs it lost are done from what the database holds, and the worker's scheduler
comes back by itself."""

from tests.faults.buyer import Buyer, download_path, pay_on_stripe
from tests.faults.journeys import (
    RECOVERY_SECONDS,
    place_and_pay,
    reference_of_session,
    wait_until_paid,
    webhook_deliveries,
)
from tests.scaleout.processes import wait_for


def test_a_frozen_redis_does_not_hold_up_the_webhook_or_the_pages(stack):
    stack.freeze("redis")
    try:
        buyer = Buyer(stack.portal)
        to_stripe = buyer.place_card_order()
        assert to_stripe.status_code == 303, to_stripe.text[:300]
        session_id = to_stripe.headers["Location"].rsplit("/", 1)[1]
        back = pay_on_stripe(to_stripe.headers["Location"])
        # Delivered at the first attempt: answered inside Stripe's 5 seconds.
        [delivery] = wait_for(
            lambda: [d for d in webhook_deliveries(stack, session_id) if d["status"] != "pending"],
            "the webhook to be answered",
        )
        assert delivery["status"] == "delivered", delivery
        assert len(delivery["attempts"]) == 1, delivery
        assert buyer.get(back).status_code == 200
    finally:
        stack.thaw("redis")
    wait_until_paid(stack, reference_of_session(stack, session_id))


def _scheduler_running(stack) -> bool:
    with stack.redis() as connection:
        return bool(connection.exists("rq:scheduler-lock:portal"))


def test_jobs_lost_with_redis_are_done_from_the_database(stack):
    stack.stop("worker")
    buyer, reference, _back = place_and_pay(stack)
    # Redis dies with the job of Stripe's event waiting on it, and comes back empty: the
    # worker's sweep asks again for the event recorded and not handled, and the order is paid;
    # its emails and stamping follow.
    stack.kill("redis")
    stack.start_redis()
    stack.start_worker()
    wait_until_paid(stack, reference)
    wait_for(
        lambda: [m for m in stack.inbox.to(buyer.email) if "receipt" in m["Subject"].lower()],
        "the receipt email, sent by the outbox sweep",
        seconds=RECOVERY_SECONDS,
    )
    got = buyer.get(download_path(buyer.get(f"/orders/{reference}").text))
    assert got.status_code == 200 and got.content.startswith(b"%PDF-")


def test_the_scheduler_comes_back_after_redis_does(stack):
    wait_for(lambda: _scheduler_running(stack), "the scheduler to start", seconds=RECOVERY_SECONDS)
    stack.kill("redis")
    stack.start_redis()  # empty: the scheduler's lock went with the old one
    wait_for(
        lambda: _scheduler_running(stack),
        "the worker to restart its scheduler",
        seconds=RECOVERY_SECONDS,
    )
