"""``python -m stripe_standin``: run the stand-in for the portal's demo on this machine."""

from __future__ import annotations

import argparse

from werkzeug.serving import run_simple

from .app import create_app
from .latency import from_environment, milliseconds
from .runtime import (
    DEFAULT_SECRET_KEY,
    DEFAULT_WEBHOOK_SECRET,
    DEFAULT_WEBHOOK_URL,
    StandInConfig,
)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m stripe_standin",
        description="An offline stand-in for Stripe's API and hosted Checkout page (test mode).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    parser.add_argument("--webhook-secret", default=DEFAULT_WEBHOOK_SECRET)
    parser.add_argument(
        "--webhook-url", default=DEFAULT_WEBHOOK_URL, help="where events are POSTed ('' for none)"
    )
    parser.add_argument("--webhook-timeout", type=float, default=5.0)
    parser.add_argument("--public-url", default=None, help="base URL of the hosted pages")
    try:
        fixed, jitter = from_environment()
    except ValueError as error:
        parser.error(str(error))
    parser.add_argument(
        "--latency-ms",
        type=lambda text: milliseconds(text, "--latency-ms"),
        default=fixed,
        help="wait this long before answering each API call (default: STANDIN_LATENCY_MS or 0)",
    )
    parser.add_argument(
        "--latency-jitter-ms",
        type=lambda text: milliseconds(text, "--latency-jitter-ms"),
        default=jitter,
        help="and up to this much more, at random (default: STANDIN_LATENCY_JITTER_MS or 0)",
    )
    args = parser.parse_args(argv)
    app = create_app(
        StandInConfig(
            secret_key=args.secret_key,
            webhook_secret=args.webhook_secret,
            webhook_url=args.webhook_url or None,
            webhook_timeout=args.webhook_timeout,
            public_url=args.public_url,
            background_delivery=True,
            latency_ms=args.latency_ms,
            latency_jitter_ms=args.latency_jitter_ms,
        )
    )
    slow = ""
    if args.latency_ms or args.latency_jitter_ms:
        slow = (
            f"; API calls answered after {args.latency_ms:g} ms + up to {args.latency_jitter_ms:g}"
        )
    print(
        f"Stripe stand-in listening on http://{args.host}:{args.port} "
        f"(STRIPE_API_BASE); webhooks to {args.webhook_url or 'nowhere'}{slow}",
        flush=True,
    )
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
