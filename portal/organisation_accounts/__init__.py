"""Organisation accounts: what an organisation's managers see of it (its subscription, free
printed copies used, its people's orders and invoices, its people) and the named members and
managers they keep."""

from portal.organisation_accounts.views import bp

__all__ = ["bp"]
