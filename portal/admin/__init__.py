"""Administration: orders, catalogue, subscribers, content pages, exports, emails, the dashboard,
background jobs that failed and the audit log.

Each area's pages are a module of routes on the one blueprint; importing them here registers them.
"""

from portal.admin import (
    catalogue,  # noqa: F401
    content,  # noqa: F401
    dashboard,  # noqa: F401
    emails,  # noqa: F401
    exports,  # noqa: F401
    insight,  # noqa: F401
    jobs,  # noqa: F401
    orders,  # noqa: F401
    refund_repayments,  # noqa: F401
    refunds,  # noqa: F401
    subscribers,  # noqa: F401
    topics,  # noqa: F401
    users,  # noqa: F401
    views,  # noqa: F401  (the routes register themselves on bp)
)
from portal.admin.blueprint import bp

__all__ = ["bp"]
