"""Pages that belong to no one feature: the home page."""

from portal.main.views import bp

__all__ = ["bp"]
