"""Printed stock as the report page shows it, kept by each process.

Every view of a report page showed whether its printed copies are in stock, read from the
database each time: for a visitor without a session that statement was the page's only one (the
page itself is kept whole), and the round trip, with the connection check before it, most of the
page's time. Each process now keeps the stock it read, by format, the way the catalogue is kept
(``portal.catalogue.cache``, whose machinery this uses with a token of its own):

- a commit that moves stock (an order taking copies or giving them back, an administrator
  setting it) replaces the *generation* token (in Redis when ``REDIS_URL`` is set, else in a
  file in the instance folder); the process that committed drops its copy at once, every other
  within ``CATALOGUE_CHECK_SECONDS`` (1 by default), when it next reads the token;
- a copy is kept at most ``STOCK_CACHE_SECONDS`` (60 by default; 0 turns this off), for changes
  made outside the ORM (plain SQL in a console).

Only what the report page *shows* comes from here. Putting copies in the basket, checkout and
every order read the stock afresh and take it with a guarded update, so a copy that has just
sold out is never sold from this.
"""

from collections.abc import Iterable
from itertools import chain
from pathlib import Path

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.catalogue.cache import CatalogueCache, FileGeneration, RedisGeneration
from portal.catalogue.models import ReportFormat
from portal.extensions import after_commit, after_commit_pending, db

REDIS_KEY = "portal:stock:generation"


def stock_now(format_ids: Iterable[int]) -> dict[int, int | None]:
    """Each format's printed copies in stock now (None: not counted), read from the database."""
    wanted = sorted(set(format_ids))
    if not wanted:
        return {}
    rows = db.session.execute(
        select(ReportFormat.id, ReportFormat.stock).where(ReportFormat.id.in_(wanted))
    )
    return dict(rows.all())


def kept_stock(format_ids: Iterable[int]) -> dict[int, int | None]:
    """``stock_now(format_ids)``, from this process's copy when it is current."""
    wanted = sorted(set(format_ids))
    key = "stock:" + ",".join(map(str, wanted))
    return _cache().get(key, lambda: stock_now(wanted))


def init_app(app: Flask) -> None:
    if app.config.get("REDIS_URL"):
        generation = RedisGeneration(app.config["REDIS_URL"], REDIS_KEY)
    else:
        generation = FileGeneration(Path(app.instance_path) / "stock-generation")
    app.extensions["stock_cache"] = CatalogueCache(
        generation,
        float(app.config.get("STOCK_CACHE_SECONDS", 60)),
        check_every=float(app.config.get("CATALOGUE_CHECK_SECONDS", 1)),
        pending=lambda: after_commit_pending(_announce_change),
    )
    if not event.contains(Session, "after_flush", _note_flushed_changes):
        event.listen(Session, "after_flush", _note_flushed_changes)
        event.listen(Session, "do_orm_execute", _note_bulk_changes)


def stock_changed(app: Flask | None = None) -> None:
    """Drop every process's copy now (the session hooks below call this after a commit)."""
    (app or current_app).extensions["stock_cache"].changed()


def _cache() -> CatalogueCache:
    return current_app.extensions["stock_cache"]


def _note_flushed_changes(session: Session, flush_context) -> None:
    touched = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, ReportFormat) for obj in touched):
        after_commit(_announce_change, session=session)


def _note_bulk_changes(state) -> None:
    # Orders take and give back copies with bulk updates (portal.orders.stock).
    if state.is_update or state.is_delete or state.is_insert:
        mapper = state.bind_mapper
        if mapper is not None and issubclass(mapper.class_, ReportFormat):
            after_commit(_announce_change, session=state.session)


def _announce_change(_: list) -> None:
    if has_app_context() and "stock_cache" in current_app.extensions:
        stock_changed()
