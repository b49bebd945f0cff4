"""A new worker draws the most visited pages before its first request, and a page it cannot draw
never stops it from starting."""

import gc

import pytest

from portal.catalogue import cache
from portal.operations import warm_up


@pytest.fixture(autouse=True)
def _unfrozen():
    yield
    gc.unfreeze()  # what warm_up froze stays collectable for the rest of the tests


def test_the_catalogue_and_its_pages_are_kept_before_the_first_visitor(app, create_report):
    report = create_report(slug="kept-at-start")
    warm_up.warm_up(app)
    kept = app.extensions["catalogue_cache"]._entries
    assert "reports" in kept
    pages = [key for key in kept if key.startswith("page:")]
    assert any(report.slug in key for key in pages) and any("report_list" in key for key in pages)
    assert gc.get_freeze_count() > 0


def test_a_page_that_cannot_be_drawn_leaves_the_worker_to_start(app, monkeypatch):
    def broken():
        raise RuntimeError("the database is not there yet")

    monkeypatch.setattr(cache, "published_reports", broken)
    warm_up.warm_up(app)  # no exception
    assert gc.get_freeze_count() > 0
