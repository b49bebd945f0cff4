"""Answering slowly, as Stripe does on a bad day: every API call (``/v1/``) waits a fixed time
plus a random part before it is answered. The hosted pages and the ``/_standin/`` controls are
never slowed.

    python -m stripe_standin --latency-ms 400 --latency-jitter-ms 100

or ``STANDIN_LATENCY_MS`` / ``STANDIN_LATENCY_JITTER_MS`` in the environment. A latency of
30,000 ms is Stripe hanging: the connection is accepted and nothing comes back for 30 s.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass

from flask import Flask, request

ENVIRONMENT = ("STANDIN_LATENCY_MS", "STANDIN_LATENCY_JITTER_MS")


@dataclass(frozen=True)
class Latency:
    """Each API call waits ``fixed_ms`` plus a random 0 to ``jitter_ms``."""

    fixed_ms: float = 0.0
    jitter_ms: float = 0.0

    def seconds(self) -> float:
        # A delay, not a secret.
        jitter = random.uniform(0, self.jitter_ms) if self.jitter_ms else 0.0  # noqa: S311  # nosec B311
        return (self.fixed_ms + jitter) / 1000


def milliseconds(text: str, name: str) -> float:
    """A number of milliseconds, 0 or more, from the command line or the environment."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number of milliseconds, not {text!r}") from None
    if not 0 <= value <= 600_000:
        raise ValueError(f"{name} must be between 0 and 600000 milliseconds, not {text!r}")
    return value


def from_environment() -> tuple[float, float]:
    """The fixed and jittered latency the environment asks for (0 when unset)."""
    return tuple(  # type: ignore[return-value]
        milliseconds(os.environ[name], name) if os.environ.get(name, "").strip() else 0.0
        for name in ENVIRONMENT
    )


def install(app: Flask, latency: Latency) -> None:
    """Make ``app`` wait before answering each API call, when there is any latency."""
    if not (latency.fixed_ms or latency.jitter_ms):
        return

    @app.before_request
    def wait_like_a_slow_stripe() -> None:
        if request.path.startswith("/v1/"):
            time.sleep(latency.seconds())
