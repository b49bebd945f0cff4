"""The public catalogue, cached: published reports and their formats as plain data.

The catalogue changes a few times a month and is read on nearly every page, so each process keeps
a copy (frozen dataclasses, never ORM objects) and reads the database again only when the
catalogue has changed (``portal.kept_copies``: a generation token, replaced by any commit that
changed a report, a format or a topic; entries expire after ``CATALOGUE_CACHE_SECONDS``, 60 by
default, 0 turns the cache off). Printed stock and the free copies an organisation has had are
*not* in it: they decide what someone may order (see ``portal.catalogue.kept_stock`` and
``portal.orders.services.quotes_and_stock``).
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TypeVar

from flask import Flask, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.catalogue.models import (
    FormatKind,
    Report,
    ReportFormat,
    ReportText,
    SaleTerms,
    Topic,
)
from portal.catalogue.services import SLUG
from portal.extensions import db
from portal.kept_copies import KeptCopies
from portal.operations.security import drawn_for_reuse, reused, sees_shared_pages

REDIS_KEY = "portal:catalogue:generation"
T = TypeVar("T")


@dataclass(frozen=True)
class FormatListing(SaleTerms):
    """A format as the public pages show it. ``stock`` is None in the cache: the report page
    fills it in from the database (``with_stock``)."""

    id: int
    report_id: int
    kind: FormatKind
    price_pence: int
    subscriber_price_pence: int
    vat_rate_basis_points: int
    free_copies_per_organisation: int
    postage_pence: int
    stock: int | None = None

    def with_stock(self, stock: int | None) -> "FormatListing":
        return replace(self, stock=stock)


@dataclass(frozen=True)
class TopicListing:
    """A topic a report is filed under, as the catalogue's filter and pages name it."""

    slug: str
    name: str


@dataclass(frozen=True)
class ReportListing(ReportText):
    """A published report as the public pages show it, with its formats (PDF first)."""

    id: int
    slug: str
    title: str
    series: str
    published_on: date
    summary: str
    contents: str
    authors: str
    isbn: str | None
    edition: str
    topics: tuple[TopicListing, ...]
    formats: tuple[FormatListing, ...]
    cover_image_key: str | None = None
    sample_file_key: str | None = None
    sample_pages: int = 0
    page_count: int | None = None
    pdf_size_bytes: int | None = None


def _listing(report: Report) -> ReportListing:
    return ReportListing(
        id=report.id,
        slug=report.slug,
        title=report.title,
        series=report.series,
        published_on=report.published_on,
        summary=report.summary,
        contents=report.contents,
        authors=report.authors,
        isbn=report.isbn,
        edition=report.edition,
        topics=tuple(TopicListing(slug=t.slug, name=t.name) for t in report.topics),
        formats=tuple(
            FormatListing(
                id=f.id,
                report_id=f.report_id,
                kind=f.kind,
                price_pence=f.price_pence,
                subscriber_price_pence=f.subscriber_price_pence,
                vat_rate_basis_points=f.vat_rate_basis_points,
                free_copies_per_organisation=f.free_copies_per_organisation,
                postage_pence=f.postage_pence,
            )
            for f in report.formats
        ),
        cover_image_key=report.cover_image_key,
        sample_file_key=report.sample_file_key,
        sample_pages=report.sample_pages,
        page_count=report.page_count,
        pdf_size_bytes=report.pdf_size_bytes,
    )


def _published() -> list[ReportListing]:
    reports = db.session.scalars(
        select(Report)
        .where(Report.is_published.is_(True))
        .options(selectinload(Report.formats), selectinload(Report.topics))
        .order_by(Report.published_on.desc(), Report.title)
    )
    return [_listing(report) for report in reports]


def published_reports() -> list[ReportListing]:
    """Published reports, newest first, with their formats (prices; no stock)."""
    return list(_cache().get("reports", _published))


def report_titles() -> list[tuple[int, str]]:
    """Every report, published or not, as (id, title) in title order (the administrators' report
    filter), kept with the catalogue and replaced with it."""
    return _cache().get("report-titles", _report_titles)


def _report_titles() -> list[tuple[int, str]]:
    rows = db.session.execute(select(Report.id, Report.title).order_by(Report.title))
    return [(report_id, title) for report_id, title in rows]


def derived(name: str, make: Callable[[list[ReportListing]], T]) -> T:
    """What ``make`` works out from the published reports (the filters they offer, reports by
    id), kept with the catalogue and replaced with it."""
    reports = _cache().get("reports", _published)
    made_from, value = _cache().get(f"derived:{name}", lambda: (reports, make(reports)))
    # Kept from another reading of the catalogue (an edit came in between): made afresh.
    return value if made_from is reports else make(reports)


def page(
    name: str, draw: Callable[[], str], kept_at_most: int | None = None, kind: str = "public"
) -> str:
    """The page ``name`` as ``draw`` makes it, kept with the catalogue it shows (replaced with it,
    and as old at most). Only for a page that is the same for every visitor it is served to.
    With ``kept_at_most``, no more than that many pages of this ``kind`` are kept at once (others
    are drawn each time until the oldest expire)."""
    limit = None if kept_at_most is None else (f"page:{kind}:", kept_at_most)
    return _cache().get(f"page:{kind}:{name}:{request.script_root}", draw, limit=limit)


def page_for_visitor(name: str, draw: Callable[[], str]) -> str:
    """``draw()`` for someone whose page is their own (signed in, a basket, a message flashed to
    them). Any other visitor, a form token from an earlier page or not, sees what every such
    visitor sees: the page kept as ``name`` with the catalogue, drawn once, with their own nonce
    and form token."""
    if not sees_shared_pages():
        return draw()
    return reused(page(name, lambda: drawn_for_reuse(draw)))


def published_report(slug: str) -> ReportListing | None:
    """The published report with this slug, or None. Only reports that exist are kept, so
    made-up addresses cannot fill the cache."""
    if not SLUG.fullmatch(slug):
        return None
    return derived("by-slug", lambda reports: {r.slug: r for r in reports}).get(slug)


#: Execution option of a bulk statement that only moves printed stock, which the catalogue does
#: not hold (placing and cancelling orders): it need not empty every process's copy of it.
STOCK_ONLY = {"catalogue_stock_only": True}

_catalogue = KeptCopies(
    "catalogue_cache",
    (Report, ReportFormat, Topic),
    REDIS_KEY,
    "catalogue-generation",
    "CATALOGUE_CACHE_SECONDS",
    skip_option="catalogue_stock_only",
)
init_app = _catalogue.init_app
_cache = _catalogue.cache


def catalogue_changed(app: Flask | None = None) -> None:
    """Drop every process's copy of the catalogue now."""
    _catalogue.changed(app)
