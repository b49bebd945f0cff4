"""An offline stand-in for the part of Stripe the portal uses, for its demo and its tests.

Production uses real Stripe. On a laptop, in CI, or in a demo with no network, run this instead and
point the portal at it (``STRIPE_API_BASE=http://127.0.0.1:12111``, ``STRIPE_SECRET_KEY`` and
``STRIPE_WEBHOOK_SECRET`` as below)::

    python -m stripe_standin --host 127.0.0.1 --port 12111 --secret-key sk_test_standin \\
        --webhook-secret whsec_standin --webhook-url http://127.0.0.1:5000/stripe/webhook

The real stripe-python SDK works against it unchanged and raises its real exceptions:

- ``/v1/checkout/sessions`` (create, retrieve, ``/expire``, ``/line_items``),
  ``/v1/payment_intents/<id>``, ``/v1/charges/<id>``, ``/v1/refunds`` (create, retrieve) and
  ``/v1/events/<id>``, with Stripe's form encoding, ``expand[]``, ``Idempotency-Key`` and errors;
- ``/pay/<session id>``, a hosted payment page without JavaScript: Pay, Card declined, Cancel;
- signed webhooks (``Stripe-Signature``) for ``checkout.session.completed``, ``…expired``,
  ``…async_payment_succeeded``, ``…async_payment_failed``, ``charge.refunded``, ``refund.created``,
  sent synchronously before the browser is redirected;
- ``/_standin/`` controls for tests: pay without a browser, expire, re-send events (duplicates),
  hold and release them in reverse (out of order), delayed payments, clock, reset.

State is in memory and lost on exit. Tests start one with :func:`stripe_standin.testing.start`.
"""

from .app import create_app
from .runtime import StandInConfig

__all__ = ["StandInConfig", "create_app"]
