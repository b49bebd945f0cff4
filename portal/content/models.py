"""Content pages: every version ever published (who and when), and the versions a buyer accepted
with each order."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.content.pages import ContentPage
from portal.db_types import UTCDateTime, string_enum
from portal.extensions import db


class ContentVersion(db.Model):
    """One published version of a page. Versions are never changed or removed: the newest is
    the page as the public sees it, and orders point at the ones their buyers accepted.

    ``number`` counts a page's versions from 1; the unique pair (page, number) is what refuses
    the later of two saves made from the same version, whatever the timing.
    """

    __tablename__ = "content_versions"
    __table_args__ = (
        UniqueConstraint("page", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page: Mapped[ContentPage] = mapped_column(string_enum(ContentPage, "content_page", 20))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)  # Markdown, as the administrator wrote it
    note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped["User | None"] = relationship("User", lazy="joined")  # noqa: F821


class OrderAgreement(db.Model):
    """A version of the terms or the licence that the buyer accepted when placing an order. A
    later version changes nothing here: the order keeps pointing at what was accepted."""

    __tablename__ = "order_agreements"
    __table_args__ = (UniqueConstraint("order_id", "content_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    content_version_id: Mapped[int] = mapped_column(
        ForeignKey("content_versions.id", ondelete="RESTRICT"), index=True
    )
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[ContentVersion] = relationship(lazy="joined")
