"""Checkout: contact details, delivery address, review and placing the order."""

from portal.checkout.views import bp

__all__ = ["bp"]
