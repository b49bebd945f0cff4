"""The one door to Stripe. Nothing else in the portal imports ``stripe``.

The same code talks to real Stripe in production and to the offline stand-in on a laptop and in
tests: only ``STRIPE_API_BASE`` and the keys differ.
"""

import json
import secrets
from dataclasses import dataclass

from flask import current_app

from portal.clock import utcnow

#: Written into every session's metadata: an event for a session without it is not ours.
PORTAL_MARKER = "insight-portal"

#: Stripe's errors, under these names (``except gateway.StripeError``).
_STRIPE_ERRORS = ("StripeError", "SignatureVerificationError", "InvalidRequestError")


def __getattr__(name: str):
    # The stripe library is imported on first use, not when the app starts: a web server that
    # takes no card payment does not carry it.
    if name in _STRIPE_ERRORS:
        import stripe

        return getattr(stripe, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class CheckoutSession:
    """What the portal needs of a Stripe Checkout Session, as Stripe says it is now."""

    id: str
    url: str | None
    status: str  # open, complete, expired
    payment_status: str  # unpaid, paid, no_payment_required
    amount_total: int | None
    currency: str | None
    payment_intent: str | None
    metadata: dict[str, str]
    expires_at: int | None = None  # Unix time, on Stripe's clock

    @property
    def is_ours(self) -> bool:
        return self.metadata.get("portal") == PORTAL_MARKER

    @property
    def order_id(self) -> int | None:
        value = self.metadata.get("order_id", "")
        return int(value) if value.isascii() and value.isdigit() else None


def _session(obj) -> CheckoutSession:
    data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    intent = data.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    return CheckoutSession(
        id=data["id"],
        url=data.get("url"),
        status=data.get("status") or "",
        payment_status=data.get("payment_status") or "",
        amount_total=data.get("amount_total"),
        currency=data.get("currency"),
        payment_intent=intent,
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        expires_at=data.get("expires_at"),
    )


def new_idempotency_key(purpose: str) -> str:
    """A key for one request to Stripe, random so that it is unique on every database that
    shares the Stripe account; saved with what it asked for, and reused only to ask again."""
    return f"{purpose}-{secrets.token_urlsafe(24)}"


@dataclass(frozen=True)
class CheckoutLine:
    name: str
    unit_amount_pence: int
    quantity: int


def _client():
    """This process's client for the configured account, made once: its HTTP connections are
    kept open between requests (each thread has its own), so a call does not start with a new
    TLS handshake. Each call gives up after ``STRIPE_CONNECT_TIMEOUT`` seconds to connect and
    ``STRIPE_READ_TIMEOUT`` to answer, retried ``STRIPE_NETWORK_RETRIES`` times (the library's
    own default waits 80 seconds, longer than the app server lets a request run)."""
    config = current_app.config
    settings = (
        config["STRIPE_SECRET_KEY"],
        config["STRIPE_API_BASE"],
        config["STRIPE_CONNECT_TIMEOUT"],
        config["STRIPE_READ_TIMEOUT"],
        config["STRIPE_NETWORK_RETRIES"],
    )
    made = current_app.extensions.get("stripe_client")
    if made is None or made[0] != settings:
        import stripe

        client = stripe.StripeClient(
            settings[0],
            base_addresses={"api": settings[1]},
            max_network_retries=settings[4],
            http_client=stripe.RequestsClient(timeout=(settings[2], settings[3])),
        )
        made = current_app.extensions["stripe_client"] = (settings, client)
    return made[1]


def create_checkout_session(
    *,
    order_id: int,
    reference: str,
    email: str,
    lines: list[CheckoutLine],
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
    expires_at: int,
) -> CheckoutSession:
    """A hosted Checkout Session in ``payment`` mode for exactly these GBP lines, payable until
    ``expires_at`` (Unix time; Stripe allows 30 minutes to 24 hours from now)."""
    params = {
        "mode": "payment",
        "ui_mode": "hosted_page",
        "line_items": [
            {
                "price_data": {
                    "currency": "gbp",
                    "unit_amount": line.unit_amount_pence,
                    "product_data": {"name": line.name[:250]},
                },
                "quantity": line.quantity,
            }
            for line in lines
        ],
        "client_reference_id": str(order_id),
        "metadata": {"order_id": str(order_id), "reference": reference, "portal": PORTAL_MARKER},
        # The payment carries the order too, so staff find it in Stripe's dashboard by number.
        "payment_intent_data": {
            "description": payment_description(reference),
            "metadata": {"order_id": str(order_id), "reference": reference},
        },
        "customer_email": email,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": expires_at,
    }
    created = _client().v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key})
    return _session(created)


def payment_description(reference: str) -> str:
    """How a payment for order ``reference`` (and its refunds) reads in Stripe's dashboard."""
    return f"Socitm Insight order {reference}"


def retrieve_checkout_session(session_id: str) -> CheckoutSession:
    return _session(_client().v1.checkout.sessions.retrieve(session_id))


def expire_checkout_session(session_id: str) -> CheckoutSession:
    return _session(_client().v1.checkout.sessions.expire(session_id))


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    object_type: str
    object_id: str | None
    created: int | None = None  # Unix time, on Stripe's clock


#: How far a signature's timestamp may be from now, either way, in seconds. Stripe's library
#: refuses only old ones; one dated ahead of our clock (a replay prepared in advance) is refused
#: here.
SIGNATURE_TOLERANCE_SECONDS = 300


class MalformedEvent(ValueError):
    """A correctly signed body that is not a Stripe event the portal can read."""


def verified_event(payload: bytes, signature: str | None) -> Event:
    """The event in a webhook body, if its ``Stripe-Signature`` is valid, dated neither more
    than 5 minutes ago nor ahead of our clock by more, and shaped like an event; raises
    ``SignatureVerificationError`` or ``ValueError`` (``MalformedEvent``) otherwise."""
    import stripe

    stripe.WebhookSignature.verify_header(
        payload,
        signature,
        current_app.config["STRIPE_WEBHOOK_SECRET"],
        tolerance=SIGNATURE_TOLERANCE_SECONDS,
    )
    if _signature_timestamp(signature or "") > utcnow().timestamp() + SIGNATURE_TOLERANCE_SECONDS:
        raise stripe.SignatureVerificationError("Timestamp is in the future", signature, payload)
    try:
        data = json.loads(payload)
    except RecursionError:  # nested deeper than the parser goes
        raise MalformedEvent("the body is nested too deeply") from None
    return _event(data)


def recorded_event(payload: str) -> Event:
    """The event in a webhook body verified (by ``verified_event``) when it arrived."""
    return _event(json.loads(payload))


def _signature_timestamp(signature: str) -> int:
    """The ``t=`` of a ``Stripe-Signature`` header the library has already verified."""
    for item in signature.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit():
            return int(value)
    raise MalformedEvent("the signature has no timestamp")


def _text(value, longest: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= longest


def _event(data) -> Event:
    """The parts of a verified event the portal acts on, each checked for its type: Stripe
    signs what it sends, but a body of any other shape must be a clear refusal, not a crash."""
    if not isinstance(data, dict):
        raise MalformedEvent("the body is not a JSON object")
    body = data.get("data")
    obj = body.get("object") if isinstance(body, dict) else None
    created = data.get("created")
    if not (
        _text(data.get("id"), 255)
        and _text(data.get("type"), 100)
        and isinstance(obj, dict)
        and _text(obj.get("id"), 255)
        and _text(obj.get("object"), 100)
        and (created is None or (isinstance(created, int) and not isinstance(created, bool)))
    ):
        raise MalformedEvent("the body is not a Stripe event")
    return Event(
        id=data["id"],
        type=data["type"],
        object_type=obj["object"],
        object_id=obj["id"],
        created=created,
    )


# -- refunds -------------------------------------------------------------------------------------

#: Stripe's codes for a refund asking for more than is left of the payment.
_TOO_LARGE_CODES = frozenset({"amount_too_large", "charge_already_refunded"})


class RefundTooLarge(Exception):
    """Stripe refused the refund: it is more than is left unrefunded of the payment."""


class RefundDeclined(Exception):
    """Stripe answered, and refused the refund; ``str(error)`` is Stripe's reason."""


@dataclass(frozen=True)
class RefundResult:
    """What the portal needs of a Stripe refund, as Stripe says it is now."""

    id: str
    status: str  # pending, requires_action, succeeded, failed, canceled
    amount: int
    payment_intent: str | None = None
    metadata: dict[str, str] | None = None
    failure_reason: str | None = None  # when failed: Stripe's reason, e.g. expired_or_canceled_card


def _refund(obj) -> RefundResult:
    data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    intent = data.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    return RefundResult(
        id=data["id"],
        status=data.get("status") or "",
        amount=int(data.get("amount") or 0),
        payment_intent=intent,
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        failure_reason=data.get("failure_reason"),
    )


def create_refund(
    *,
    payment_intent: str,
    amount_pence: int,
    idempotency_key: str,
    metadata: dict[str, str] | None = None,
) -> RefundResult:
    """Refund ``amount_pence`` of a card payment. The same ``idempotency_key`` never refunds twice.

    Raises RefundTooLarge when Stripe says that is more than is left of the payment,
    RefundDeclined when Stripe refuses it for another reason (its answer says why), and
    ``StripeError`` when Stripe could not be reached or failed to answer (a network error, a
    5xx, a rate limit): only then may the same request succeed later.
    """
    params = {
        "payment_intent": payment_intent,
        "amount": amount_pence,
        "metadata": {"portal": PORTAL_MARKER, **(metadata or {})},
    }
    import stripe

    try:
        created = _client().v1.refunds.create(params, {"idempotency_key": idempotency_key})
    except stripe.InvalidRequestError as error:
        if error.code in _TOO_LARGE_CODES:
            raise RefundTooLarge(str(error.user_message or error)) from error
        raise RefundDeclined(_reason(error)) from error
    except stripe.StripeError as error:
        if is_permanent(error):
            raise RefundDeclined(_reason(error)) from error
        raise
    return _refund(created)


def is_permanent(error) -> bool:
    """Stripe answered and said no (a 4xx other than a rate limit: no such object, a key not
    allowed to read it, a refusal): asking again the same way will not help. A network failure
    has no status; a 5xx or 429 may pass."""
    status = getattr(error, "http_status", None)
    return status is not None and 400 <= status < 500 and status != 429


def _reason(error) -> str:
    return str(getattr(error, "user_message", None) or "").strip() or "no reason was given"


def retrieve_refund(refund_id: str) -> RefundResult:
    return _refund(_client().v1.refunds.retrieve(refund_id))


def refunds_of_charge(charge_id: str) -> list[RefundResult]:
    """Every refund of a charge (a ``charge.refunded`` event names the charge, not the refund)."""
    charge = _client().v1.charges.retrieve(charge_id, {"expand": ["refunds"]}).to_dict()
    return [_refund(refund) for refund in ((charge.get("refunds") or {}).get("data") or [])]
