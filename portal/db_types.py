"""Column types shared by every feature's models."""

import enum
import re
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, Index
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A UTC timestamp: stored without zone (SQLite keeps none), always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def string_enum(cls: type[enum.Enum], name: str, length: int) -> Enum:
    """An enum column stored as its values ("paid", "pdf"…) in a VARCHAR with a named CHECK
    constraint: readable in the database and the same on SQLite and PostgreSQL."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


def postgresql_only(index: Index) -> Index:
    """An index made on PostgreSQL only (e.g. a trigram index); migrations and their checks
    skip it on other databases (``compared_on``)."""
    index.info["dialects"] = ("postgresql",)
    return index.ddl_if(dialect="postgresql")


#: What the migrations keep and the models do not, being beyond Alembic's comparison: the
#: catalogue's full-text search, SQLite's FTS5 table (with the tables it keeps its index in,
#: filled by triggers on ``reports``), PostgreSQL's generated tsvector column and its GIN index.
MIGRATION_ONLY = re.compile(r"report_search(_[a-z]+)?|ix_reports_search|search_document")


def compared_on(dialect_name: str):
    """Alembic's ``include_object`` for one database: objects the models keep to other
    databases (``info["dialects"]``) are left out of the comparison."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        if (
            reflected
            and type_ in ("table", "index", "column")
            and MIGRATION_ONLY.fullmatch(name or "")
        ):
            return False
        dialects = getattr(obj, "info", {}).get("dialects")
        return reflected or not dialects or dialect_name in dialects

    return include_object
