"""Orders: what someone ordered, at what price and why (fixed when ordered), and its history."""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.db_types import UTCDateTime, postgresql_only, string_enum
from portal.extensions import db
from portal.pricing import FormatKind


class OrderState(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    AWAITING_APPROVAL = "awaiting_approval"
    AWAITING_INVOICE_PAYMENT = "awaiting_invoice_payment"
    PAID = "paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {
            "pending_payment": "Waiting for card payment",
            "awaiting_approval": "Waiting for approval",
            "awaiting_invoice_payment": "Waiting for invoice payment",
            "paid": "Paid",
            "fulfilled": "Complete",
            "cancelled": "Cancelled",
        }[self.value]


#: What the buyer's pages and emails call an order that cost nothing, never "Paid" (nothing was
#: paid): by its state, free with a subscription or with nothing to pay at all (a free report).
#: Complete once nothing is left to post. The administrators' pages keep its exact state.
FREE_ORDER_LABELS = {
    (True, "fulfilled"): "Complete — free with your subscription",
    (True, "paid"): "Free with your subscription",
    (False, "fulfilled"): "Complete — nothing to pay",
    (False, "paid"): "Nothing to pay",
}


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    INVOICE = "invoice"
    FREE = "free"  # nothing to pay: Insight subscription, or a free report

    @property
    def label(self) -> str:
        """As the administrators' pages and the exports name it."""
        return {"card": "Card", "invoice": "Invoice", "free": "Nothing to pay"}[self.value]


def _trigram(column: str) -> Index:
    """A trigram index, so ``ILIKE '%text%'`` searches on ``column`` need not read every order
    (PostgreSQL's pg_trgm)."""
    return postgresql_only(
        Index(
            f"ix_orders_{column}_trgm",
            column,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )
    )


def _state_method_organisation() -> Index:
    """The list filtered by state or payment method *and* searched by organisation, in one
    index: a multi-column GIN index serves any of its columns together (btree_gin for the plain
    ones), so the search reads only orders in that state, never the whole table in date order
    hoping to meet a match."""
    return postgresql_only(
        Index(
            "ix_orders_state_method_organisation",
            "state",
            "payment_method",
            "organisation_name",
            postgresql_using="gin",
            postgresql_ops={"organisation_name": "gin_trgm_ops"},
        )
    )


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        # The administrators' list: each filter it offers with the sort it is shown in.
        Index("ix_orders_state_created_at", "state", "created_at", "id"),
        Index("ix_orders_payment_method_created_at", "payment_method", "created_at", "id"),
        Index("ix_orders_total_pence", "total_pence", "id"),
        *(_trigram(c) for c in ("reference", "email", "name", "organisation_name", "po_number")),
        _state_method_organisation(),
        CheckConstraint("net_pence >= 0", name="net_not_negative"),
        CheckConstraint("vat_pence >= 0", name="vat_not_negative"),
        CheckConstraint("postage_pence >= 0", name="postage_not_negative"),
        CheckConstraint(
            "total_pence = net_pence + vat_pence + postage_pence", name="total_adds_up"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A reference people can read out on the phone: INS-2026-000123. Set once the id is known.
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_name: Mapped[str] = mapped_column(String(200), default="")
    # The subscribing organisation whose prices (and free printed copies) the order used.
    subscriber_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    state: Mapped[OrderState] = mapped_column(string_enum(OrderState, "order_state", 30))
    payment_method: Mapped[PaymentMethod] = mapped_column(
        string_enum(PaymentMethod, "payment_method", 10)
    )
    net_pence: Mapped[int] = mapped_column(Integer)
    vat_pence: Mapped[int] = mapped_column(Integer)
    postage_pence: Mapped[int] = mapped_column(Integer, default=0)
    total_pence: Mapped[int] = mapped_column(Integer)
    # Where printed copies go (UK addresses); empty for an order of PDFs only.
    delivery_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    delivery_line1: Mapped[str] = mapped_column(String(200), default="", server_default="")
    delivery_line2: Mapped[str] = mapped_column(String(200), default="", server_default="")
    delivery_town: Mapped[str] = mapped_column(String(100), default="", server_default="")
    delivery_postcode: Mapped[str] = mapped_column(String(10), default="", server_default="")
    # The organisation line a council's post room needs, and a phone number for the courier.
    delivery_organisation: Mapped[str] = mapped_column(String(200), default="", server_default="")
    delivery_phone: Mapped[str] = mapped_column(String(30), default="", server_default="")
    # Paying on invoice: the buyer's purchase-order number, where the invoice goes, and who pays.
    po_number: Mapped[str] = mapped_column(String(64), default="", server_default="")
    billing_line1: Mapped[str] = mapped_column(String(200), default="", server_default="")
    billing_line2: Mapped[str] = mapped_column(String(200), default="", server_default="")
    billing_town: Mapped[str] = mapped_column(String(100), default="", server_default="")
    billing_postcode: Mapped[str] = mapped_column(String(10), default="", server_default="")
    billing_organisation: Mapped[str] = mapped_column(String(200), default="", server_default="")
    billing_phone: Mapped[str] = mapped_column(String(30), default="", server_default="")
    finance_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    # When an invoice order was released before payment (on credit terms when placed, or an
    # administrator approving credit): its PDFs may be downloaded and its printed copies posted.
    downloads_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An invoice order's credit decision when it was placed (``pricing.CreditTerms``: why it
    # was released, or why it waits); empty for card and free orders.
    credit_terms: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # The last reminder sent for an unpaid invoice (a London date).
    last_reminded_on: Mapped[date | None] = mapped_column(Date)
    # Set when something needs an administrator (an amount that does not match, a payment for an
    # order already paid or cancelled that must be refunded); cleared by them.
    attention: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # When the buyer's personal data was erased (their account closed, or a guest's details past
    # the retention period): the order stays as the financial record, seen only by administrators.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    events: Mapped[list["OrderEvent"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )

    @property
    def has_printed_copies(self) -> bool:
        return any(line.format_kind == FormatKind.PRINT for line in self.lines)

    @property
    def released(self) -> bool:
        """Released before payment (credit terms or approved credit)."""
        return self.downloads_released_at is not None

    @property
    def state_label(self) -> str:
        """The order's state in the buyer's words: ``OrderState.label``, except that an order
        that cost nothing is never "Paid" (``FREE_ORDER_LABELS``)."""
        free = (self.subscriber_organisation_id is not None, self.state.value)
        if self.payment_method is PaymentMethod.FREE and free in FREE_ORDER_LABELS:
            return FREE_ORDER_LABELS[free]
        return self.state.label

    @property
    def po_to_follow(self) -> bool:
        """An invoice order whose purchase-order number the buyer will send later."""
        return self.payment_method is PaymentMethod.INVOICE and not self.po_number

    def __repr__(self) -> str:
        return f"<Order {self.reference or self.id} {self.state}>"


class OrderLine(db.Model):
    """One format of one report in an order, priced when the order was placed."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint(
            "subscriber_quantity >= 0 AND subscriber_quantity <= quantity",
            name="subscriber_quantity_range",
        ),
        CheckConstraint("net_pence >= 0 AND vat_pence >= 0", name="amounts_not_negative"),
        CheckConstraint("total_pence = net_pence + vat_pence", name="total_adds_up"),
        CheckConstraint(
            "free_copies_returned >= 0 AND free_copies_returned <= subscriber_quantity",
            name="free_copies_returned_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    report_format_id: Mapped[int] = mapped_column(
        ForeignKey("report_formats.id", ondelete="RESTRICT"), index=True
    )
    # What was ordered, as it was called then (the catalogue may change later).
    report_title: Mapped[str] = mapped_column(String(300))
    format_kind: Mapped[FormatKind] = mapped_column(string_enum(FormatKind, "format_kind", 10))
    quantity: Mapped[int] = mapped_column(Integer)
    subscriber_quantity: Mapped[int] = mapped_column(Integer)
    subscriber_unit_pence: Mapped[int] = mapped_column(Integer)
    standard_unit_pence: Mapped[int] = mapped_column(Integer)
    net_pence: Mapped[int] = mapped_column(Integer)
    vat_rate_basis_points: Mapped[int] = mapped_column(Integer)
    vat_pence: Mapped[int] = mapped_column(Integer)
    total_pence: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    # The personalised copy, stamped at the first download and kept (a storage key).
    stamped_file_key: Mapped[str | None] = mapped_column(String(200))
    # Downloads are counted from here on (an administrator may reset the count).
    downloads_counted_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the line is refunded (every copy of it): it loses access at once.
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Copies refunded or credited so far (a printed line may be refunded a few copies at a time).
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Copies at the subscriber price given back before they were posted (refunded, or closed by
    # a refund of everything paid): the organisation has them in its allowance again.
    free_copies_returned: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Printed copies posted: when, and the note or tracking number the administrator gave.
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatch_note: Mapped[str] = mapped_column(String(200), default="", server_default="")

    order: Mapped[Order] = relationship(back_populates="lines")
    report_format = relationship("ReportFormat")


class OrderEvent(db.Model):
    """One change of an order's state: from what, to what, by whom, when."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[OrderState | None] = mapped_column(string_enum(OrderState, "from_state", 30))
    to_state: Mapped[OrderState] = mapped_column(string_enum(OrderState, "to_state", 30))
    # None when the portal itself acted (e.g. on Stripe's word); the person otherwise.
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
