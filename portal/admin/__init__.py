"""Administration: orders, catalogue, subscribers, exports, the dashboard and the audit log.

Each area's pages are a module of routes on the one blueprint; importing them here registers them.
"""

from portal.admin import views  # noqa: F401  (the routes register themselves on bp)
from portal.admin.blueprint import bp

__all__ = ["bp"]
