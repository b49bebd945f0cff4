"""The cached catalogue: an administrator's edit shows on the public pages at once, in every
process; stock is never taken from the cache."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import update

from portal import pricing
from portal.catalogue import cache
from portal.catalogue.models import FormatKind, ReportFormat
from portal.extensions import db
from portal.kept_copies import CatalogueCache, FileGeneration, RedisGeneration
from portal.orders.models import PaymentMethod
from portal.orders.services import Buyer, Delivery
from tests.catalogue.report_form import FORMAT_FORM, REPORT_FORM
from tests.helpers import TEST_REDIS_URL

#: The report stays published: it has its formats and its PDF.
REPORT = {**REPORT_FORM, "is_published": "y"}
FORMAT = FORMAT_FORM


@pytest.fixture
def shown(client, create_report):
    """A published report, its pages already viewed (so cached)."""
    report = create_report(slug="digital-by-default", title="Old title", with_pdf=True)
    for path in ("/", "/reports", f"/reports/{report.slug}"):
        assert "Old title" in client.get(path).get_data(as_text=True)
    return report


def _page(client, path="/reports/digital-by-default") -> str:
    return client.get(path).get_data(as_text=True)


def _order_printed_copies(app, create_order, report, copies):
    """A guest orders ``copies(stock)`` printed copies of ``report`` (taking stock); returns the
    printed format."""
    printed = next(f for f in report.formats if f.kind is FormatKind.PRINT)
    with app.app_context():
        chosen = db.session.get(ReportFormat, printed.id)
        create_order(
            [(chosen, copies(chosen.stock))],
            buyer=Buyer("jo@eastbridge.gov.uk", "Jo", "Eastbridge"),
            person=pricing.GUEST,
            on=report.published_on,
            method=PaymentMethod.CARD,
            delivery=Delivery("Jo", "1 High St", "", "Eastbridge", "EB1 1AA"),
        )
        db.session.commit()
    return printed


def test_an_edited_report_shows_at_once_everywhere(client, post_form, admin, shown):
    post_form("/admin/reports/digital-by-default/edit", {**REPORT, "title": "New title"})
    for path in ("/", "/reports", "/reports/digital-by-default"):
        page = _page(client, path)
        assert "New title" in page and "Old title" not in page


def test_an_unpublished_report_leaves_the_public_pages_at_once(client, post_form, admin, shown):
    post_form("/admin/reports/digital-by-default/edit", {**REPORT, "is_published": ""})
    assert client.get("/reports/digital-by-default").status_code == 404
    assert "digital-by-default" not in _page(client, "/reports")


def test_a_new_price_shows_at_once(client, post_form, admin, shown):
    post_form("/admin/reports/digital-by-default/formats/print", {**FORMAT, "price": "199.99"})
    assert "£199.99" in _page(client) and "£199.99" in _page(client, "/reports")


def test_an_added_and_a_removed_format_show_at_once(client, post_form, admin, create_report):
    create_report(
        slug="digital-by-default",
        formats=[ReportFormat(kind=FormatKind.PDF, price_pence=14_500)],
    )
    assert "Number of printed copies" not in _page(client)
    post_form("/admin/reports/digital-by-default/formats/print", FORMAT)
    assert "Number of printed copies" in _page(client)
    post_form(
        "/admin/reports/digital-by-default/formats/print/remove",
        {},
        form_page="/admin/reports/digital-by-default",
    )
    assert "Number of printed copies" not in _page(client)


def test_stock_set_by_an_administrator_shows_at_once(client, post_form, admin, shown):
    assert "out of stock" not in _page(client)
    post_form("/admin/reports/digital-by-default/formats/print", {**FORMAT, "stock": "0"})
    assert "out of stock" in _page(client)


def test_stock_taken_by_orders_is_read_live(app, client, shown, create_order):
    printed = _order_printed_copies(
        app, create_order, shown, lambda stock: stock
    )  # the last copies
    assert "out of stock" in _page(client)
    response = client.post(
        "/reports/digital-by-default",
        data={"format_id": printed.id, "quantity": "1", "csrf_token": _token(client)},
    )
    assert response.status_code == 400
    assert "out of stock" in response.get_data(as_text=True)


def _token(client) -> str:
    from tests.helpers import csrf_token

    return csrf_token(client, "/reports/digital-by-default")


def test_a_bulk_update_through_the_session_counts_as_a_change(app, client, shown):
    with app.app_context():
        db.session.execute(
            update(ReportFormat)
            .where(ReportFormat.report_id == shown.id)
            .values(price_pence=12_300)
        )
        db.session.commit()
    assert "£123.00" in _page(client)


def test_uncommitted_changes_are_seen_by_their_own_transaction(app, shown):
    with app.test_request_context():
        assert cache.published_report(shown.slug).title == "Old title"
        db.session.execute(
            update(ReportFormat).where(ReportFormat.report_id == shown.id).values(price_pence=1)
        )
        report = db.session.get(type(shown), shown.id)
        report.title = "Being edited"
        db.session.flush()
        assert cache.published_report(shown.slug).title == "Being edited"
        db.session.rollback()


# ------------------------------------------------------------------------------------------------
# Several processes: each has its own copy; the generation token tells them of a change.


def _two_processes(generation_a, generation_b):
    return CatalogueCache(generation_a, 60), CatalogueCache(generation_b, 60)


def _shares_changes(first, second, ctx):
    assert first.get("reports", lambda: "before") == "before"
    assert second.get("reports", lambda: "before") == "before"
    assert first.get("reports", lambda: "not read") == "before"  # cached
    second.changed()  # the other process committed an edit
    assert first.get("reports", lambda: "after") == "after"
    assert first.get("reports", lambda: "not read") == "after"


def test_processes_on_one_machine_share_changes_through_a_file(tmp_path, ctx):
    path = tmp_path / "catalogue-generation"
    _shares_changes(*_two_processes(FileGeneration(path), FileGeneration(path)), ctx)


def test_app_servers_share_changes_through_redis(ctx, redis_space):
    key = f"{redis_space.name}:catalogue-generation"
    generations = [RedisGeneration(TEST_REDIS_URL, key=key) for _ in range(2)]
    _shares_changes(*_two_processes(*generations), ctx)
    assert redis_space.keys() == [key]


def test_a_copy_read_while_an_edit_lands_is_not_kept(tmp_path, ctx):
    catalogue = CatalogueCache(FileGeneration(tmp_path / "generation"), 60)

    def read_during_an_edit():
        catalogue.changed()  # the edit commits while this reader is at the database
        return "maybe old"

    assert catalogue.get("reports", read_during_an_edit) == "maybe old"
    assert catalogue.get("reports", lambda: "fresh") == "fresh"


def test_without_its_generation_the_cache_reads_the_database(ctx):
    unreachable = RedisGeneration("redis://127.0.0.1:1/0", cache.REDIS_KEY)
    catalogue = CatalogueCache(unreachable, 60)
    assert catalogue.get("reports", lambda: "first") == "first"
    assert catalogue.get("reports", lambda: "second") == "second"


def test_entries_expire(tmp_path, ctx):
    now = [1000.0]
    generation = FileGeneration(tmp_path / "generation")
    catalogue = CatalogueCache(generation, 60, clock=lambda: now[0])
    assert catalogue.get("reports", lambda: "first") == "first"
    now[0] += 59
    assert catalogue.get("reports", lambda: "second") == "first"
    now[0] += 2
    assert catalogue.get("reports", lambda: "third") == "third"


class _SlowReading:
    """A reading of the database that holds until let go, counting how many were made."""

    def __init__(self, value: str):
        self.value, self.made = value, 0
        self.started, self.go_on = threading.Event(), threading.Event()

    def __call__(self) -> str:
        self.made += 1
        self.started.set()
        assert self.go_on.wait(5)
        return self.value


@pytest.fixture
def threads():
    """Runs a reading in each of several threads at once; returns their futures."""
    pool = ThreadPoolExecutor(8)
    yield lambda read: [pool.submit(read) for _ in range(8)]
    pool.shutdown(wait=True, cancel_futures=True)


def _copy_grown_old(tmp_path, value: str) -> CatalogueCache:
    """A cache whose copy of "reports", ``value``, was read 61 seconds ago (kept for 60)."""
    now = [1000.0]
    generation = FileGeneration(tmp_path / "generation")
    catalogue = CatalogueCache(generation, 60, clock=lambda: now[0])
    assert catalogue.get("reports", lambda: value) == value
    now[0] += 61
    return catalogue


def test_an_old_copy_is_served_while_one_thread_reads_it_afresh(tmp_path, ctx, threads):
    catalogue = _copy_grown_old(tmp_path, "old")
    reading = _SlowReading("new")
    with ThreadPoolExecutor(1) as reader:
        first = reader.submit(catalogue.get, "reports", reading)
        assert reading.started.wait(5)
        # Meanwhile every other thread is answered at once, from the copy that grew old.
        others = threads(lambda: catalogue.get("reports", lambda: "read again"))
        assert [other.result(timeout=5) for other in others] == ["old"] * 8
        reading.go_on.set()
        assert first.result(timeout=5) == "new"
    assert reading.made == 1
    assert catalogue.get("reports", lambda: "read again") == "new"


def test_without_a_copy_the_threads_wait_for_one_reading(tmp_path, ctx, threads):
    generation = FileGeneration(tmp_path / "generation")
    catalogue = CatalogueCache(generation, 60)
    reading = _SlowReading("read once")
    with ThreadPoolExecutor(1) as reader:
        first = reader.submit(catalogue.get, "reports", reading)
        assert reading.started.wait(5)
        others = threads(lambda: catalogue.get("reports", reading))
        assert not any(other.done() for other in others)  # waiting, not reading
        reading.go_on.set()
        assert first.result(timeout=5) == "read once"
        assert [other.result(timeout=5) for other in others] == ["read once"] * 8
    assert reading.made == 1


def test_an_edit_is_never_hidden_behind_the_copy_it_replaces(tmp_path, ctx):
    catalogue = _copy_grown_old(tmp_path, "before the edit")
    reading = _SlowReading("read before the edit")
    with ThreadPoolExecutor(1) as reader:
        first = reader.submit(catalogue.get, "reports", reading)
        assert reading.started.wait(5)
        catalogue.changed()  # an edit commits while the old copy is being read afresh
        assert catalogue.get("reports", lambda: "after the edit") == "after the edit"
        reading.go_on.set()
        assert first.result(timeout=5) == "read before the edit"
    assert catalogue.get("reports", lambda: "read again") == "after the edit"


def test_another_process_edit_shows_within_the_check_interval(tmp_path, ctx):
    now = [1000.0]
    path = tmp_path / "generation"
    here = CatalogueCache(FileGeneration(path), 60, lambda: now[0], check_every=1)
    there = CatalogueCache(FileGeneration(path), 60, lambda: now[0], check_every=1)
    assert here.get("reports", lambda: "before") == "before"
    there.changed()  # another process commits an edit
    now[0] += 0.5
    assert here.get("reports", lambda: "after") == "before"  # the token is not read again yet
    now[0] += 0.6
    assert here.get("reports", lambda: "after") == "after"


def test_an_edit_in_this_process_shows_at_once_whatever_the_check_interval(tmp_path, ctx):
    now = [1000.0]
    catalogue = CatalogueCache(
        FileGeneration(tmp_path / "generation"), 60, lambda: now[0], check_every=1
    )
    assert catalogue.get("reports", lambda: "before") == "before"
    catalogue.changed()
    assert catalogue.get("reports", lambda: "after") == "after"


def test_the_token_is_read_once_per_check_interval(tmp_path, ctx):
    now = [1000.0]
    reads = []

    class CountedGeneration(FileGeneration):
        def current(self) -> str:
            reads.append(now[0])
            return super().current()

    catalogue = CatalogueCache(
        CountedGeneration(tmp_path / "generation"), 60, lambda: now[0], check_every=1
    )
    for tenth in range(20):  # two seconds of reads, ten a second
        now[0] = 1000 + tenth / 10
        catalogue.get("reports", lambda: "value")
    assert reads == [1000.0, 1001.0]


def test_orders_taking_stock_keep_the_cache(app, client, shown, count_queries, create_order):
    _order_printed_copies(app, create_order, shown, lambda stock: 1)
    with count_queries() as ran:
        client.get("/reports")
    assert ran == []  # stock is not in the cache: nothing to drop
