"""``/_standin/``: controls for tests and demos (no authentication; JSON in, JSON out).

They do what a tester otherwise needs Stripe's dashboard, the Stripe CLI or a real browser for:
pay or expire a session, settle a delayed payment, re-send an event (duplicates), hold events and
release them in reverse (out of order), move the clock, point webhooks elsewhere, start again.
Parameters may come as a query string, a form or a JSON object.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for

from . import refund_outcomes
from .errors import invalid
from .runtime import json_response, runtime

bp = Blueprint("controls", __name__, url_prefix="/_standin")

CONTROLS = {
    "GET /_standin/events[?type=…]": "every event in order, with its delivery status and attempts",
    "GET /_standin/events/<id>": "one event with its delivery status",
    "POST /_standin/events/<id>/deliver": "send an event again (a duplicate delivery)",
    "POST /_standin/hold": "queue new events instead of sending them",
    "POST /_standin/release[?order=reverse]": "send the queued events, oldest or newest first",
    "POST /_standin/retry": "send again every event whose delivery failed or never happened",
    "POST /_standin/sessions/<id>/pay[?deliver=0]": "pay a session as the hosted page does",
    "POST /_standin/sessions/<id>/complete_async[?deliver=0]": "complete with a delayed payment",
    "POST /_standin/sessions/<id>/async?outcome=succeeded|failed": "settle the delayed payment",
    "POST /_standin/sessions/<id>/expire[?deliver=0]": "expire an open session now",
    "POST /_standin/refunds/refuse (message, code)": "refuse the next refund with this reason",
    "POST /_standin/refunds/pending": "answer the next refund pending, to settle later",
    "POST /_standin/refunds/<id>/settle (outcome, failure_reason, after)": (
        "settle a pending refund, or fail one (even one that succeeded), now or after <after> "
        "seconds on the account's clock"
    ),
    "GET|POST /_standin/config (webhook_url, webhook_timeout)": "see or change the webhook target",
    "POST /_standin/clock (advance=<seconds>)": "move the account's clock forward",
    "POST /_standin/reset": "forget every object and event",
}


def _arg(name: str, default: Any = None) -> Any:
    if name in request.args:
        return request.args[name]
    if request.is_json and isinstance(request.get_json(silent=True), dict):
        return request.get_json().get(name, default)
    return request.form.get(name, default)


def _flag(name: str, default: bool = True) -> bool:
    value = _arg(name)
    if value is None:
        return default
    return str(value).lower() not in {"0", "false", "no", "off", ""}


def _entry(event_id: str) -> dict[str, Any]:
    state = runtime()
    event = state.store.get("event", event_id)
    return {
        "id": event["id"],
        "type": event["type"],
        "created": event["created"],
        "object_id": event["data"]["object"].get("id"),
        "delivery": state.webhooks.status(event["id"]),
        "event": event,
    }


def _session_action(session_id: str, operation) -> Any:
    state = runtime()
    events = operation(state.store)
    attempts = state.publish(events, deliver=_flag("deliver"))
    session = state.store.render(state.store.get("checkout.session", session_id))
    return json_response({
        "session": session,
        "events": [_entry(event["id"]) for event in events],
        "attempts": attempts,
    })  # fmt: skip


@bp.get("/")
def index():
    """What each control does."""
    return json_response({"controls": CONTROLS})


@bp.get("/events")
def list_events():
    """Every event, oldest first; ``type`` filters by event type."""
    wanted = request.args.get("type")
    store = runtime().store
    with store.lock:
        ids = [eid for eid, e in store.events.items() if wanted in (None, e["type"])]
    return json_response({"object": "list", "data": [_entry(eid) for eid in ids]})


@bp.get("/events/<event_id>")
def show_event(event_id: str):
    """One event and where its delivery stands."""
    return json_response(_entry(event_id))


@bp.post("/events/<event_id>/deliver")
def deliver_event(event_id: str):
    """Send an event now, even if it was delivered before."""
    state = runtime()
    return json_response(state.webhooks.send(state.store.get("event", event_id)))


@bp.post("/hold")
def hold():
    """Queue events from now on, until released."""
    runtime().webhooks.hold()
    return json_response({"holding": True})


@bp.post("/release")
def release():
    """Send the queued events: ``order=reverse`` sends the newest first."""
    order = _arg("order", "created")
    if order not in {"created", "reverse"}:
        raise invalid("order must be created or reverse", "order")
    attempts = runtime().webhooks.release(reverse=order == "reverse")
    return json_response({"holding": False, "attempts": attempts})


@bp.post("/retry")
def retry():
    """Send again, oldest first, every event whose delivery failed or never happened."""
    state = runtime()
    attempts = [state.webhooks.send(state.store.get("event", eid))
                for eid in state.webhooks.undelivered()]  # fmt: skip
    return json_response({"attempts": attempts})


@bp.post("/sessions/<session_id>/pay")
def pay_session(session_id: str):
    """Pay a session as the hosted page's Pay button does, without a browser."""
    return _session_action(
        session_id,
        lambda store: store.complete_session(
            session_id, paid=True, email=_arg("email"), name=_arg("name")
        ),
    )


@bp.post("/sessions/<session_id>/complete_async")
def complete_async(session_id: str):
    """Complete a session with a delayed payment method: status complete, payment unpaid."""
    return _session_action(
        session_id,
        lambda store: store.complete_session(
            session_id, paid=False, email=_arg("email"), name=_arg("name")
        ),
    )


@bp.post("/sessions/<session_id>/async")
def settle_async(session_id: str):
    """Settle a delayed payment: ``outcome=succeeded`` or ``outcome=failed``."""
    outcome = _arg("outcome")
    return _session_action(session_id, lambda store: store.settle_async(session_id, str(outcome)))


@bp.post("/sessions/<session_id>/expire")
def expire_session(session_id: str):
    """Expire an open session now, as if its ``expires_at`` had passed."""
    return _session_action(session_id, lambda store: store.expire_session(session_id)[1])


@bp.post("/refunds/refuse")
def refuse_next_refund():
    """Refuse the next refund asked for, as Stripe does (e.g. a disputed charge): a 400 with
    ``message`` and ``code``."""
    message = _arg("message") or "This refund cannot be made."
    code = _arg("code") or None
    store = runtime().store
    with store.lock:
        store.refund_refusal = (str(message), None if code is None else str(code))
    return json_response({"refuse_next_refund": {"message": message, "code": code}})


@bp.post("/refunds/pending")
def make_next_refund_pending():
    """The next refund asked for is answered ``pending``, as a bank that settles later does."""
    store = runtime().store
    with store.lock:
        store.refund_pending_next = True
    return json_response({"pending_next_refund": True})


@bp.post("/refunds/<refund_id>/settle")
def settle_refund(refund_id: str):
    """Settle a refund: ``outcome=succeeded|failed``, ``failure_reason`` (Stripe's, default
    ``expired_or_canceled_card``), and ``after=<seconds>`` to do it later on the account's
    clock (when ``POST /_standin/clock`` moves past it) rather than now."""
    state = runtime()
    outcome = str(_arg("outcome", "failed"))
    reason = _arg("failure_reason") or None
    try:
        after = int(_arg("after", 0))
    except ValueError:
        raise invalid("after must be a whole number of seconds", "after") from None
    if after > 0:
        if outcome not in {"succeeded", "failed"}:
            raise invalid("outcome must be succeeded or failed", "outcome")
        due = refund_outcomes.schedule(state.store, refund_id, outcome, reason, after)
        return _answer(refund_id, [], {"due": due})
    events = refund_outcomes.settle(state.store, refund_id, outcome, reason)
    attempts = state.publish(events)
    return _answer(refund_id, events, {"attempts": attempts})


def _answer(refund_id: str, events: list[dict], extra: dict[str, Any]):
    store = runtime().store
    refund = store.render(store.get("refund", refund_id))
    page = request.form.get("session", "")
    if page in store.sessions:  # from the payment page's form: back to it
        return redirect(url_for("hosted.show", session_id=page), 303)
    return json_response({"refund": refund, "events": [e["id"] for e in events], **extra})


@bp.route("/config", methods=["GET", "POST"])
def config():
    """See or change where webhooks go (``webhook_url``, empty for nowhere) and their timeout."""
    state = runtime()
    if request.method == "POST":
        if _arg("webhook_url") is not None:
            state.webhooks.url = state.config.webhook_url = _arg("webhook_url") or None
        if _arg("webhook_timeout") is not None:
            try:
                timeout = float(_arg("webhook_timeout"))
            except ValueError:
                raise invalid(
                    "webhook_timeout must be a number of seconds", "webhook_timeout"
                ) from None
            state.webhooks.timeout = state.config.webhook_timeout = timeout
    return json_response({
        "webhook_url": state.webhooks.url,
        "webhook_timeout": state.webhooks.timeout,
        "holding": state.webhooks.holding,
    })  # fmt: skip


@bp.post("/clock")
def clock():
    """Move the account's clock forward by ``advance`` seconds; due sessions expire and due
    refunds settle at once."""
    state = runtime()
    try:
        advance = int(_arg("advance", 0))
    except ValueError:
        raise invalid("advance must be a whole number of seconds", "advance") from None
    with state.store.lock:
        state.store.clock_offset += advance
    state.publish(state.store.expire_due() + refund_outcomes.settle_due(state.store))
    return json_response({"now": state.store.now(), "offset": state.store.clock_offset})


@bp.post("/reset")
def reset():
    """Forget every object, event, idempotency key and queued delivery; keep the configuration."""
    state = runtime()
    state.store.reset()
    state.webhooks.reset()
    return json_response({"reset": True})
