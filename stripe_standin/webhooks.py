"""Webhook delivery: signed exactly as Stripe signs, sent synchronously, held or replayed on demand.

A delivery that fails (no answer, a timeout, a non-2xx status) is recorded and kept for re-delivery;
it never raises. No lock is held while sending, so the receiving handler may call the API back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.error
import urllib.request
from typing import Any

Event = dict[str, Any]
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    """``Stripe-Signature``: ``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<payload>">``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class WebhookSender:
    """Sends events to one endpoint and remembers every attempt.

    Each event's delivery ``status`` is ``pending`` (not sent yet: delivery was skipped or no URL is
    set), ``held`` (queued while delivery is on hold), ``delivered`` (last attempt got a 2xx) or
    ``failed`` (last attempt did not).
    """

    def __init__(
        self, secret: str, url: str | None, timeout: float = 5.0, background: bool = False
    ) -> None:
        self.secret = secret
        self.url = url or None
        self.timeout = timeout
        self._lock = threading.Lock()
        # Like Stripe, a running stand-in sends events after answering the request that caused
        # them, in order, from one worker; tests use inline delivery, which is deterministic.
        self._outbox: queue.Queue[Event] | None = None
        if background:
            self._outbox = queue.Queue()
            threading.Thread(target=self._work, name="webhooks", daemon=True).start()
        self.reset()

    def _work(self) -> None:
        while True:
            self.send(self._outbox.get())

    def reset(self) -> None:
        """Forget attempts and queued events and stop holding (the URL is kept)."""
        with self._lock:
            self.holding = False
            self._queue: list[Event] = []
            self._attempts: dict[str, list[dict[str, Any]]] = {}
            self._status: dict[str, str] = {}

    def publish(self, events: list[Event], *, deliver: bool = True) -> list[dict[str, Any]]:
        """Deliver new events now, or queue them while holding; returns the attempts made."""
        to_send = []
        with self._lock:
            for event in events:
                self._attempts.setdefault(event["id"], [])
                if not deliver or self.url is None:
                    self._status[event["id"]] = "pending"
                elif self.holding:
                    self._status[event["id"]] = "held"
                    self._queue.append(event)
                else:
                    to_send.append(event)
        if self._outbox is not None:
            for event in to_send:
                self._outbox.put(event)
            return []
        return [self.send(event) for event in to_send]

    def hold(self) -> None:
        """Queue new events instead of sending them, until :meth:`release`."""
        with self._lock:
            self.holding = True

    def release(self, *, reverse: bool = False) -> list[dict[str, Any]]:
        """Stop holding and send the queued events, oldest first or (``reverse``) newest first."""
        with self._lock:
            self.holding = False
            queue, self._queue = self._queue, []
        return [self.send(event) for event in (queue[::-1] if reverse else queue)]

    def undelivered(self) -> list[str]:
        """Ids of events not held whose last attempt failed or that were never sent."""
        with self._lock:
            return [eid for eid, status in self._status.items() if status in {"pending", "failed"}]

    def status(self, event_id: str) -> dict[str, Any]:
        """Where an event's delivery stands: ``{"status": …, "attempts": [...]}``."""
        with self._lock:
            return {
                "status": self._status.get(event_id, "pending"),
                "attempts": [dict(a) for a in self._attempts.get(event_id, [])],
            }

    def send(self, event: Event) -> dict[str, Any]:
        """POST one event (again, if it was sent before) and record the attempt."""
        payload = json.dumps(event, indent=2)
        url = self.url
        attempt: dict[str, Any] = {"event": event["id"], "url": url, "at": int(time.time()),
                                   "status_code": None, "error": None, "ok": False}  # fmt: skip
        if url is None:
            attempt["error"] = "no webhook URL is configured"
        else:
            request = urllib.request.Request(  # noqa: S310 - the URL is set by whoever runs this
                url,
                data=payload.encode(),
                method="POST",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    "Stripe-Signature": signature_header(payload, self.secret),
                },
            )
            try:
                with _OPENER.open(request, timeout=self.timeout) as response:
                    attempt["status_code"] = response.status
                    response.read(2048)
            except urllib.error.HTTPError as error:
                attempt["status_code"] = error.code
                attempt["error"] = f"HTTP {error.code}"
                error.close()
            except Exception as error:  # a failed delivery must never crash the stand-in
                attempt["error"] = f"{type(error).__name__}: {error}"
            attempt["ok"] = (
                attempt["status_code"] is not None and 200 <= attempt["status_code"] < 300
            )
        with self._lock:
            self._attempts.setdefault(event["id"], []).append(attempt)
            self._status[event["id"]] = "delivered" if attempt["ok"] else "failed"
        return attempt
