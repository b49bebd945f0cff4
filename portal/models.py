"""Every feature's models, imported together so the metadata (and so migrations) sees each table."""

from portal.accounts.models import User
from portal.catalogue.models import Report, ReportFormat
from portal.organisations.models import InsightSubscription, Organisation, OrganisationDomain

__all__ = [
    "InsightSubscription",
    "Organisation",
    "OrganisationDomain",
    "Report",
    "ReportFormat",
    "User",
]
