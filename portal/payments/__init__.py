"""Card payments through Stripe Checkout."""

from portal.payments.views import bp

__all__ = ["bp"]
