"""Export Insight subscribers as CSV in the import's own format, so the file can be edited in a
spreadsheet and imported again: importing an unedited export changes nothing.

One row per subscription period; each row repeats the organisation's kind, domains and named
members (semicolon-separated), which the importer accepts on any of an organisation's rows. An
organisation with no subscription period has no row, because the import needs dates on every row.
"""

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.csv_safety import csv_rows
from portal.extensions import db
from portal.organisations.models import InsightSubscription, Organisation
from portal.organisations.subscriber_csv import MEMBERS_COLUMN, REQUIRED_COLUMNS

HEADER = (*REQUIRED_COLUMNS, MEMBERS_COLUMN)
_BATCH = 200


def subscriber_rows() -> Iterator[tuple[str, ...]]:
    """The export's rows below the header, organisations in the order they were added, periods
    by start date. Organisations are read a batch at a time (keyset by id), and the session holds
    them only weakly, so memory does not grow with their number.
    """
    last_id = 0
    while True:
        batch = db.session.scalars(
            select(Organisation)
            .where(Organisation.id > last_id)
            .order_by(Organisation.id)
            .limit(_BATCH)
            .options(
                selectinload(Organisation.domains),
                selectinload(Organisation.subscriptions),
                selectinload(Organisation.members),
            )
        ).all()
        if not batch:
            return
        last_id = batch[-1].id
        for organisation in batch:
            domains = ";".join(d.domain for d in organisation.domains)
            members = ";".join(m.email for m in organisation.members)
            for period in organisation.subscriptions:
                yield (
                    organisation.name,
                    organisation.kind.value,
                    domains,
                    period.starts_on.isoformat(),
                    period.ends_on.isoformat(),
                    members,
                )


def subscriber_row_count() -> int:
    """How many rows ``subscribers_csv`` writes below its header: one per subscription period."""
    return db.session.scalar(select(func.count(InsightSubscription.id)))


def subscribers_csv() -> Iterator[str]:
    """The whole file as text chunks, spreadsheet formulas neutralised, starting with the
    byte-order mark Excel needs to read UTF-8 (the importer ignores it)."""
    yield "\ufeff"
    yield from csv_rows([HEADER])
    yield from csv_rows(subscriber_rows())
