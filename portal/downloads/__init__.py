"""Downloads of report PDFs."""

from portal.downloads.views import bp

__all__ = ["bp"]
