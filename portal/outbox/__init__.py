"""The email outbox page for administrators: what was sent, what is waiting, what is stuck."""

from portal.outbox.views import bp

__all__ = ["bp"]
