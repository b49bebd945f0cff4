"""Organisations that may subscribe to Insight, their email domains and their subscriptions."""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.db_types import UTCDateTime, string_enum
from portal.extensions import db


class OrganisationKind(enum.StrEnum):
    COUNCIL = "council"
    FIRE_AND_RESCUE = "fire_and_rescue"
    POLICE = "police"
    HEALTH = "health"
    HOUSING = "housing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        string_enum(OrganisationKind, "organisation_kind", 20)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # On stop: its new invoice orders wait for payment or approved credit. The reason is for
    # administrators only; its people are told only that the account is on hold.
    on_stop_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    on_stop_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    domains: Mapped[list["OrganisationDomain"]] = relationship(
        back_populates="organisation",
        cascade="all, delete-orphan",
        order_by="OrganisationDomain.domain",
    )
    subscriptions: Mapped[list["InsightSubscription"]] = relationship(
        back_populates="organisation",
        cascade="all, delete-orphan",
        order_by="InsightSubscription.starts_on",
    )
    members: Mapped[list["NamedMember"]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="NamedMember.email"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r}>"


class OrganisationDomain(db.Model):
    """An email domain an organisation registered: its subdomains match too."""

    __tablename__ = "organisation_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    # Stored lower-case, without a leading "@" or trailing dot.
    domain: Mapped[str] = mapped_column(String(253), unique=True)

    organisation: Mapped[Organisation] = relationship(back_populates="domains")


class InsightSubscription(db.Model):
    """One period of Insight subscription: active from ``starts_on`` to ``ends_on`` inclusive."""

    __tablename__ = "insight_subscriptions"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")

    organisation: Mapped[Organisation] = relationship(back_populates="subscriptions")

    def is_active_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class NamedMember(db.Model):
    """A person tied to an organisation by address, when it does not match a registered domain."""

    __tablename__ = "named_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    # Stored normalised (trimmed, lower-case); one address belongs to one organisation.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="members")


class PublicSectorDomain(db.Model):
    """A shared public-sector email domain (``gov.uk``, ``nhs.net``…): verified addresses on it
    or its subdomains buy on credit terms. Administrators keep the list."""

    __tablename__ = "public_sector_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-case, without a leading "@" or trailing dot.
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubscriptionContact(db.Model):
    """Someone at an organisation who hears about its Insight subscription: the reminders before
    it ends and the day after it ends go to every contact."""

    __tablename__ = "subscription_contacts"
    __table_args__ = (UniqueConstraint("organisation_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # Stored normalised (trimmed, lower-case).
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class OrganisationManager(db.Model):
    """A person who sees their organisation's orders, free copies used and people, and keeps its
    named members: appointed by an administrator or another manager. They act as one only while
    their verified address still belongs to the organisation (``portal.organisations.managers``)."""

    __tablename__ = "organisation_managers"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    appointed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    user = relationship("User", foreign_keys=[user_id])
