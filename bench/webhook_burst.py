"""Scenario 5: a burst of 1,000 ``checkout.session.completed`` events, half of them repeats.

Set-up, untimed: the buyer starts a card payment for each of 500 pending orders through the portal
(so each order has a Checkout Session at the stand-in and an attempt in the database), and each
session is paid at the stand-in with delivery held back. The bench then sends every session's
event twice, shuffled, signed as Stripe signs them, from 16 threads at once. The portal
acknowledges each at once and leaves the work to the background jobs: ``WORKERS`` job workers
(``flask --app wsgi worker``) run them. The bench measures the events acknowledged per second,
then the drain: how long after the burst's last answer every order is paid, fulfilled and sent a
receipt, checked in the database to have happened exactly once.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests
import stripe
from client import Browser
from scenarios import Bench, Row
from sqlalchemy import create_engine, text

THREADS = 16
#: Background job workers running the events' jobs (and the emails' and stamping's after them).
WORKERS = int(os.environ.get("BENCH_JOB_WORKERS", "2"))
#: How long the drain may take before the bench gives up waiting (the target is 10 s).
DRAIN_LIMIT_S = 120


def _open_sessions(bench: Bench) -> None:
    """Start a card payment for each webhook order, as the buyer (untimed set-up)."""
    token = bench.buyer.csrf_token(f"/reports/{bench.data.report_slug}")
    cookie = bench.buyer.cookie_header

    def pay(order_id: int) -> int:
        browser = Browser(bench.portal)
        browser.cookies = dict(item.split("=", 1) for item in cookie.split("; "))
        reference = f"INS-2026-{order_id:06d}"
        return browser.request(
            "POST", f"/orders/{reference}/pay", data={"csrf_token": token}
        ).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = Counter(pool.map(pay, bench.data.webhook_order_ids))
    if set(statuses) != {303}:
        raise RuntimeError(f"starting the webhook orders' payments: {dict(statuses)}")


def _paid_events(bench: Bench, engine, standin: str) -> list[dict]:
    """Pay each order's session at the stand-in, holding the event back; return the events."""
    with engine.connect() as conn:
        sessions = list(
            conn.execute(
                text(
                    "SELECT stripe_session_id FROM checkout_attempts "
                    "WHERE order_id BETWEEN :first AND :last AND status = 'open'"
                ),
                {
                    "first": bench.data.webhook_order_ids[0],
                    "last": bench.data.webhook_order_ids[-1],
                },
            ).scalars()
        )

    def pay(session_id: str) -> dict:
        answer = requests.post(
            f"{standin}/_standin/sessions/{session_id}/pay?deliver=0", timeout=30
        )
        answer.raise_for_status()
        return next(
            entry["event"]
            for entry in answer.json()["events"]
            if entry["type"] == "checkout.session.completed"
        )

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(pay, sessions))


def _exactly_once(engine, order_ids: list[int]) -> tuple[bool, str]:
    """Whether each order was paid, fulfilled and sent one receipt, once; and the counts."""
    bounds = {"first": order_ids[0], "last": order_ids[-1]}
    checks = {
        "orders fulfilled": "SELECT count(*) FROM orders WHERE id BETWEEN :first AND :last "
        "AND state = 'fulfilled'",
        "moves to paid": "SELECT count(*) FROM order_events WHERE order_id BETWEEN :first AND "
        ":last AND to_state = 'paid'",
        "attempts paid": "SELECT count(*) FROM checkout_attempts WHERE order_id BETWEEN :first "
        "AND :last AND status = 'paid'",
        "receipts": "SELECT count(*) FROM documents WHERE order_id BETWEEN :first AND :last",
        "receipt emails": "SELECT count(*) FROM outbox_emails WHERE order_id BETWEEN :first AND "
        ":last AND template = 'receipt'",
    }
    with engine.connect() as conn:
        counts = {
            name: conn.execute(text(sql), bounds).scalar_one() for name, sql in checks.items()
        }
    expected = len(order_ids)
    ok = all(count == expected for count in counts.values())
    return ok, ", ".join(f"{name} {count}/{expected}" for name, count in counts.items())


def _drained(engine, order_ids: list[int], began: float) -> float | None:
    """Seconds from ``began`` until every order is fulfilled and has its receipt email, or None
    when that takes longer than DRAIN_LIMIT_S."""
    bounds = {"first": order_ids[0], "last": order_ids[-1]}
    done = text(
        "SELECT (SELECT count(*) FROM orders WHERE id BETWEEN :first AND :last "
        "AND state = 'fulfilled') + (SELECT count(*) FROM outbox_emails WHERE order_id "
        "BETWEEN :first AND :last AND template = 'receipt')"
    )
    while time.perf_counter() - began < DRAIN_LIMIT_S:
        with engine.connect() as conn:
            if conn.execute(done, bounds).scalar_one() >= 2 * len(order_ids):
                return time.perf_counter() - began
        time.sleep(0.05)
    return None


def webhook_burst(
    bench: Bench,
    database_url: str,
    standin: str,
    webhook_secret: str,
    start_workers: Callable[[int], tuple[Callable[[], None], list[int]]],
) -> Row:
    """The burst; ``start_workers(n)`` starts n job workers and returns what stops them, and
    their process ids."""
    engine = create_engine(database_url)
    stop_workers, worker_pids = start_workers(WORKERS)
    try:
        _open_sessions(bench)
        events = _paid_events(bench, engine, standin)
        bodies = [json.dumps(event) for event in events] * 2
        random.Random(9).shuffle(bodies)  # noqa: S311 (an order, not a secret)
        local = threading.local()

        def send(body: str) -> tuple[int, float]:
            if not hasattr(local, "http"):
                local.http = requests.Session()
            signature = stripe.WebhookSignature.generate_signature_header(
                body, webhook_secret, int(time.time())
            )
            sent = time.perf_counter()
            answer = local.http.post(
                bench.portal + "/stripe/webhook",
                data=body.encode(),
                headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
                timeout=60,
            )
            return answer.status_code, time.perf_counter() - sent

        with bench.profiled("webhook"), bench.profiled_jobs(worker_pids, "webhook-jobs"):
            started = time.perf_counter()
            with ThreadPoolExecutor(THREADS) as pool:
                results = list(pool.map(send, bodies))
            seconds = time.perf_counter() - started
            drain = _drained(engine, bench.data.webhook_order_ids, time.perf_counter())
        time.sleep(1)  # a job acting twice would show now
        ok, counts = _exactly_once(engine, bench.data.webhook_order_ids)
    finally:
        stop_workers()
        engine.dispose()
    statuses = Counter(status for status, _ in results)
    latencies = sorted(latency for _, latency in results)
    per_second = len(bodies) / seconds
    p95 = latencies[int(len(latencies) * 0.95)] * 1000
    drained = f"not within {DRAIN_LIMIT_S} s" if drain is None else f"{drain:.1f} s"
    return Row(
        f"5. Webhook burst: {len(bodies):,} events, half repeats, {THREADS} at once",
        None,
        target="≥ 300 events/s acknowledged; all fulfilled once ≤ 10 s after",
        met=per_second >= 300 and ok and set(statuses) == {200} and (drain or 99) <= 10,
        note=(
            f"{per_second:.0f} events/s acknowledged ({seconds:.1f} s), p95 {p95:.0f} ms; "
            f"drained by {WORKERS} job workers {drained} after the last answer; "
            f"responses {dict(sorted(statuses.items()))}; "
            f"exactly once: {'yes' if ok else 'NO'} ({counts})"
        ),
    )
