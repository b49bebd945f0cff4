"""Finding reports in the catalogue: words searched, filters, sort and pages, all from the URL.

The database answers only the words: which published reports match, best first (PostgreSQL's
full-text search over the weighted document kept in ``models.SEARCH_DOCUMENT_COLUMN``, served
by its GIN index; SQLite's FTS5 table ``report_search``, ranked by bm25). Filters, sorting and
the page are applied to the cached catalogue (``cache.published_reports``), so a search costs
one statement and browsing costs none.

Whatever is typed is treated as plain words: quotes, operators and punctuation separate words and
mean nothing else, control characters are dropped, and only the first ``MAX_WORDS`` words count.
A filter value the catalogue does not have is ignored, and a page past the end shows the last.
"""

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import func, literal_column, select, text

from portal.catalogue import cache
from portal.catalogue.cache import ReportListing
from portal.catalogue.models import SEARCH_DOCUMENT_COLUMN, Report
from portal.extensions import db

#: Reports shown on one page of the catalogue.
PER_PAGE = 20
#: Words of a search that count; the rest are ignored (a search is a few words, not an essay).
MAX_WORDS = 12
#: Letters of one word that count (no word in the catalogue is longer).
MAX_WORD_LENGTH = 40
#: Characters of the search kept to show it back in the search box.
MAX_SHOWN = 200
#: The ways the catalogue can be ordered, as the sort menu names them. Relevance only with words.
SORTS = {"relevance": "Best match", "newest": "Newest first", "title": "Title A to Z"}

_WORD = re.compile(r"[^\W_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def search_words(typed: str) -> list[str]:
    """The plain words of ``typed``, lower-cased: letters and digits, nothing else."""
    words = _WORD.findall(_CONTROL.sub(" ", typed or "").lower())
    return [word[:MAX_WORD_LENGTH] for word in words[:MAX_WORDS]]


@dataclass(frozen=True)
class Choices:
    """What the catalogue's filters offer: only values some published report has."""

    series: tuple[str, ...]
    topics: tuple[tuple[str, str], ...]  # (slug, name), by name
    years: tuple[int, ...]  # newest first

    @classmethod
    def of(cls, listings: Sequence[ReportListing]) -> "Choices":
        topics = {topic.slug: topic.name for r in listings for topic in r.topics}
        return cls(
            series=tuple(sorted({r.series for r in listings if r.series}, key=str.casefold)),
            topics=tuple(sorted(topics.items(), key=lambda item: item[1].casefold())),
            years=tuple(sorted({r.published_on.year for r in listings}, reverse=True)),
        )

    @property
    def series_options(self) -> list[tuple[str, str]]:
        return [(series, series) for series in self.series]

    @property
    def year_options(self) -> list[tuple[str, str]]:
        return [(str(year), str(year)) for year in self.years]


@dataclass(frozen=True)
class CatalogueQuery:
    """One look at the catalogue, as its URL asks for it (``?q=…&series=…&topic=…&year=…&
    sort=…&page=…``), with anything the catalogue cannot answer left out."""

    typed: str = ""
    series: str = ""
    topic: str = ""
    year: int | None = None
    sort: str = "newest"
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str], choices: Choices) -> "CatalogueQuery":
        typed = " ".join(_CONTROL.sub(" ", args.get("q", "")).split())[:MAX_SHOWN]
        words = search_words(typed)
        series = args.get("series", "")
        topic = args.get("topic", "")
        year = _whole(args.get("year", ""))
        sort = args.get("sort", "")
        if sort not in SORTS or (sort == "relevance" and not words):
            sort = "relevance" if words else "newest"
        return cls(
            typed=typed if words else "",
            series=series if series in choices.series else "",
            topic=topic if topic in dict(choices.topics) else "",
            year=year if year in choices.years else None,
            sort=sort,
            page=max(_whole(args.get("page", "")) or 1, 1),
        )

    @property
    def words(self) -> list[str]:
        return search_words(self.typed)

    @property
    def is_filtered(self) -> bool:
        return bool(self.words or self.series or self.topic or self.year)

    def url_args(self, **changes) -> dict[str, str | int]:
        """The URL's query arguments for this look (with ``changes``), defaults left out."""
        query = replace(self, **changes)
        default_sort = "relevance" if query.words else "newest"
        args = {
            "q": query.typed,
            "series": query.series,
            "topic": query.topic,
            "year": query.year or "",
            "sort": "" if query.sort == default_sort else query.sort,
            "page": "" if query.page == 1 else query.page,
        }
        return {name: value for name, value in args.items() if value}

    @property
    def key(self) -> str:
        """Names this look, for keeping its page."""
        return "&".join(f"{name}={value}" for name, value in sorted(self.url_args().items()))


@dataclass(frozen=True)
class CataloguePage:
    """One page of what a look at the catalogue found."""

    reports: tuple[ReportListing, ...]
    total: int
    page: int
    pages: int

    @property
    def first_number(self) -> int:
        return (self.page - 1) * PER_PAGE + 1 if self.total else 0

    @property
    def last_number(self) -> int:
        return self.first_number + len(self.reports) - 1 if self.total else 0

    @property
    def page_numbers(self) -> list[int | None]:
        """The pages to link to: the first, the last and two either side of this one, None
        where pages are left out."""
        shown = [
            n for n in range(1, self.pages + 1) if n in (1, self.pages) or abs(n - self.page) <= 2
        ]
        numbers: list[int | None] = []
        for number in shown:
            if numbers and number - (numbers[-1] or 0) > 1:
                numbers.append(None)
            numbers.append(number)
        return numbers


def catalogue_choices() -> Choices:
    """The filters the published reports offer (worked out once per catalogue)."""
    return cache.derived("choices", Choices.of)


def find_reports(query: CatalogueQuery, listings: Sequence[ReportListing]) -> CataloguePage:
    """The page of published reports ``query`` asks for, from ``listings`` (the cached
    catalogue, newest first): those matching its words (best first unless another order is
    asked for) in its series, topic and year. A page past the end is the last page."""
    found = list(listings)
    if query.words:
        by_id = cache.derived("by_id", lambda reports: {report.id: report for report in reports})
        found = [by_id[i] for i in matching_report_ids(query.words) if i in by_id]
    if query.series:
        found = [r for r in found if r.series == query.series]
    if query.topic:
        found = [r for r in found if any(t.slug == query.topic for t in r.topics)]
    if query.year:
        found = [r for r in found if r.published_on.year == query.year]
    if query.sort == "title":
        found.sort(key=lambda r: (r.title.casefold(), r.id))
    elif query.sort == "newest":
        found.sort(key=lambda r: r.published_on, reverse=True)
    pages = max(math.ceil(len(found) / PER_PAGE), 1)
    page = min(query.page, pages)
    start = (page - 1) * PER_PAGE
    return CataloguePage(tuple(found[start : start + PER_PAGE]), len(found), page, pages)


def matching_report_ids(words: Sequence[str]) -> list[int]:
    """Ids of the published reports whose title, authors, summary or contents have every one of
    ``words`` (plain words, from ``search_words``), best match first."""
    if not words:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        return _postgresql_matches(words)
    return _sqlite_matches(words)


def _postgresql_matches(words: Sequence[str]) -> list[int]:
    document = literal_column(SEARCH_DOCUMENT_COLUMN)
    # plainto_tsquery reads its text as plain words joined by AND, whatever it holds.
    wanted = func.plainto_tsquery(literal_column("'english'"), " ".join(words))
    return list(
        db.session.scalars(
            select(Report.id)
            .where(Report.is_published.is_(True), document.bool_op("@@")(wanted))
            .order_by(
                func.ts_rank(document, wanted).desc(), Report.published_on.desc(), Report.title
            )
        )
    )


#: bm25 weights of the FTS5 columns (title, authors, summary, contents), as PostgreSQL's
#: weights A, A, B and C rank them.
_SQLITE_SEARCH = text(
    "SELECT reports.id FROM report_search JOIN reports ON reports.id = report_search.rowid "
    "WHERE report_search MATCH :match AND reports.is_published "
    "ORDER BY bm25(report_search, 10.0, 10.0, 4.0, 1.0), reports.published_on DESC, reports.title"
)


def _sqlite_matches(words: Sequence[str]) -> list[int]:
    # Each word quoted (words hold letters and digits only): FTS5 reads them as plain terms, all
    # of which must be present, never as its query syntax (AND, NEAR, column filters, *).
    match = " ".join(f'"{word}"' for word in words)
    return list(db.session.scalars(_SQLITE_SEARCH, {"match": match}))


def _whole(text: str) -> int | None:
    """A whole number typed in the URL, at most a billion (more is past any end), or None."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) <= 9 else 1_000_000_000
