"""A running stand-in's configuration, the state its requests share, and the JSON responses its
blueprints give."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request

from .store import Store
from .webhooks import WebhookSender

DEFAULT_SECRET_KEY = "sk_test_standin"  # noqa: S105 - test mode, offline only
DEFAULT_WEBHOOK_SECRET = "whsec_standin"  # noqa: S105 - test mode, offline only
DEFAULT_WEBHOOK_URL = "http://127.0.0.1:5000/stripe/webhook"


@dataclass
class StandInConfig:
    """How one stand-in behaves.

    ``webhook_url`` None keeps events undelivered until a URL is set. ``public_url`` is the base of
    the hosted pages' URLs (``session.url``); by default, the address the API was called on.
    ``background_delivery`` sends events after the request that caused them has been answered, as
    Stripe does (``python -m stripe_standin`` turns it on); otherwise they are sent before.
    ``latency_ms`` and ``latency_jitter_ms`` make every API call slow, as Stripe sometimes is.
    """

    secret_key: str = DEFAULT_SECRET_KEY
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    webhook_url: str | None = DEFAULT_WEBHOOK_URL
    webhook_timeout: float = 5.0
    public_url: str | None = None
    background_delivery: bool = False
    #: Milliseconds each API call waits before it is answered, and up to how many more at random
    #: (``latency.py``).
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0


@dataclass
class Runtime:
    """The state one running stand-in shares between its requests."""

    config: StandInConfig
    store: Store = field(default_factory=Store)
    webhooks: WebhookSender = field(init=False)

    def __post_init__(self) -> None:
        self.webhooks = WebhookSender(
            self.config.webhook_secret,
            self.config.webhook_url,
            self.config.webhook_timeout,
            background=self.config.background_delivery,
        )

    def publish(self, events: list[dict[str, Any]], *, deliver: bool = True) -> list[dict]:
        """Hand new events to the webhook sender (call this with the store's lock released)."""
        return self.webhooks.publish(events, deliver=deliver)

    def base_url(self) -> str:
        """Where the stand-in is reached: the configured public URL or this request's host."""
        return (self.config.public_url or request.host_url).rstrip("/")


def runtime() -> Runtime:
    """The running stand-in's shared state."""
    return current_app.extensions["stripe_standin"]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None):
    """A JSON response formatted as Stripe formats them (keys in their natural order)."""
    return current_app.response_class(
        json.dumps(body, indent=2) + "\n", status=status, mimetype="application/json",
        headers=headers,
    )  # fmt: skip
