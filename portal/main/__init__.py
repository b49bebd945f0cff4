"""Pages that belong to no one feature: the home page and the accessibility statement."""

from portal.main.views import bp

__all__ = ["bp"]
