"""Addresses a signed-in person keeps for checkout."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class SavedAddress(db.Model):
    """A UK postal address someone saved to choose at checkout (for delivery or billing)."""

    __tablename__ = "saved_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation: Mapped[str] = mapped_column(String(200), default="")
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    town: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str] = mapped_column(String(30), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def one_line(self) -> str:
        """ "Civic Centre, Market Street, Northmere NM1 2AB" (with its organisation first)."""
        parts = (self.organisation, self.line1, self.line2, f"{self.town} {self.postcode}")
        return ", ".join(part for part in parts if part)
