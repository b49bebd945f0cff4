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

from flask import Flask
from sqlalchemy import select

from portal.catalogue.models import ReportFormat
from portal.extensions import db
from portal.kept_copies import KeptCopies

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


_kept = KeptCopies(
    "stock_cache", (ReportFormat,), REDIS_KEY, "stock-generation", "STOCK_CACHE_SECONDS"
)
init_app = _kept.init_app
_cache = _kept.cache


def stock_changed(app: Flask | None = None) -> None:
    """Drop every process's copy now (a commit that moves stock does this itself)."""
    _kept.changed(app)
