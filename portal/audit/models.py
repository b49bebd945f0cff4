"""The audit log: every change an administrator makes, with who, when, what, before and after."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_email: Mapped[str] = mapped_column(String(254))  # kept if the account goes
    action: Mapped[str] = mapped_column(String(60), index=True)  # e.g. order.mark_invoice_paid
    target_type: Mapped[str] = mapped_column(String(40), index=True)  # order, report, user…
    target_id: Mapped[str] = mapped_column(String(255), index=True)  # reference, slug, domain, id
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    after: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
