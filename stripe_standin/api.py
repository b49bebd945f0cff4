"""``/v1``: the part of Stripe's HTTP API the portal uses, authenticated by the secret key."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from flask import Blueprint, g, request

from . import objects
from .checkout import integer, reject_unknown
from .errors import StripeAPIError
from .params import canonical, parse_params
from .runtime import json_response, runtime
from .store import check_expand

bp = Blueprint("api", __name__, url_prefix="/v1")


def _request_id() -> str:
    """This request's id, the same in its ``Request-Id`` header and on the events it causes."""
    if "stripe_request_id" not in g:
        g.stripe_request_id = objects.new_id("req_", 14)
    return g.stripe_request_id


def response_headers(*, replayed: bool = False) -> dict[str, str]:
    """Headers Stripe puts on every API response."""
    headers = {
        "Request-Id": _request_id(),
        "Stripe-Version": request.headers.get("Stripe-Version", objects.API_VERSION),
    }
    if "Idempotency-Key" in request.headers:
        headers["Idempotency-Key"] = request.headers["Idempotency-Key"]
        if replayed:
            headers["Idempotent-Replayed"] = "true"
    return headers


def _masked(key: str) -> str:
    if len(key) <= 8:
        return "*" * len(key)
    prefix = key[: key.index("_", 3) + 1] if key.count("_") >= 2 else key[:3]
    return prefix + "*" * max(len(key) - len(prefix) - 4, 4) + key[-4:]


@bp.before_request
def authenticate() -> None:
    """Require ``Authorization: Bearer <secret key>`` (or the key as a Basic-auth user name)."""
    header = request.headers.get("Authorization", "")
    key = None
    if header.startswith("Bearer "):
        key = header[len("Bearer ") :].strip()
    elif request.authorization is not None and request.authorization.type == "basic":
        key = request.authorization.username
    if not key:
        raise StripeAPIError(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
        )
    if not hmac.compare_digest(key.encode(), runtime().config.secret_key.encode()):
        raise StripeAPIError(401, f"Invalid API Key provided: {_masked(key)}")


def _query() -> dict[str, Any]:
    return parse_params(request.args.items(multi=True))


def _retrieve(kind: str, object_id: str):
    params = _query()
    reject_unknown(params, {"expand"})
    store = runtime().store
    body = store.render(store.get(kind, object_id), params.get("expand", []))
    return json_response(body, headers=response_headers())


def _post(kind: str, action: Callable[[dict[str, Any]], tuple[dict, list]]):
    """Run a POST once per Idempotency-Key, answer with the object, then deliver its events."""
    params = parse_params(request.form.items(multi=True))
    expand = check_expand(kind, params.pop("expand", []))
    state = runtime()
    fingerprint = (request.method, request.path, canonical(params), tuple(expand))

    key = request.headers.get("Idempotency-Key")

    def run() -> tuple[dict, list]:
        obj, events = action(params)
        for event in events:  # as Stripe does, the events name the request that caused them
            event["request"] = {"id": _request_id(), "idempotency_key": key}
        return state.store.render(obj, expand), events

    body, events, replayed = state.store.idempotent(key, fingerprint, run)
    state.publish(events)
    return json_response(body, headers=response_headers(replayed=replayed))


@bp.post("/checkout/sessions")
def create_checkout_session():
    """Create a Checkout Session (``mode=payment``, line items with ``price_data``)."""
    state = runtime()
    base = state.base_url()
    return _post(
        "checkout.session",
        lambda params: (state.store.create_session(params, lambda sid: f"{base}/pay/{sid}"), []),
    )


def _limit(params: dict[str, Any]) -> int:
    limit = integer(params.get("limit", "10"), "limit", minimum=1)
    if limit > 100:
        raise StripeAPIError(400, "This value must be less than or equal to 100.", param="limit")
    return limit


@bp.get("/checkout/sessions")
def list_checkout_sessions():
    """Sessions, newest first, optionally filtered by ``payment_intent`` or ``status``."""
    params = _query()
    filters = {"payment_intent", "status"}
    reject_unknown(params, filters | {"limit", "starting_after", "ending_before", "expand"})
    wanted = {name: params[name] for name in filters if name in params}
    page = runtime().store.page_of_sessions(wanted, _limit(params), params.get("starting_after"))
    return json_response(page, headers=response_headers())


@bp.get("/checkout/sessions/<session_id>")
def retrieve_checkout_session(session_id: str):
    """A Checkout Session; ``expand[]=payment_intent`` inlines its PaymentIntent."""
    return _retrieve("checkout.session", session_id)


@bp.post("/checkout/sessions/<session_id>/expire")
def expire_checkout_session(session_id: str):
    """Expire an open session; emits ``checkout.session.expired``."""
    return _post("checkout.session", lambda params: _expire(session_id, params))


def _expire(session_id: str, params: dict[str, Any]) -> tuple[dict, list]:
    reject_unknown(params, set())
    return runtime().store.expire_session(session_id)


@bp.get("/checkout/sessions/<session_id>/line_items")
def list_line_items(session_id: str):
    """A page of the session's line items (``limit`` 1 to 100, default 10; ``starting_after``)."""
    params = _query()
    reject_unknown(params, {"limit", "starting_after", "ending_before", "expand"})
    page = runtime().store.page_of_line_items(
        session_id, _limit(params), params.get("starting_after")
    )
    return json_response(page, headers=response_headers())


@bp.get("/payment_intents/<intent_id>")
def retrieve_payment_intent(intent_id: str):
    """A PaymentIntent; ``expand[]=latest_charge`` inlines its charge."""
    return _retrieve("payment_intent", intent_id)


@bp.get("/charges/<charge_id>")
def retrieve_charge(charge_id: str):
    """A charge; ``refunds`` appears only with ``expand[]=refunds``, as in Stripe."""
    return _retrieve("charge", charge_id)


@bp.post("/refunds")
def create_refund():
    """Refund a PaymentIntent (or charge): ``amount`` defaults to what remains unrefunded."""
    return _post("refund", runtime().store.create_refund)


@bp.get("/refunds/<refund_id>")
def retrieve_refund(refund_id: str):
    """A refund."""
    return _retrieve("refund", refund_id)


@bp.get("/events/<event_id>")
def retrieve_event(event_id: str):
    """An event, exactly as it was sent to the webhook endpoint."""
    return _retrieve("event", event_id)
