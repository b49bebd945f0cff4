"""The catalogue: reports and the formats each is sold in. Prices are data, in integer pence."""

import re
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.catalogue.isbn import hyphenated
from portal.clock import utcnow
from portal.db_types import UTCDateTime, string_enum
from portal.extensions import db
from portal.money import format_basis_points

# The kinds of format are defined with the pricing rules, so that order lines can share the
# enum without importing the catalogue; this module is where the rest of the portal finds it.
from portal.pricing import FormatKind

#: Printed copies of a format one order (and one address in a day) may take, unless an
#: administrator sets another number.
DEFAULT_MAX_COPIES_PER_ORDER = 20


#: Pages of a report's PDF offered free as its sample, unless an administrator sets another number.
DEFAULT_SAMPLE_PAGES = 5


#: Pages a report PDF may have unless an administrator sets another limit on its PDF format.
DEFAULT_PAGE_LIMIT = 2000


class ReportText:
    """How a report's summary, contents and ISBN read on a page (the model and its cached
    copy)."""

    summary: str
    contents: str
    page_count: int | None
    pdf_size_bytes: int | None
    sample_pages: int
    isbn: str | None

    @property
    def sample_length(self) -> str:
        """How much of the report its sample holds: "the first 5 pages" (all of them, when the
        PDF is shorter than the sample's length)."""
        pages = min(self.sample_pages, self.page_count or self.sample_pages)
        return "the first page" if pages == 1 else f"the first {pages} pages"

    @property
    def pdf_facts(self) -> str:
        """The PDF's length and size as the report page gives them: "48 pages, 1.2 MB" (""
        before a PDF is uploaded)."""
        facts = []
        if self.page_count:
            facts.append(f"{self.page_count:,} page{'' if self.page_count == 1 else 's'}")
        if self.pdf_size_bytes:
            facts.append(file_size(self.pdf_size_bytes))
        return ", ".join(facts)

    @property
    def isbn_printed(self) -> str:
        """The ISBN hyphenated as on the book (978-1-4028-9462-6); empty if it has none."""
        return hyphenated(self.isbn) if self.isbn else ""

    @property
    def contents_items(self) -> list[str]:
        return [line.strip() for line in self.contents.splitlines() if line.strip()]

    @property
    def summary_paragraphs(self) -> list[str]:
        return paragraphs(self.summary)


def file_size(size: int) -> str:
    """A file's size as people read it: "850 KB", "1.2 MB" (1 KB is 1,000 bytes, as file
    managers and browsers now count)."""
    if size < 1_000_000:
        return f"{max(1, round(size / 1000)):,} KB"
    return f"{size / 1_000_000:.1f} MB"


def paragraphs(text: str) -> list[str]:
    """The paragraphs of typed text: blank lines separate them, whatever line endings a browser
    sent (CRLF, CR or LF), and a blank line may hold spaces."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    return [p.strip() for p in re.split(r"\n[ \t]*\n", lines) if p.strip()]


class SaleTerms:
    """How a format's terms read on a page (the model and its cached copy)."""

    kind: "FormatKind"
    vat_rate_basis_points: int
    stock: int | None

    @property
    def vat_rate_percent(self) -> str:
        return format_basis_points(self.vat_rate_basis_points)

    @property
    def in_stock(self) -> bool:
        return self.kind is FormatKind.PDF or (self.stock or 0) > 0


#: What PostgreSQL's full-text search reads of a report: a tsvector of its title and authors
#: (weighted most), summary, then contents, which PostgreSQL keeps up to date itself (a stored
#: generated column, made with its GIN index ``ix_reports_search`` by the migration
#: ``0027_catalogue_search``). Alembic cannot compare either, so the models leave them out
#: (``db_types.MIGRATION_ONLY``).
SEARCH_DOCUMENT_COLUMN = "reports.search_document"

#: Which topics each report is filed under (a report has many, a topic many reports).
report_topics = Table(
    "report_topics",
    db.metadata,
    Column("report_id", ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Topic(db.Model):
    """A subject administrators file reports under ("Housing", "Digital services"), offered as
    a filter in the catalogue."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(90), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)

    def __repr__(self) -> str:
        return f"<Topic {self.slug!r}>"


class Report(ReportText, db.Model):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    series: Mapped[str] = mapped_column(String(200), default="")
    published_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    # One entry of the table of contents per line.
    contents: Mapped[str] = mapped_column(Text, default="")
    # The authors' names as the report credits them ("Priya Shah and Tom Evans").
    authors: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The ISBN-13, 13 digits without hyphens (checked when entered); None if it has none.
    isbn: Mapped[str | None] = mapped_column(String(13))
    # The edition line as printed ("Second edition, revised March 2025"); empty for a first.
    edition: Mapped[str] = mapped_column(String(200), default="", server_default="")
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    # Storage key of the report's PDF (never a path from user input); None until uploaded.
    pdf_file_key: Mapped[str | None] = mapped_column(String(200))
    # Storage key of the cover image (PNG or JPEG); None until uploaded.
    cover_image_key: Mapped[str | None] = mapped_column(String(200))
    # Pages the PDF has and its size in bytes, read from the file when it is stored.
    page_count: Mapped[int | None] = mapped_column(Integer)
    pdf_size_bytes: Mapped[int | None] = mapped_column(Integer)
    # The first pages offered free as a sample (1 to 50, as the report form allows), and the
    # storage key of the sample cut from the PDF (None when there is no PDF, or its pages could
    # not be cut).
    sample_pages: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_SAMPLE_PAGES, server_default=str(DEFAULT_SAMPLE_PAGES)
    )
    sample_file_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    formats: Mapped[list["ReportFormat"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportFormat.kind"
    )
    topics: Mapped[list[Topic]] = relationship(secondary=report_topics, order_by=Topic.name)

    @property
    def topic_names(self) -> str:
        """The report's topics as the audit log records them: "Housing, Digital services"."""
        return ", ".join(topic.name for topic in self.topics)

    def __repr__(self) -> str:
        return f"<Report {self.slug!r}>"


class ReportFormat(SaleTerms, db.Model):
    """A way a report is sold: a PDF download or a posted printed copy."""

    __tablename__ = "report_formats"
    __table_args__ = (
        UniqueConstraint("report_id", "kind"),
        CheckConstraint("price_pence >= 0", name="price_not_negative"),
        CheckConstraint("subscriber_price_pence >= 0", name="subscriber_price_not_negative"),
        CheckConstraint(
            "vat_rate_basis_points >= 0 AND vat_rate_basis_points <= 10000", name="vat_rate_range"
        ),
        CheckConstraint("free_copies_per_organisation >= 0", name="free_copies_not_negative"),
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint("postage_pence >= 0", name="postage_not_negative"),
        CheckConstraint("download_limit >= 0", name="download_limit_not_negative"),
        CheckConstraint("max_copies_per_order >= 1", name="max_copies_per_order_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FormatKind] = mapped_column(string_enum(FormatKind, "format_kind", 10))
    price_pence: Mapped[int] = mapped_column(Integer)
    subscriber_price_pence: Mapped[int] = mapped_column(Integer, default=0)
    # VAT rate in basis points: 0 is zero-rated, 2000 is 20%.
    vat_rate_basis_points: Mapped[int] = mapped_column(Integer, default=0)
    # Printed copies an Insight-subscribing organisation gets free, across all its members.
    free_copies_per_organisation: Mapped[int] = mapped_column(Integer, default=1)
    # Printed copies in stock (None for a PDF); never below zero.
    stock: Mapped[int | None] = mapped_column(Integer)
    postage_pence: Mapped[int] = mapped_column(Integer, default=0)
    # Downloads allowed per order line (PDF).
    download_limit: Mapped[int] = mapped_column(Integer, default=10)
    # Pages the report's uploaded PDF may have (PDF); a report with no PDF format has the default.
    page_limit: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_PAGE_LIMIT, server_default=str(DEFAULT_PAGE_LIMIT)
    )
    # Printed copies one order may take, and one email address across its orders of a London day.
    max_copies_per_order: Mapped[int] = mapped_column(
        Integer,
        default=DEFAULT_MAX_COPIES_PER_ORDER,
        server_default=str(DEFAULT_MAX_COPIES_PER_ORDER),
    )

    report: Mapped[Report] = relationship(back_populates="formats")
