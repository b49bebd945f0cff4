"""What becomes of a card refund after Stripe answers: pending until the card's bank settles it,
and a refund reported succeeded can still fail days later (Stripe then sends ``refund.failed``
and ``refund.updated``). Controls make the next refund pending and settle a refund now, or
later on the account's clock (``POST /_standin/clock`` moves it).
"""

from __future__ import annotations

from .errors import invalid
from .store import StateError, Store

#: Stripe's reasons for a refund that failed.
FAILURE_REASONS = frozenset({
    "charge_for_pending_refund_disputed", "declined", "expired_or_canceled_card",
    "insufficient_funds", "lost_or_stolen_card", "merchant_request", "unknown",
})  # fmt: skip


def settle(store: Store, refund_id: str, outcome: str, reason: str | None) -> list[dict]:
    """``outcome`` ``succeeded`` settles a pending refund; ``failed`` fails a pending one or one
    that succeeded (the money goes back to the account's balance). Returns the events."""
    if outcome not in {"succeeded", "failed"}:
        raise invalid("outcome must be succeeded or failed", "outcome")
    if outcome == "failed" and (reason or "expired_or_canceled_card") not in FAILURE_REASONS:
        raise invalid(f"failure_reason must be one of {', '.join(sorted(FAILURE_REASONS))}",
                      "failure_reason")  # fmt: skip
    with store.lock:
        refund = store.get("refund", refund_id)
        store.refund_schedule.pop(refund_id, None)
        if outcome == "succeeded":
            if refund["status"] != "pending":
                raise StateError(f"Refund {refund_id} is {refund['status']}, not pending.")
            refund["status"] = "succeeded"
            return [store._emit("refund.updated", refund)]
        if refund["status"] not in {"pending", "succeeded"}:
            raise StateError(f"Refund {refund_id} is {refund['status']}: it cannot fail now.")
        refund.update(status="failed", failure_reason=reason or "expired_or_canceled_card")
        charge = store.charges[refund["charge"]]
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = False
        return [store._emit("refund.failed", refund), store._emit("refund.updated", refund)]


def schedule(store: Store, refund_id: str, outcome: str, reason: str | None, after: int) -> int:
    """Settle the refund when the account's clock has moved ``after`` seconds on; its due time."""
    with store.lock:
        store.get("refund", refund_id)
        due = store.now() + after
        store.refund_schedule[refund_id] = (due, outcome, reason)
        return due


def settle_due(store: Store) -> list[dict]:
    """Settle every scheduled refund whose time has come (after the clock moves)."""
    events: list[dict] = []
    with store.lock:
        now = store.now()
        due = [(rid, plan) for rid, plan in store.refund_schedule.items() if plan[0] <= now]
        for refund_id, (_, outcome, reason) in due:
            try:
                events += settle(store, refund_id, outcome, reason)
            except StateError:
                store.refund_schedule.pop(refund_id, None)
    return events
