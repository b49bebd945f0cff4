"""Issued documents: VAT invoices, receipts and credit notes. Once issued, a document never
changes; a correction is a new credit note."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.db_types import UTCDateTime, string_enum
from portal.extensions import db


class DocumentKind(enum.StrEnum):
    INVOICE = "invoice"
    RECEIPT = "receipt"
    CREDIT_NOTE = "credit_note"

    @property
    def label(self) -> str:
        return {"invoice": "VAT invoice", "receipt": "Receipt", "credit_note": "Credit note"}[
            self.value
        ]

    @property
    def prefix(self) -> str:
        return {"invoice": "INV", "receipt": "RCT", "credit_note": "CRN"}[self.value]


class DocumentSequence(db.Model):
    """The next number of one kind of document. Taking a number updates this row, so concurrent
    transactions queue on its lock, and a rolled-back transaction gives its number back: no two
    documents share a number and none is skipped."""

    __tablename__ = "document_sequences"

    kind: Mapped[DocumentKind] = mapped_column(
        string_enum(DocumentKind, "sequence_kind", 20), primary_key=True
    )
    next_number: Mapped[int] = mapped_column(Integer, default=1)


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("kind", "sequence_number"),
        CheckConstraint(
            "net_pence IS NOT NULL AND vat_pence IS NOT NULL"
            " AND net_pence + vat_pence = total_pence",
            name="amounts_add_up",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(string_enum(DocumentKind, "document_kind", 20))
    sequence_number: Mapped[int] = mapped_column(Integer)
    # As printed on the document: INV-000123.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)  # Europe/London
    # The figures printed on it, fixed when issued (a credit note's are negative); net and VAT
    # are held present by the check above (added to documents already issued, not as NOT NULL).
    net_pence: Mapped[int] = mapped_column(Integer, nullable=True)  # postage included
    vat_pence: Mapped[int] = mapped_column(Integer, nullable=True)
    total_pence: Mapped[int] = mapped_column(Integer)
    # The document a credit note corrects.
    credits_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # The rendered PDF, kept exactly as issued.
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order = relationship("Order")

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"


class DocumentCopy(db.Model):
    """A copy of an issued document drawn again with something added since (a purchase-order
    number), marked as a copy. The document itself never changes."""

    __tablename__ = "document_copies"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="RESTRICT"), index=True
    )
    made_on: Mapped[date] = mapped_column(Date)  # Europe/London
    # Printed on the copy, e.g. "Copy - PO number added on 4 December 2026".
    marking: Mapped[str] = mapped_column(String(200))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship()

    @property
    def name(self) -> str:
        """How the copy is named in its address and file name: ``INV-000123-copy-4``."""
        return f"{self.document.number}-copy-{self.id}"

    @property
    def filename(self) -> str:
        return f"{self.name}.pdf"
