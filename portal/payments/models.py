"""Card payments through Stripe Checkout: each attempt to pay an order, and each event received."""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.db_types import UTCDateTime, string_enum
from portal.extensions import db


class AttemptStatus(enum.StrEnum):
    STARTING = "starting"  # saved, and Stripe asked for its session; no answer yet
    OPEN = "open"  # the person may pay on Stripe's page
    PROCESSING = "processing"  # completed, money not yet confirmed (delayed payment methods)
    PAID = "paid"
    FAILED = "failed"  # a delayed payment failed; the order can be paid again
    EXPIRED = "expired"


class CheckoutAttempt(db.Model):
    """One Stripe Checkout Session made for an order. An order may need several (a new attempt
    expires the previous one first)."""

    __tablename__ = "checkout_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … per order
    # Random, made for this attempt and saved before Stripe is asked: unique on every database
    # sharing one Stripe account, and sent again only when asking again for this attempt.
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True, index=True)
    # None while the attempt is STARTING (Stripe's answer has not arrived).
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[AttemptStatus] = mapped_column(string_enum(AttemptStatus, "attempt_status", 20))
    amount_pence: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # What Stripe said was paid (may differ from amount_pence: then the order is flagged).
    amount_paid_pence: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order = relationship("Order")


class StripeEvent(db.Model):
    """A webhook event, recorded once: a repeat delivery of the same id is skipped. The
    webhook records it and a background job acts on it (``portal.payments.webhook_queue``)."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The verified body, for the job that acts on the event (None for events handled before
    #: the webhook handed its work to a job).
    payload: Mapped[str | None] = mapped_column(Text)
    #: When the job finished acting on it; None while it waits (or failed, to be tried again).
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InvoicePayment(db.Model):
    """Money received against an invoice (by bank transfer), as an administrator recorded it."""

    __tablename__ = "invoice_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One payment settles an invoice: a second is refused (and the unique order backs that up).
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), unique=True)
    paid_on: Mapped[date] = mapped_column(Date)  # when the money arrived (Europe/London)
    reference: Mapped[str] = mapped_column(String(100))  # e.g. the bank transfer's reference
    amount_pence: Mapped[int] = mapped_column(Integer)
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RefundStatus(enum.StrEnum):
    REQUESTED = "requested"  # asked of Stripe; not yet confirmed
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundMethod(enum.StrEnum):
    CARD = "card"  # back to the card, through Stripe
    BANK_TRANSFER = "bank_transfer"  # an invoice paid by bank transfer, refunded the same way
    CREDIT = "credit"  # credited against an unpaid invoice: no money moves, less is owed

    @property
    def label(self) -> str:
        return {
            "card": "Refund to the card",
            "bank_transfer": "Refund by bank transfer",
            "credit": "Credit against the invoice",
        }[self.value]


class Refund(db.Model):
    """Money given back on an order, or taken off what it owes, for chosen lines: through Stripe
    for card payments (recorded when Stripe confirms it), sent by bank transfer for invoices paid
    that way (recorded with its date and reference), or credited against an unpaid invoice."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    method: Mapped[RefundMethod] = mapped_column(
        string_enum(RefundMethod, "refund_method", 20),
        default=RefundMethod.CARD,
        server_default=RefundMethod.CARD.value,
    )
    # What goes back: the lines' amounts (``lines``) and ``postage_pence``, VAT included.
    amount_pence: Mapped[int] = mapped_column(Integer)
    postage_pence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A bank transfer: the day it was sent (Europe/London) and its reference.
    refunded_on: Mapped[date | None] = mapped_column(Date)
    bank_reference: Mapped[str] = mapped_column(String(100), default="", server_default="")
    reason: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[RefundStatus] = mapped_column(string_enum(RefundStatus, "refund_status", 20))
    # The key sent with the request: a retried click reuses it, so Stripe refunds only once.
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    requested_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A card refund that failed, before or after Stripe reported it made: Stripe's reason and
    # when we heard. Failing after it was made, its amount is owed to the buyer until an
    # administrator records how it was repaid (by bank transfer: its date and reference).
    failure_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repaid_on: Mapped[date | None] = mapped_column(Date)
    repaid_reference: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # A card refund sent to repay one that failed after it was made: it names no lines and
    # issues no credit note (the failed refund's stands). Indexed, not a foreign key: SQLite
    # would have to copy the refunds table, which refund lines point at, to add one.
    repays_refund_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The credit note issued when the refund was confirmed.
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    lines: Mapped[list["RefundLine"]] = relationship(
        back_populates="refund", cascade="all, delete-orphan", order_by="RefundLine.id"
    )

    @property
    def is_repayment(self) -> bool:
        """A card refund repaying another that failed after it was made."""
        return self.repays_refund_id is not None

    @property
    def failed_after_made(self) -> bool:
        """Stripe reported it made (its credit note issued), then it failed. A repayment that
        fails leaves the refund it repays owed again instead."""
        return (
            self.status is RefundStatus.FAILED
            and self.confirmed_at is not None
            and not self.is_repayment
        )

    @property
    def owed_pence(self) -> int:
        """What is owed to the buyer because this refund failed after it was made."""
        return self.amount_pence if self.failed_after_made and self.repaid_on is None else 0


def failed_after_made_clause():
    """SQL for ``Refund.failed_after_made``: card refunds that failed after Stripe reported them
    made, leaving out card refunds that repay them."""
    return and_(
        Refund.status == RefundStatus.FAILED,
        Refund.confirmed_at.is_not(None),
        Refund.repays_refund_id.is_(None),
    )


def owed_clause():
    """SQL for ``Refund.owed_pence`` above zero: failed after they were made, not yet repaid."""
    return and_(failed_after_made_clause(), Refund.repaid_on.is_(None))


class RefundLine(db.Model):
    """One order line (or some copies of a printed one) that a refund gives back."""

    __tablename__ = "refund_lines"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("net_pence >= 0 AND vat_pence >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    net_pence: Mapped[int] = mapped_column(Integer)
    vat_pence: Mapped[int] = mapped_column(Integer)

    refund: Mapped[Refund] = relationship(back_populates="lines")
    order_line = relationship("OrderLine")

    @property
    def total_pence(self) -> int:
        return self.net_pence + self.vat_pence


class FinanceContact(db.Model):
    """An address given as the finance contact of an invoice order, and how far we trust it.

    Until someone there opens a link from one of our emails (``confirmed_at``) it gets at most
    a few emails a London day (``emails_on``, ``emails_that_day``); the rest are held in the
    outbox and released once it is confirmed.
    """

    __tablename__ = "finance_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower case
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emails_on: Mapped[date | None] = mapped_column(Date)
    emails_that_day: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
