"""Requests to join, renew or ask about Insight (worked through by administrators), and the record
of each subscription reminder sent."""

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.db_types import UTCDateTime, string_enum
from portal.extensions import db
from portal.organisations.models import InsightSubscription


class RequestTopic(enum.StrEnum):
    JOIN = "join"
    RENEW = "renew"
    QUESTION = "question"

    @property
    def label(self) -> str:
        return {
            "join": "Join Insight",
            "renew": "Renew a subscription",
            "question": "Ask a question",
        }[self.value]


class RequestState(enum.StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    WON = "won"
    LOST = "lost"

    @property
    def label(self) -> str:
        return {"new": "New", "contacted": "Contacted", "won": "Won", "lost": "Lost"}[self.value]


class InsightRequest(db.Model):
    """Someone asked to join, to renew, or a question, from the "What Insight is" page."""

    __tablename__ = "insight_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The form's one-time key: the same form posted twice makes one request.
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    topic: Mapped[RequestTopic] = mapped_column(string_enum(RequestTopic, "request_topic", 20))
    name: Mapped[str] = mapped_column(String(200))
    organisation_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    # The organisation the address belongs to, when the portal knows it (for the renewals list).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[RequestState] = mapped_column(
        string_enum(RequestState, "request_state", 20), default=RequestState.NEW
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    events: Mapped[list["InsightRequestEvent"]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        order_by="InsightRequestEvent.id",
    )


class InsightRequestEvent(db.Model):
    """One step in working a request: a change of state, a note, or both; who and when."""

    __tablename__ = "insight_request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("insight_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_state: Mapped[RequestState | None] = mapped_column(
        string_enum(RequestState, "event_from_state", 20)
    )
    to_state: Mapped[RequestState | None] = mapped_column(
        string_enum(RequestState, "event_to_state", 20)
    )
    note: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[InsightRequest] = relationship(back_populates="events")
    by = relationship("User")


class ReminderKind(enum.StrEnum):
    """When a subscription reminder goes: so many days before the end, or after it."""

    DAYS_90 = "90_days"
    DAYS_30 = "30_days"
    DAYS_7 = "7_days"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return {
            "90_days": "90 days before it ends",
            "30_days": "30 days before it ends",
            "7_days": "7 days before it ends",
            "ended": "After it ended",
        }[self.value]


class SubscriptionReminder(db.Model):
    """A reminder sent for one subscription period: one row per period and kind, written in the
    same transaction as the emails, so no period is reminded twice of the same thing."""

    __tablename__ = "subscription_reminders"
    __table_args__ = (UniqueConstraint("subscription_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("insight_subscriptions.id", ondelete="CASCADE")
    )
    kind: Mapped[ReminderKind] = mapped_column(string_enum(ReminderKind, "reminder_kind", 20))
    sent_on: Mapped[date] = mapped_column(Date)
    recipients: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    subscription: Mapped[InsightSubscription] = relationship()
