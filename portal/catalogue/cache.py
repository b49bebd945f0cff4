"""The public catalogue, cached: published reports and their formats as plain data.

The catalogue changes a few times a month and is read on nearly every page, so each process keeps
a copy (frozen dataclasses, never ORM objects) and reads the database again only when the
catalogue has changed. Printed stock and the free copies an organisation has had are *not* in it:
they decide what someone may order, so the report page reads them live (see
``portal.orders.services.quotes_and_stock``).

How every process learns of a change: a *generation* token, replaced whenever a commit changed a
report or a format (caught from the session's flushes and bulk statements, so every path that
writes through the ORM counts, the admin's edits included). The token lives in Redis when
``REDIS_URL`` is set (shared by every app server), otherwise in a small file in the instance
folder (shared by the workers of one machine). A process that finds a token it has not seen drops
its copy. Entries also expire after ``CATALOGUE_CACHE_SECONDS`` (60 by default; 0 turns the cache
off), a backstop for changes made outside the ORM (plain SQL in a console).

Reading the token is a round trip to Redis (or a file read) on every page, about a fifth of the
catalogue list's time; so a process asks again at most every ``CATALOGUE_CHECK_SECONDS`` (1 by
default; 0 asks on every read). Another process's edit shows here within that second; the process
that made the edit drops its own copy at once.

A reader takes the token *before* reading the database, so a copy read just before an edit is
filed under the old token, which nobody asks for again once the edit's new token is out.
"""

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from itertools import chain
from pathlib import Path
from typing import TypeVar

from flask import Flask, current_app, has_app_context, request
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from portal.catalogue.models import (
    FormatKind,
    Report,
    ReportFormat,
    ReportText,
    SaleTerms,
    Topic,
)
from portal.catalogue.services import SLUG
from portal.extensions import after_commit, after_commit_pending, db
from portal.operations.security import drawn_for_reuse, reused, sees_shared_pages

log = logging.getLogger(__name__)

REDIS_KEY = "portal:catalogue:generation"
T = TypeVar("T")
#: How long a thread waits for another's reading of a key before reading it itself.
READ_WAIT_SECONDS = 10.0


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


# ---------------------------------------------------------------------------------------------
# Where the generation token lives


class RedisGeneration:
    """The token in Redis (at ``key``), shared by every app server."""

    def __init__(self, url: str, key: str = REDIS_KEY):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._key = key

    def current(self) -> str:
        token = self._redis.get(self._key)
        if token is None:  # first use, or Redis lost its data: start a token nobody has seen
            self._redis.set(self._key, uuid.uuid4().hex, nx=True)
            token = self._redis.get(self._key)
        return token.decode() if isinstance(token, bytes) else str(token)

    def replace(self) -> None:
        self._redis.set(self._key, uuid.uuid4().hex)


class FileGeneration:
    """The token in a file, shared by the processes of one machine (no Redis)."""

    def __init__(self, path: Path):
        self._path = path

    def current(self) -> str:
        try:
            return self._path.read_text()
        except FileNotFoundError:
            self.replace()
            return self._path.read_text()

    def replace(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fresh = self._path.with_name(f"{self._path.name}.{uuid.uuid4().hex}")
        fresh.write_text(uuid.uuid4().hex)
        os.replace(fresh, self._path)  # atomic: readers see the old token or the new one


class CatalogueCache:
    """This process's copy of the catalogue, valid for one generation token at a time."""

    def __init__(
        self,
        generation: RedisGeneration | FileGeneration,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        check_every: float = 0,
        pending: Callable[[], bool] | None = None,
    ):
        self.generation = generation
        # Whether this session's own change waits for its commit (then the database is read).
        self._pending = pending or (lambda: False)
        self.seconds = seconds
        self.check_every = check_every
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._checked_at: float | None = None  # when the token was last read (clock seconds)
        self._entries: dict[str, tuple[float, object]] = {}
        # Keys being read afresh, by (generation, key): one thread reads, the others wait or
        # serve the copy that has only grown old (see ``get``).
        self._reading: dict[tuple[str, str], threading.Event] = {}

    def _current_token(self, now: float) -> str:
        """The generation token: read again when the last reading is ``check_every`` old."""
        with self._lock:
            checked_at, token = self._checked_at, self._token
        if token is not None and checked_at is not None and now - checked_at < self.check_every:
            return token
        token = self.generation.current()
        with self._lock:
            self._checked_at = now
        return token

    def get(self, key: str, load: Callable[[], T], limit: tuple[str, int] | None = None) -> T:
        """The cached value of ``key``, or ``load()`` (kept for the current generation; with
        ``limit`` = (prefix, most), not kept when ``most`` entries with that prefix already are).

        One thread at a time reads a key afresh. When a copy has only grown old (the same
        generation, past ``seconds``), the others go on serving it meanwhile; when there is no
        copy for this generation (first use, or an edit replaced the token), they wait for that
        one reading rather than each making their own: every thread of a busy worker reading the
        whole catalogue at once, the moment it expires, stalled the worker for most of a second.
        """
        if self.seconds <= 0 or self._pending():
            return load()  # off, or this transaction's own uncommitted edits must show
        now = self._clock()
        try:
            token = self._current_token(now)
        except Exception:  # Redis unreachable: the database still answers
            log.warning("catalogue cache: generation unavailable; reading the database")
            return load()
        with self._lock:
            if token != self._token:
                self._token, self._entries = token, {}
            found = self._entries.get(key)
            if found is not None and now - found[0] < self.seconds:
                return found[1]  # type: ignore[return-value]
            reading = self._reading.get((token, key))
            if reading is None:
                reading = self._reading[(token, key)] = threading.Event()
                mine = True
            else:
                mine = False
        if not mine:
            if found is not None:
                return found[1]  # type: ignore[return-value]
            reading.wait(READ_WAIT_SECONDS)
            with self._lock:
                found = self._entries.get(key) if token == self._token else None
            # Kept by the reader waited for; or it failed, or an edit came in between.
            return found[1] if found is not None else load()  # type: ignore[return-value]
        try:
            value = load()
            with self._lock:
                if token == self._token:  # a newer generation arrived meanwhile: keep nothing
                    self._entries = {  # out-of-date entries go, so pages kept per day and per
                        k: entry  # stock level do not pile up
                        for k, entry in self._entries.items()
                        if now - entry[0] < self.seconds
                    }
                    if limit is None or _count(self._entries, limit[0]) < limit[1]:
                        self._entries[key] = (now, value)
        finally:
            with self._lock:
                self._reading.pop((token, key), None)
            reading.set()
        return value

    def changed(self) -> None:
        """Tell every process the catalogue changed (after the commit)."""
        with self._lock:
            self._token, self._checked_at, self._entries = None, None, {}
        try:
            self.generation.replace()
        except Exception:
            log.exception("catalogue cache: could not announce a change; entries expire by age")


def _count(entries: dict[str, object], prefix: str) -> int:
    return sum(1 for key in entries if key.startswith(prefix))


class KeptCopies:
    """What each process keeps of some tables (a ``CatalogueCache`` in ``app.extensions[name]``),
    and how every process learns that a commit changed them: any flush or bulk statement that
    writes one of ``models`` asks for the announcement after the commit (until then the session
    that wrote reads the database); the announcement replaces the generation token, at
    ``redis_key`` in Redis or in the instance folder's ``file_name``. ``seconds_setting`` names
    the setting that bounds a copy's age; a bulk statement run with the execution option
    ``skip_option`` changes nothing kept here."""

    def __init__(
        self,
        name: str,
        models: tuple[type, ...],
        redis_key: str,
        file_name: str,
        seconds_setting: str,
        skip_option: str | None = None,
    ):
        self.name, self.models, self.skip_option = name, models, skip_option
        self.redis_key, self.file_name, self.seconds_setting = redis_key, file_name, seconds_setting
        # Listened to once per process, whatever the number of apps made (tests make many).
        event.listen(Session, "after_flush", self._note_flushed_changes)
        event.listen(Session, "do_orm_execute", self._note_bulk_changes)

    def init_app(self, app: Flask) -> None:
        if app.config.get("REDIS_URL"):
            generation = RedisGeneration(app.config["REDIS_URL"], self.redis_key)
        else:
            generation = FileGeneration(Path(app.instance_path) / self.file_name)
        app.extensions[self.name] = CatalogueCache(
            generation,
            float(app.config.get(self.seconds_setting, 60)),
            check_every=float(app.config.get("CATALOGUE_CHECK_SECONDS", 1)),
            pending=lambda: after_commit_pending(self._announce_change),
        )

    def cache(self) -> CatalogueCache:
        return current_app.extensions[self.name]

    def changed(self, app: Flask | None = None) -> None:
        """Drop every process's copy now (the session hooks call this after a commit)."""
        (app or current_app).extensions[self.name].changed()

    def _note_flushed_changes(self, session: Session, flush_context) -> None:
        touched = chain(session.new, session.dirty, session.deleted)
        if any(isinstance(obj, self.models) for obj in touched):
            after_commit(self._announce_change, session=session)

    def _note_bulk_changes(self, state) -> None:
        if self.skip_option and state.execution_options.get(self.skip_option):
            return
        if state.is_update or state.is_delete or state.is_insert:
            mapper = state.bind_mapper
            if mapper is not None and issubclass(mapper.class_, self.models):
                after_commit(self._announce_change, session=state.session)

    def _announce_change(self, _: list) -> None:
        if has_app_context() and self.name in current_app.extensions:
            self.changed()


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
