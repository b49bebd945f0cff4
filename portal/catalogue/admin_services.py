"""Changing the catalogue: what administrators do to reports, formats and their files.

Every function here writes its audit entry in the same transaction as the change, flushes, and
leaves the commit to the request. A refused change raises ``CatalogueRefusal`` before anything is
written. Uploaded files are checked by what they contain, never by their name or stated type, and
are stored under keys the portal makes up.
"""

import re
import unicodedata
from dataclasses import asdict, dataclass, replace
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import audit
from portal.catalogue import topics
from portal.catalogue.models import (
    DEFAULT_MAX_COPIES_PER_ORDER,
    DEFAULT_PAGE_LIMIT,
    DEFAULT_SAMPLE_PAGES,
    FormatKind,
    Report,
    ReportFormat,
)
from portal.catalogue.services import SLUG
from portal.extensions import db
from portal.orders.models import OrderLine

REPORT_FIELDS = (
    "slug",
    "title",
    "series",
    "summary",
    "contents",
    "published_on",
    "is_published",
    "sample_pages",
    "authors",
    "isbn",
    "edition",
    "topic_names",
)
FORMAT_FIELDS = (
    "kind",
    "price_pence",
    "subscriber_price_pence",
    "vat_rate_basis_points",
    "free_copies_per_organisation",
    "stock",
    "postage_pence",
    "max_copies_per_order",
    "download_limit",
    "page_limit",
)


class CatalogueRefusal(ValueError):
    """A change that cannot be made; the message says why, in words for the administrator."""


class PublishingRefusal(CatalogueRefusal):
    """A report that cannot be published as it stands (``publishing_problem`` says why)."""


@dataclass(frozen=True)
class ReportDetails:
    title: str
    slug: str
    series: str
    summary: str
    contents: str
    published_on: date
    is_published: bool
    sample_pages: int = DEFAULT_SAMPLE_PAGES
    authors: str = ""
    isbn: str | None = None  # 13 digits, checked by the form (``catalogue.isbn``)
    edition: str = ""
    topic_ids: tuple[int, ...] = ()

    def columns(self) -> dict:
        """The report's own columns (its topics are rows of their own)."""
        return {k: v for k, v in asdict(self).items() if k != "topic_ids"}


@dataclass(frozen=True)
class FormatDetails:
    """A format's prices (pence), VAT (basis points) and the settings for its kind."""

    price_pence: int
    subscriber_price_pence: int
    vat_rate_basis_points: int
    free_copies_per_organisation: int = 1
    stock: int | None = None
    postage_pence: int = 0
    download_limit: int = 10
    page_limit: int = DEFAULT_PAGE_LIMIT
    max_copies_per_order: int = DEFAULT_MAX_COPIES_PER_ORDER


def all_reports() -> list[Report]:
    """Every report, published or not, newest first, with formats loaded."""
    return list(
        db.session.scalars(
            select(Report)
            .options(selectinload(Report.formats))
            .order_by(Report.published_on.desc(), Report.title)
        )
    )


def report_by_slug(slug: str) -> Report | None:
    """Any report (published or not) with this slug, or None."""
    if not SLUG.fullmatch(slug or "") or len(slug) > 120:
        return None
    return db.session.scalar(
        select(Report).where(Report.slug == slug).options(selectinload(Report.formats))
    )


def format_of(report: Report, kind: str) -> ReportFormat | None:
    return next((f for f in report.formats if f.kind.value == kind), None)


#: Slugs that would hide an administration page (/admin/reports/new).
RESERVED_SLUGS = frozenset({"new"})


def _slug_taken(slug: str, report_id: int | None) -> bool:
    if slug in RESERVED_SLUGS:
        return True
    query = select(Report.id).where(Report.slug == slug)
    if report_id is not None:
        query = query.where(Report.id != report_id)
    return db.session.scalar(query) is not None


def _flush_unique_slug(slug: str) -> None:
    """Flush in a savepoint so that two administrators racing for one slug get a message,
    not an error: the unique constraint decides and the loser's change is undone."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise CatalogueRefusal(f"Another report already uses the web address name {slug}") from None


def slug_from_title(title: str) -> str:
    """A web address name made from a title: "Modern public services: Łódź & you" →
    "modern-public-services-lodz-you" (accents dropped, at most 120 characters)."""
    ascii_title = unicodedata.normalize("NFKD", title.replace("ł", "l").replace("Ł", "L"))
    words = re.findall(r"[a-z0-9]+", ascii_title.encode("ascii", "ignore").decode().lower())
    slug = "-".join(words)[:120].strip("-")
    return slug or "report"


def _with_slug(details: ReportDetails, report_id: int | None) -> ReportDetails:
    """The details with a web address name: the one typed, or one made from the title (with
    "-2", "-3"… when another report has it already)."""
    if details.slug:
        return details
    base = slug_from_title(details.title)
    slug, number = base, 1
    while _slug_taken(slug, report_id):
        number += 1
        suffix = f"-{number}"
        slug = base[: 120 - len(suffix)].rstrip("-") + suffix
    return replace(details, slug=slug)


def publishing_problem(report: Report) -> str | None:
    """Why this report cannot be shown in the catalogue (None when it can): a public page must
    have something to buy, and a PDF that can be sold must have its file."""
    if not report.formats:
        return (
            "A report with no formats cannot be published: there would be nothing to buy. "
            "Add a PDF or printed format first, then publish it"
        )
    if format_of(report, FormatKind.PDF.value) is not None and not report.pdf_file_key:
        return (
            "A report sold as a PDF cannot be published before its PDF is uploaded. "
            "Upload the PDF first, then publish it"
        )
    return None


def create_report(actor, details: ReportDetails) -> Report:
    """Add a report (with no formats yet, so unpublished); refused if the slug is taken or if
    it is to be published (there is nothing to buy yet). With no slug, one is made from the
    title."""
    if details.is_published:
        raise PublishingRefusal(publishing_problem(Report(formats=[])))
    details = _with_slug(details, None)
    if _slug_taken(details.slug, None):
        raise CatalogueRefusal(f"Another report already uses the web address name {details.slug}")
    report = Report(**details.columns(), topics=topics.by_ids(details.topic_ids))
    db.session.add(report)
    _flush_unique_slug(details.slug)
    audit.record(
        actor, "report.create", "report", report.slug, after=audit.snapshot(report, *REPORT_FIELDS)
    )
    return report


def update_report(actor, report: Report, details: ReportDetails) -> Report:
    """Change a report's details; a new slug must not be another report's (with no slug, one
    is made from the title), and publishing needs what ``publishing_problem`` asks for."""
    if details.is_published and (problem := publishing_problem(report)):
        raise PublishingRefusal(problem)
    if details.sample_pages != report.sample_pages:
        report.sample_file_key = None  # cut again with the new number of pages
    details = _with_slug(details, report.id)
    if _slug_taken(details.slug, report.id):
        raise CatalogueRefusal(f"Another report already uses the web address name {details.slug}")
    before = audit.snapshot(report, *REPORT_FIELDS)
    for name, value in details.columns().items():
        setattr(report, name, value)
    report.topics = topics.by_ids(details.topic_ids)
    _flush_unique_slug(details.slug)
    after = audit.snapshot(report, *REPORT_FIELDS)
    changed = [name for name in REPORT_FIELDS if before[name] != after[name]]
    audit.record(
        actor,
        "report.update",
        "report",
        report.slug,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return report


def _apply_format(report_format: ReportFormat, details: FormatDetails) -> None:
    report_format.price_pence = details.price_pence
    report_format.subscriber_price_pence = details.subscriber_price_pence
    report_format.vat_rate_basis_points = details.vat_rate_basis_points
    if report_format.kind is FormatKind.PRINT:
        if details.stock is None or details.stock < 0:
            raise CatalogueRefusal("Copies in stock cannot be below zero")
        report_format.free_copies_per_organisation = details.free_copies_per_organisation
        report_format.stock = details.stock
        report_format.postage_pence = details.postage_pence
        if details.max_copies_per_order < 1:
            raise CatalogueRefusal("Most printed copies per order must be 1 or more")
        report_format.max_copies_per_order = details.max_copies_per_order
    else:
        if details.download_limit < 1:
            raise CatalogueRefusal("Downloads allowed must be 1 or more")
        if details.page_limit < 1:
            raise CatalogueRefusal("Pages allowed must be 1 or more")
        report_format.download_limit = details.download_limit
        report_format.page_limit = details.page_limit
        report_format.stock = None


def add_format(actor, report: Report, kind: FormatKind, details: FormatDetails) -> ReportFormat:
    """Add a PDF or print format; a report has at most one of each."""
    if format_of(report, kind.value) is not None:
        raise CatalogueRefusal(f"This report already has a {kind.label.lower()} format")
    report_format = ReportFormat(kind=kind, postage_pence=0, free_copies_per_organisation=1)
    _apply_format(report_format, details)
    report.formats.append(report_format)
    db.session.flush()
    audit.record(
        actor,
        "format.create",
        "report",
        report.slug,
        after=audit.snapshot(report_format, *FORMAT_FIELDS),
    )
    return report_format


def update_format(actor, report_format: ReportFormat, details: FormatDetails) -> ReportFormat:
    """Change a format's prices and settings (orders already placed keep their prices)."""
    before = audit.snapshot(report_format, *FORMAT_FIELDS)
    _apply_format(report_format, details)
    db.session.flush()
    audit.record(
        actor,
        "format.update",
        "report",
        report_format.report.slug,
        before=before,
        after=audit.snapshot(report_format, *FORMAT_FIELDS),
    )
    return report_format


def remove_format(actor, report_format: ReportFormat) -> None:
    """Remove a format that no order line uses (orders keep pointing at what they bought)."""
    used = db.session.scalar(select(exists().where(OrderLine.report_format_id == report_format.id)))
    if used:
        raise CatalogueRefusal(
            f"The {report_format.kind.label.lower()} format has been ordered, so it cannot be "
            "removed. Unpublish the report instead, or leave the format in place."
        )
    report = report_format.report
    if report.is_published and len(report.formats) == 1:
        raise CatalogueRefusal(
            f"The {report_format.kind.label.lower()} format is the only one of a published "
            "report, whose page would then have nothing to buy. Unpublish the report first, "
            "or add another format"
        )
    before = audit.snapshot(report_format, *FORMAT_FIELDS)
    report.formats.remove(report_format)
    db.session.flush()
    audit.record(actor, "format.remove", "report", report.slug, before=before)
