"""Reading the catalogue. Reports and prices are rows, so new reports need no code."""

import re

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.catalogue.models import Report
from portal.extensions import db

#: What a report's slug looks like: lower-case words joined by hyphens.
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def published_report(slug: str) -> Report | None:
    """The published report with this slug, or None (unpublished reports are not shown)."""
    if not SLUG.fullmatch(slug):
        return None
    return db.session.scalar(
        select(Report)
        .where(Report.slug == slug[:120], Report.is_published.is_(True))
        .options(selectinload(Report.formats))
    )
