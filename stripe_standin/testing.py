"""Start a stand-in for a test (or a demo) in a background thread, and drive its controls.

``start(webhook_url=receiver_url)`` returns a :class:`StandIn`; ``standin.client()`` is the real
stripe-python SDK pointed at it; ``standin.pay(session.id)`` pays as a customer on the hosted page
would; ``standin.stop()`` shuts it down.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import create_app
from .runtime import DEFAULT_SECRET_KEY, DEFAULT_WEBHOOK_SECRET, StandInConfig

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
CONTROL_TIMEOUT = 30.0


class StandInError(Exception):
    """A control answered with an error status (its JSON body is in ``body``)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


class StandIn:
    """A running stand-in: its base ``url`` (use it as ``STRIPE_API_BASE``) and its controls."""

    def __init__(self, config: StandInConfig) -> None:
        self.config = config
        self.app = create_app(config)
        self._server = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so that stop() returns promptly
            name="stripe-standin",
            daemon=True,
        )
        self._http_clients: list[Any] = []
        self._thread.start()

    @property
    def secret_key(self) -> str:
        """The API key the stand-in accepts."""
        return self.config.secret_key

    @property
    def webhook_secret(self) -> str:
        """The secret that signs webhook deliveries (``whsec_…``)."""
        return self.config.webhook_secret

    def client(self, api_key: str | None = None, **options: Any):
        """A real ``stripe.StripeClient`` for this stand-in, set up as the portal sets it up.

        ``api_key`` defaults to the stand-in's secret key; ``options`` go to ``StripeClient``.
        Its connections are closed by :meth:`stop`.
        """
        import stripe

        http_client = stripe.RequestsClient(timeout=CONTROL_TIMEOUT)
        self._http_clients.append(http_client)
        options.setdefault("max_network_retries", 2)
        return stripe.StripeClient(
            api_key or self.secret_key,
            base_addresses={"api": self.url},
            http_client=http_client,
            **options,
        )

    def stop(self) -> None:
        """Close the clients made by :meth:`client`, then shut the server down."""
        for http_client in self._http_clients:
            http_client.close()
        self._http_clients.clear()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- controls --------------------------------------------------------------------------------

    def control(self, method: str, path: str, **params: Any) -> Any:
        """Call a ``/_standin/`` control (``path`` relative to it) and return its JSON answer."""
        query = {k: v for k, v in params.items() if v is not None}
        url = f"{self.url}/_standin/{path.lstrip('/')}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        body = b"" if method == "POST" else None
        request = urllib.request.Request(url, method=method, data=body)  # noqa: S310 - our own URL
        try:
            with _OPENER.open(request, timeout=CONTROL_TIMEOUT) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                raise StandInError(error.code, json.loads(error.read() or b"null")) from None

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        """Every event so far, oldest first; each ``{id, type, object_id, delivery, event}``."""
        return self.control("GET", "events", type=type)["data"]

    def event(self, event_id: str) -> dict[str, Any]:
        """One event entry, as in :meth:`events`."""
        return self.control("GET", f"events/{event_id}")

    def pay(self, session_id: str, *, deliver: bool = True, email: str | None = None) -> dict:
        """Pay the session as the hosted page would: ``{"session", "events", "attempts"}``."""
        return self.control("POST", f"sessions/{session_id}/pay", deliver=int(deliver), email=email)

    def complete_async(self, session_id: str, *, deliver: bool = True) -> dict[str, Any]:
        """Complete the session with a delayed payment (payment_status stays ``unpaid``)."""
        return self.control("POST", f"sessions/{session_id}/complete_async", deliver=int(deliver))

    def settle_async(self, session_id: str, outcome: str, *, deliver: bool = True) -> dict:
        """Finish a delayed payment with ``outcome`` ``"succeeded"`` or ``"failed"``."""
        return self.control(
            "POST", f"sessions/{session_id}/async", outcome=outcome, deliver=int(deliver)
        )

    def expire(self, session_id: str, *, deliver: bool = True) -> dict[str, Any]:
        """Expire an open session now."""
        return self.control("POST", f"sessions/{session_id}/expire", deliver=int(deliver))

    def deliver(self, event_id: str) -> dict[str, Any]:
        """Send an event again (a duplicate); returns the attempt."""
        return self.control("POST", f"events/{event_id}/deliver")

    def hold(self) -> None:
        """Queue new events instead of sending them."""
        self.control("POST", "hold")

    def release(self, order: str = "created") -> list[dict[str, Any]]:
        """Send the queued events, ``order="created"`` (oldest first) or ``"reverse"``."""
        return self.control("POST", "release", order=order)["attempts"]

    def retry(self) -> list[dict[str, Any]]:
        """Send again every event whose delivery failed or never happened."""
        return self.control("POST", "retry")["attempts"]

    def refuse_next_refund(self, message: str, code: str | None = None) -> None:
        """Make the next refund fail as Stripe refuses one: a 400 with ``message``."""
        self.control("POST", "refunds/refuse", message=message, code=code)

    def make_next_refund_pending(self) -> None:
        """Answer the next refund ``pending``, to settle with :meth:`settle_refund`."""
        self.control("POST", "refunds/pending")

    def settle_refund(
        self, refund_id: str, outcome: str, *, failure_reason: str | None = None, after: int = 0
    ) -> dict[str, Any]:
        """Settle a pending refund (``succeeded``) or fail one, even one that succeeded
        (``failed``), now or ``after`` seconds later on the account's clock."""
        params: dict[str, Any] = {"outcome": outcome, "after": after}
        if failure_reason is not None:
            params["failure_reason"] = failure_reason
        return self.control("POST", f"refunds/{refund_id}/settle", **params)

    def configure(
        self, *, webhook_url: str | None = None, webhook_timeout: float | None = None
    ) -> dict:
        """Change the webhook target (``""`` for none) or its timeout; returns the configuration."""
        return self.control(
            "POST", "config", webhook_url=webhook_url, webhook_timeout=webhook_timeout
        )

    def advance_clock(self, seconds: int) -> int:
        """Move the account's clock forward (sessions past ``expires_at`` expire); returns now."""
        return self.control("POST", "clock", advance=seconds)["now"]

    def reset(self) -> None:
        """Forget every object and event."""
        self.control("POST", "reset")


def start(
    secret_key: str = DEFAULT_SECRET_KEY,
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
    webhook_url: str | None = None,
    *,
    webhook_timeout: float = 5.0,
) -> StandIn:
    """Start a stand-in on a free loopback port in a daemon thread; call ``.stop()`` when done.

    With ``webhook_url`` None, events are recorded but not sent until a URL is configured.
    """
    return StandIn(
        StandInConfig(
            secret_key=secret_key,
            webhook_secret=webhook_secret,
            webhook_url=webhook_url,
            webhook_timeout=webhook_timeout,
        )
    )
