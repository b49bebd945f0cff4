"""Baskets: what someone means to order, before prices are fixed. Guests and signed-in people
both have one; a guest's joins their account's when they sign in."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class Basket(db.Model):
    __tablename__ = "baskets"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a guest's basket (found through their session instead).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list["BasketLine"]] = relationship(
        back_populates="basket", cascade="all, delete-orphan", order_by="BasketLine.id"
    )


class BasketLine(db.Model):
    __tablename__ = "basket_lines"
    __table_args__ = (
        UniqueConstraint("basket_id", "report_format_id"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    basket_id: Mapped[int] = mapped_column(ForeignKey("baskets.id", ondelete="CASCADE"), index=True)
    report_format_id: Mapped[int] = mapped_column(
        ForeignKey("report_formats.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)

    basket: Mapped[Basket] = relationship(back_populates="lines")
    report_format = relationship("ReportFormat")
