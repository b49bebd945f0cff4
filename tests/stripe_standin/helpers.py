"""The keys and addresses the stand-in's tests use."""

from __future__ import annotations

SECRET_KEY = "sk_test_standin_tests"


WEBHOOK_SECRET = "whsec_standin_tests"


SUCCESS_URL = "http://127.0.0.1:5000/orders/paid?session_id={CHECKOUT_SESSION_ID}"


CANCEL_URL = "http://127.0.0.1:5000/basket"
