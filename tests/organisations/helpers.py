"""Building subscriber files and counting what the database holds."""

from sqlalchemy import func, select

from portal.extensions import db
from portal.organisations.models import (
    InsightSubscription,
    NamedMember,
    Organisation,
    OrganisationDomain,
)

HEADER = "organisation,kind,domains,start date,end date,member emails"


def subscribers_csv(*lines: str, header: str = HEADER) -> str:
    """A subscribers file: the header (line 1), then ``lines`` (line 2 onwards)."""
    return "\n".join((header, *lines)) + "\n"


def row_counts() -> dict[str, int]:
    """How many organisations, domains, subscriptions and named members are stored."""
    models = (Organisation, OrganisationDomain, InsightSubscription, NamedMember)
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in models}
