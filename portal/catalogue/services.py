"""Reading the catalogue. Reports and prices are rows, so new reports need no code."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.catalogue.models import Report
from portal.extensions import db


def published_reports() -> list[Report]:
    """Published reports, newest first, with their formats loaded."""
    return list(
        db.session.scalars(
            select(Report)
            .where(Report.is_published.is_(True))
            .options(selectinload(Report.formats))
            .order_by(Report.published_on.desc(), Report.title)
        )
    )


def published_report(slug: str) -> Report | None:
    """The published report with this slug, or None (unpublished reports are not shown)."""
    if len(slug) > 120:
        return None
    return db.session.scalar(
        select(Report)
        .where(Report.slug == slug, Report.is_published.is_(True))
        .options(selectinload(Report.formats))
    )
