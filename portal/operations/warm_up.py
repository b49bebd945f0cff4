"""Making a new worker ready before it takes its first request.

A worker forked by gunicorn starts with none of what a serving worker keeps: no catalogue copy,
no pages kept for visitors without a session, no compiled templates. Its first requests would pay
for all of it (a few hundred milliseconds, while others wait behind them), and gunicorn replaces
workers now and then. ``warm_up`` pays it before the worker accepts anything: it asks the app for
the pages most visitors see, through the app itself, so whatever a real request would keep is
kept. Then ``gc.freeze`` moves everything alive so far out of the garbage collector's way, so its
full collections walk only what requests make, not the loaded code and the catalogue.
"""

import gc
import logging

from flask import Flask

log = logging.getLogger(__name__)

#: Read-only pages every visitor may see; the first report's page is added when there is one.
PAGES = ("/", "/reports")


def warm_up(app: Flask) -> None:
    """Ask ``app`` for its most visited pages once, then freeze what is alive. Never fails: a
    page that cannot be drawn now is drawn by its first visitor, as without warming."""
    try:
        client = app.test_client()
        base = app.config.get("PUBLIC_URL") or None
        for path in (*PAGES, *_first_report_page(app)):
            client.get(path, base_url=base, headers={"User-Agent": "portal-warm-up"})
    except Exception:
        log.warning("warm-up: could not draw the first pages; their first visitors will")
    finally:
        _release_connections(app)
    gc.freeze()


def _first_report_page(app: Flask) -> list[str]:
    from portal.catalogue import cache

    with app.test_request_context():
        reports = cache.published_reports()
    return [f"/reports/{reports[0].slug}"] if reports else []


def _release_connections(app: Flask) -> None:
    """Return the warm-up's database connection to the pool (where the first request reuses it)."""
    from portal.extensions import db

    with app.app_context():
        db.session.remove()


def freeze_loaded() -> None:
    """In gunicorn's master, after the app is loaded and before any worker is forked: what the
    import made is never garbage, so it is kept out of every collection in every worker (and
    its memory stays shared with the master, as a collection no longer writes to it)."""
    gc.freeze()
