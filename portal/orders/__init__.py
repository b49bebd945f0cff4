"""Orders: placing them, their lines and their history, and their page."""

from portal.orders.views import bp

__all__ = ["bp"]
