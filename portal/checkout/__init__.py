"""Checkout: contact details, delivery address, review and placing the order."""

from portal.checkout import (
    saved_addresses,  # noqa: F401  (a person's addresses to choose at checkout)
    switching,  # noqa: F401  (switching how an order is paid)
)
from portal.checkout.views import bp

__all__ = ["bp"]
