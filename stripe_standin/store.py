"""The stand-in's in-memory Stripe account: objects, events and idempotency records under one lock.

Every operation returns the events it produced; the caller hands them to the webhook sender *after*
the lock is released, because a webhook handler usually calls back into the API.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import checkout, objects
from .errors import StripeAPIError, invalid, no_such

Event = dict[str, Any]
SAMPLE_ADDRESS = {"city": "Leeds", "country": "GB", "line1": "1 Civic Hall", "line2": None,
                  "postal_code": "LS1 1UR", "state": None}  # fmt: skip

_KINDS = {
    "cs_": ("checkout.session", "sessions"),
    "pi_": ("payment_intent", "intents"),
    "ch_": ("charge", "charges"),
    "re_": ("refund", "refunds"),
    "evt_": ("event", "events"),
}
# What each object may expand, and what the field expands into (None: a list object).
_EXPANDABLE: dict[str, dict[str, str | None]] = {
    "checkout.session": {"payment_intent": "payment_intent", "line_items": None},
    "payment_intent": {"latest_charge": "charge"},
    "charge": {"payment_intent": "payment_intent", "refunds": None},
    "refund": {"charge": "charge", "payment_intent": "payment_intent"},
    "event": {},
}


def check_expand(kind: str, expand: Any) -> list[str]:
    """Refuse ``expand`` paths Stripe would refuse for this kind of object; return them."""
    if isinstance(expand, str) or not isinstance(expand, list | tuple):
        raise invalid("Invalid array", "expand")
    for index, path in enumerate(expand):
        target: str | None = kind
        for field in str(path).split("."):
            fields = _EXPANDABLE.get(target or "", {})
            if field not in fields:
                raise invalid(f"This property cannot be expanded ({path}).", f"expand[{index}]")
            target = fields[field]
    return [str(path) for path in expand]


class StateError(Exception):
    """A test control asked for something the object's state does not allow (answered as 409)."""


@dataclass(frozen=True)
class IdempotentResult:
    fingerprint: tuple
    body: dict[str, Any]


class Store:
    """All objects of one test-mode Stripe account. Public methods take the lock themselves."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        """Forget every object, event and idempotency key, and undo any clock advance."""
        with self.lock:
            self.clock_offset = 0
            self.sessions: dict[str, dict[str, Any]] = {}
            self.line_items: dict[str, list[dict[str, Any]]] = {}
            self.intents: dict[str, dict[str, Any]] = {}
            self.charges: dict[str, dict[str, Any]] = {}
            self.refunds: dict[str, dict[str, Any]] = {}
            self.events: dict[str, Event] = {}
            self._intent_data: dict[str, dict[str, Any]] = {}
            self._idempotency: dict[str, IdempotentResult] = {}
            # Set by the controls: the next refund is refused with this (message, code).
            self.refund_refusal: tuple[str, str | None] | None = None
            # Set by the controls: the next refund is made pending, not succeeded at once.
            self.refund_pending_next = False
            # Refunds to settle when the clock reaches a time: id -> (due, outcome, reason).
            self.refund_schedule: dict[str, tuple[int, str, str | None]] = {}

    def now(self) -> int:
        """The account's clock: real time plus any advance made by the test controls."""
        return int(self._clock()) + self.clock_offset

    # -- reading ---------------------------------------------------------------------------------

    def get(self, kind: str, object_id: str) -> dict[str, Any]:
        """The live object (not a copy); raises Stripe's 404 for an unknown id."""
        table = {
            "checkout.session": self.sessions,
            "payment_intent": self.intents,
            "charge": self.charges,
            "refund": self.refunds,
            "event": self.events,
        }[kind]
        with self.lock:
            if object_id not in table:
                raise no_such(kind, object_id)
            return table[object_id]

    def render(self, obj: dict[str, Any], expand: Any = ()) -> dict[str, Any]:
        """A copy of ``obj`` for a response, with the ``expand`` paths (``a.b``) inlined."""
        paths = check_expand(obj["object"], expand)
        with self.lock:
            result = copy.deepcopy(obj)
            for path in paths:
                self._expand(result, path.split("."))
            return result

    def _expand(self, obj: dict[str, Any], parts: list[str]) -> None:
        field, rest = parts[0], parts[1:]
        if field == "line_items":
            obj[field] = self._list(
                f"/v1/checkout/sessions/{obj['id']}/line_items", self.line_items[obj["id"]]
            )
        elif field == "refunds":
            mine = [r for r in self.refunds.values() if r["charge"] == obj["id"]]
            obj[field] = self._list(f"/v1/charges/{obj['id']}/refunds", mine[::-1])
        elif isinstance(obj.get(field), str):
            table = next(t for prefix, (_, t) in _KINDS.items() if obj[field].startswith(prefix))
            obj[field] = copy.deepcopy(getattr(self, table)[obj[field]])
        if rest and isinstance(obj.get(field), dict):
            self._expand(obj[field], rest)

    @staticmethod
    def _list(url: str, data: list[dict[str, Any]]) -> dict[str, Any]:
        return objects.list_object(url, copy.deepcopy(data[:10]), has_more=len(data) > 10)

    def page_of_line_items(self, session_id: str, limit: int, starting_after: str | None) -> dict:
        """One page of a session's line items, as ``GET …/line_items`` answers."""
        with self.lock:
            self.get("checkout.session", session_id)
            items = self.line_items[session_id]
            start = 0
            if starting_after is not None:
                ids = [item["id"] for item in items]
                if starting_after not in ids:
                    raise no_such("item", starting_after, "starting_after")
                start = ids.index(starting_after) + 1
            page = items[start : start + limit]
            return objects.list_object(
                f"/v1/checkout/sessions/{session_id}/line_items",
                copy.deepcopy(page),
                has_more=start + limit < len(items),
            )

    def page_of_sessions(
        self, filters: dict[str, str], limit: int, starting_after: str | None
    ) -> dict[str, Any]:
        """Sessions newest first, filtered by field values (``payment_intent``, ``status``)."""
        with self.lock:
            found = [
                s for s in reversed(self.sessions.values())
                if all(s.get(field) == value for field, value in filters.items())
            ]  # fmt: skip
            start = 0
            if starting_after is not None:
                ids = [s["id"] for s in found]
                if starting_after not in ids:
                    raise no_such("checkout.session", starting_after, "starting_after")
                start = ids.index(starting_after) + 1
            return objects.list_object(
                "/v1/checkout/sessions",
                copy.deepcopy(found[start : start + limit]),
                has_more=start + limit < len(found),
            )

    # -- idempotency -----------------------------------------------------------------------------

    def idempotent(
        self, key: str | None, fingerprint: tuple, action: Callable[[], tuple[dict, list[Event]]]
    ) -> tuple[dict[str, Any], list[Event], bool]:
        """Run ``action`` once per Idempotency-Key; replay its saved body for the same request.

        Returns ``(body, events, replayed)``. A key reused for a different request (other
        parameters, method or path) is refused with ``idempotency_error``. Like Stripe, only
        requests that succeed are saved, so a request refused for bad parameters can be corrected.
        """
        with self.lock:
            if key is not None and key in self._idempotency:
                saved = self._idempotency[key]
                if saved.fingerprint != fingerprint:
                    raise StripeAPIError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters "
                        f"they were first used with. Try using a key other than '{key}' if you "
                        "meant to execute a different request.",
                        type="idempotency_error",
                    )
                return copy.deepcopy(saved.body), [], True
            body, events = action()
            if key is not None:
                self._idempotency[key] = IdempotentResult(fingerprint, copy.deepcopy(body))
            return body, events, False

    # -- events ----------------------------------------------------------------------------------

    def _emit(self, event_type: str, obj: dict[str, Any]) -> Event:
        event = objects.event(
            created=self.now(), event_type=event_type, data_object=copy.deepcopy(obj)
        )
        self.events[event["id"]] = event
        return event

    # -- Checkout Sessions -----------------------------------------------------------------------

    def create_session(self, params: dict[str, Any], page_url: Callable[[str], str]) -> dict:
        """Create an open session from raw parameters; ``page_url(id)`` gives its hosted page."""
        with self.lock:
            now = self.now()
            clean = checkout.session_params(params, now)
            object_id = objects.session_id()
            items = [objects.line_item(created=now, spec=spec) for spec in clean["line_items"]]
            session = objects.checkout_session(
                object_id=object_id, created=now, params=clean, line_items=items,
                url=page_url(object_id),
            )  # fmt: skip
            self.sessions[object_id] = session
            self.line_items[object_id] = items
            self._intent_data[object_id] = clean["payment_intent_data"]
            return session

    def expire_session(self, session_id: str) -> tuple[dict[str, Any], list[Event]]:
        """Expire an open session now (``POST …/expire``); any other status is a 400."""
        with self.lock:
            session = self.get("checkout.session", session_id)
            if session["status"] != "open":
                raise invalid(
                    'Only Checkout Sessions with a status in ["open"] can be expired. This '
                    f"Checkout Session has a status of {session['status']}."
                )
            return session, [self._expire(session)]

    def _expire(self, session: dict[str, Any]) -> Event:
        session.update(status="expired", url=None)
        return self._emit("checkout.session.expired", session)

    def expire_due(self) -> list[Event]:
        """Expire every open session whose ``expires_at`` has passed (checked lazily)."""
        with self.lock:
            now = self.now()
            due = [s for s in self.sessions.values() if s["status"] == "open"
                   and s["expires_at"] <= now]  # fmt: skip
            return [self._expire(session) for session in due]

    def complete_session(
        self, session_id: str, *, paid: bool = True, email: str | None = None,
        name: str | None = None,
    ) -> list[Event]:  # fmt: skip
        """The customer pays: the session completes and ``checkout.session.completed`` is emitted.

        ``paid=False`` is a delayed payment method: the session completes with payment_status
        ``unpaid`` and its PaymentIntent stays ``processing`` until :meth:`settle_async`.
        """
        with self.lock:
            session = self.get("checkout.session", session_id)
            if session["status"] != "open":
                raise StateError(f"Checkout Session {session_id} is {session['status']}, not open.")
            now = self.now()
            data = self._intent_data.get(session_id, {"metadata": {}, "description": None})
            intent = objects.payment_intent(
                created=now, amount=session["amount_total"], currency=session["currency"],
                metadata=dict(data["metadata"]), description=data["description"],
            )  # fmt: skip
            self.intents[intent["id"]] = intent
            email = session["customer_email"] or email or "customer@example.com"
            session.update(
                status="complete",
                url=None,
                payment_intent=intent["id"],
                customer_details={
                    "address": None, "business_name": None, "email": email,
                    "individual_name": None, "name": name or None, "phone": None,
                    "tax_exempt": "none", "tax_ids": [],
                },
            )  # fmt: skip
            if session["shipping_address_collection"]:
                session["collected_information"] = {
                    "business_name": None,
                    "individual_name": None,
                    "shipping_details": {"name": name or "Sam Taylor", "address": SAMPLE_ADDRESS},
                }
            if paid:
                self._succeed(intent, email)
                session["payment_status"] = "paid"
            return [self._emit("checkout.session.completed", session)]

    def _succeed(self, intent: dict[str, Any], email: str | None) -> None:
        charge = objects.charge(created=self.now(), intent=intent, billing_email=email)
        self.charges[charge["id"]] = charge
        intent.update(status="succeeded", amount_received=intent["amount"],
                      latest_charge=charge["id"], last_payment_error=None)  # fmt: skip

    def settle_async(self, session_id: str, outcome: str) -> list[Event]:
        """A delayed payment finishes: ``succeeded`` (now paid) or ``failed`` (stays unpaid)."""
        if outcome not in {"succeeded", "failed"}:
            raise invalid("outcome must be succeeded or failed", "outcome")
        with self.lock:
            session = self.get("checkout.session", session_id)
            intent = self.intents.get(session["payment_intent"] or "")
            if intent is None or intent["status"] != "processing":
                raise StateError(f"Checkout Session {session_id} has no payment in progress.")
            if outcome == "succeeded":
                self._succeed(intent, session["customer_details"]["email"])
                session["payment_status"] = "paid"
            else:
                intent.update(status="requires_payment_method", last_payment_error={
                    "code": "payment_method_provider_decline", "type": "card_error",
                    "message": "The payment was declined.",
                })  # fmt: skip
            return [self._emit(f"checkout.session.async_payment_{outcome}", session)]

    # -- refunds ---------------------------------------------------------------------------------

    def create_refund(self, params: dict[str, Any]) -> tuple[dict[str, Any], list[Event]]:
        """Refund part or all of what remains of a payment; card refunds succeed at once."""
        with self.lock:
            clean = checkout.refund_params(params)
            if self.refund_refusal is not None:
                (message, code), self.refund_refusal = self.refund_refusal, None
                raise invalid(message, code=code)
            if clean["payment_intent"] is not None:
                if clean["payment_intent"] not in self.intents:
                    raise no_such("payment_intent", clean["payment_intent"], "payment_intent")
                intent = self.intents[clean["payment_intent"]]
                charge = self.charges.get(intent["latest_charge"] or "")
                if charge is None or intent["status"] != "succeeded":
                    raise invalid(
                        f"This PaymentIntent ({intent['id']}) does not have a successful charge "
                        "to refund.",
                        "payment_intent",
                    )
            else:
                if clean["charge"] not in self.charges:
                    raise no_such("charge", str(clean["charge"]), "charge")
                charge = self.charges[clean["charge"]]
            remaining = charge["amount"] - charge["amount_refunded"]
            if remaining == 0:
                raise invalid(f"Charge {charge['id']} has already been refunded.",
                              code="charge_already_refunded")  # fmt: skip
            amount = remaining if clean["amount"] is None else clean["amount"]
            if amount > remaining:
                currency = charge["currency"]
                raise invalid(
                    f"Refund amount ({objects.format_amount(amount, currency)}) is greater than "
                    f"unrefunded amount on charge ({objects.format_amount(remaining, currency)})",
                    "amount",
                    "amount_too_large",
                )
            refund = objects.refund(created=self.now(), charge_obj=charge, amount=amount,
                                    reason=clean["reason"], metadata=clean["metadata"])  # fmt: skip
            if self.refund_pending_next:
                self.refund_pending_next = False
                refund["status"] = "pending"
            self.refunds[refund["id"]] = refund
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            events = [self._emit("refund.created", refund), self._emit("charge.refunded", charge)]
            return refund, events
