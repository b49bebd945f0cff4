"""Pages that belong to no one feature: the home page and the health check."""

from portal.main.views import bp

__all__ = ["bp"]
