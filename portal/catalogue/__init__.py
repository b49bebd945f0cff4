"""The catalogue of reports and their formats."""

from portal.catalogue.views import bp

__all__ = ["bp"]
