"""Writing and reading the audit log. Every service that changes something on an administrator's
(or the system's) behalf, and a buyer cancelling their own order, calls ``record`` in the same
transaction as the change, so the log and the data never disagree."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.clock import LONDON
from portal.extensions import db


def _plain(value):
    """JSON-safe values for the before/after snapshots (dates as ISO text, enums as values)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, int | str):
        return value.value
    return value


@dataclass(frozen=True)
class Actor:
    """Someone who changes something without an account of their own, known by their email
    address: a guest buyer, who proved who they are with their order's signed link."""

    email: str
    id: None = None


def record(
    actor,
    action: str,
    target_type: str,
    target_id,
    *,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
) -> AuditEntry:
    """Add an audit entry for a change ``actor`` (a User, or an ``Actor``) made; flushed with the
    change."""
    entry = AuditEntry(
        actor_user_id=getattr(actor, "id", None),
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=_plain(before or {}),
        after=_plain(after or {}),
        note=note,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def record_export(actor, kind: str, rows: int, **filters) -> AuditEntry:
    """Add an entry for an export of personal data: who, which export (``export.<kind>``), the
    filters it was asked with and how many rows it holds. The caller commits it before the
    file is streamed, so an export cut short is still on record."""
    return record(actor, f"export.{kind}", "export", kind, after={**filters, "rows": rows})


def snapshot(obj, *fields: str) -> dict:
    """The named attributes of ``obj``, for an entry's before or after."""
    return {name: getattr(obj, name) for name in fields}


PAGE_SIZE = 50


def entries(
    *,
    action: str = "",
    target_type: str = "",
    target_id: str = "",
    actor: str = "",
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
) -> tuple[list[AuditEntry], bool]:
    """Audit entries, newest first, filtered; and whether there is a next page."""
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id:
        query = query.where(AuditEntry.target_id == target_id)
    if actor:
        query = query.where(AuditEntry.actor_email == actor.strip().lower())
    if since:
        query = query.where(AuditEntry.at >= datetime.combine(since, time(), LONDON))
    if until:
        query = query.where(
            AuditEntry.at < datetime.combine(until + timedelta(days=1), time(), LONDON)
        )
    rows = db.session.scalars(
        query.order_by(AuditEntry.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).all()
    return list(rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE


def actions() -> list[str]:
    """Every action the log holds, for the audit page's filter."""
    return list(
        db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )
