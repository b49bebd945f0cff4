"""The scenarios of ``make bench``, each measured against the running portal.

Every scenario returns ``Row``s for the results table. The ones wrk drives share its settings
(``load.py``); the export is one request timed by hand while the serving worker's peak memory is
read from /proc; the webhook burst is in ``webhook_burst.py``.
"""

from __future__ import annotations

import shutil
import time
import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import requests
from catalogue import COMMON_WORDS, SEARCHED
from client import USER_AGENT, Browser
from dataset import BenchData
from load import Load, measure, script
from processes import ROOT, WorkerWatch
from profiles import sampling, sampling_jobs

#: The portal's static folder (served by its own /static route). A fresh clone has none until the
#: front end is built, and Flask adds the route only if the folder exists when the app starts.
STATIC_DIR = ROOT / "portal" / "static"


#: Pending orders the checkout scenario's warm-up pays for (the rest are for the measured run).
WARM_UP_ORDERS = 1000


@dataclass
class Row:
    """One line of the results table."""

    scenario: str
    load: Load | None = None
    ratio: float | None = None  # to the floor's requests/s (or the static file's MB/s)
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Bench:
    """What the scenarios need: the servers' addresses, the data, and signed-in browsers."""

    portal: str
    floor: str
    hooks_floor: str
    data: BenchData
    master_pid: int
    storage_root: Path
    subscriber: Browser
    buyer: Browser
    admin: Browser
    floor_rps: float = 0.0
    floor_tail: float = 0.0  # the neutral floor's p99 / p50, beside each page's
    profile: bool = False
    #: The larger worker's resident memory just after the sign-ins, before any scenario.
    startup_rss_mb: float = 0.0

    def profiled(self, name: str) -> AbstractContextManager[None]:
        """Sample the portal's workers with py-spy while the body runs, when profiling."""
        return sampling(self.master_pid, name) if self.profile else nullcontext()

    def profiled_jobs(self, worker_pids: list[int], name: str) -> AbstractContextManager[None]:
        """Sample the background job workers with py-spy while the body runs, when profiling."""
        return sampling_jobs(worker_pids, name) if self.profile else nullcontext()


def _ratio(load: Load, bench: Bench) -> float:
    return load.per_second / bench.floor_rps if bench.floor_rps else 0.0


def floor(bench: Bench) -> list[Row]:
    """The floor under neutral gunicorn settings (every ratio is to it), then the same app under
    the portal's gunicorn.conf.py, for reference."""
    # The neutral floor before and after the other, so that neither has the machine to itself
    # (the first minutes after loading the data are the busiest); the faster run is the floor.
    first = measure(bench.floor + "/", script())
    hooked = measure(bench.hooks_floor + "/", script())
    second = measure(bench.floor + "/", script())
    load = max(first, second, key=lambda run: run.per_second)
    bench.floor_rps, bench.floor_tail = load.per_second, tail_ratio(load)
    other = first if load is second else second
    return [
        Row(
            "Floor: constant page (bench/floor.py), neutral gunicorn",
            load,
            1.0,
            note=f"the other of its two runs: {other.per_second:,.0f} req/s, p99/p50 "
            f"{tail_ratio(other):.1f}x",
        ),
        Row(
            "Floor under the portal's gunicorn.conf.py (reference)",
            hooked,
            _ratio(hooked, bench),
        ),
    ]


def tail_ratio(load: Load) -> float:
    """p99 over p50: how far the slowest requests are from the typical one."""
    return load.p99_ms / load.p50_ms if load.p50_ms else 0.0


#: The tail target of the catalogue and report pages: p99 at most this many times p50.
TAIL_TARGET = 5.0


def _paced(name: str, load: Load, bench: Bench, share: float) -> Row:
    """A row with a throughput target (``share`` of the floor) and the tail target."""
    ratio = _ratio(load, bench)
    met = ratio >= share and tail_ratio(load) <= TAIL_TARGET
    target = f"≥ {share:.0%} of floor, p99 ≤ {TAIL_TARGET:.0f}x p50"
    return Row(name, load, ratio, target, met, f"floor's p99/p50 {bench.floor_tail:.1f}x")


def catalogue_list(bench: Bench) -> Row:
    with bench.profiled("catalogue"):
        load = measure(bench.portal + "/reports", script())
    return _paced("1. Catalogue list, anonymous", load, bench, 0.6)


#: The catalogue searched (one full-text statement: for words a few reports have, and for words
#: hundreds have, all of them ranked) and browsed by a filter (drawn from the cached catalogue).
SEARCH_PAGES = (
    ("9. Catalogue search, anonymous", {"q": SEARCHED}, "≥ 40% of floor", 0.4),
    ("9a. Catalogue search, common words", {"q": COMMON_WORDS}, "≥ 40% of floor", 0.4),
    (
        "9b. Catalogue filtered, page 2, anonymous",
        {"series": "Bench series 3", "sort": "title", "page": "2"},
        "≥ 60% of floor",
        0.6,
    ),
)


def catalogue_search(bench: Bench) -> list[Row]:
    """The catalogue of 1,000 reports searched for the words the issue names, and browsed."""
    rows = []
    for name, args, target, share in SEARCH_PAGES:
        with bench.profiled("search"):
            load = measure(f"{bench.portal}/reports?{urlencode(args)}", script())
        ratio = _ratio(load, bench)
        rows.append(Row(name, load, ratio, target, ratio >= share))
    return rows


def report_page(bench: Bench) -> list[Row]:
    url = f"{bench.portal}/reports/{bench.data.report_slug}"
    rows = []
    for who, headers, share in (
        ("anonymous", {}, 0.4),
        ("signed-in subscriber", {"Cookie": bench.subscriber.cookie_header}, 0.25),
    ):
        with bench.profiled("report-" + who.split()[-1]):
            load = measure(url, script(headers=headers))
        rows.append(_paced(f"2. Report page, {who}", load, bench, share))
    return rows


def _form_post(browser: Browser, token_page: str, fields: dict[str, str]) -> tuple[str, dict]:
    token = browser.csrf_token(token_page)
    body = urlencode({"csrf_token": token, **fields})
    headers = {
        "Cookie": browser.cookie_header,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return body, headers


def add_to_basket(bench: Bench) -> Row:
    """A signed-in buyer adds the report's PDF to their basket (a redirect to the basket)."""
    page = f"/reports/{bench.data.report_slug}"
    body, headers = _form_post(bench.buyer, page, {"format_id": str(bench.data.pdf_format_id)})
    with bench.profiled("basket"):
        load = measure(bench.portal + page, script(method="POST", body=body, headers=headers))
    return Row("3. Add to basket (signed in)", load, _ratio(load, bench))


def start_checkout(bench: Bench) -> Row:
    """16 buyers' connections each start a card payment for one of the buyer's pending orders,
    moving on to the next order each time: the portal opens a Checkout Session at the stand-in
    and redirects there."""
    body, headers = _form_post(bench.buyer, f"/reports/{bench.data.report_slug}", {})
    paths = [f"/orders/{reference}/pay" for reference in bench.data.checkout_references]
    # The warm-up pays for orders of its own, so every measured request opens a first session
    # (paying again would also expire the one before, at the stand-in).
    warm_up, measured = paths[:WARM_UP_ORDERS], paths[WARM_UP_ORDERS:]
    with bench.profiled("checkout"):
        load = measure(
            bench.portal + measured[0],
            script(method="POST", body=body, headers=headers, paths=measured),
            warm_up_lua=script(method="POST", body=body, headers=headers, paths=warm_up),
        )
    return Row(
        "4. Start card checkout (16 users)",
        load,
        _ratio(load, bench),
        "p95 ≤ 100 ms",
        load.p95_ms <= 100,
    )


def admin_order_list(bench: Bench) -> Row:
    """The admin orders list filtered to paid orders and searched by one organisation (a
    different one on each request)."""
    paths = [
        "/admin/orders?" + urlencode({"state": "paid", "organisation": name})
        for name in bench.data.organisations
    ]
    with bench.profiled("admin"):
        load = measure(
            bench.portal + paths[0],
            script(headers={"Cookie": bench.admin.cookie_header}, paths=paths),
        )
    return Row(
        "6. Admin orders, state + organisation (100k orders)",
        load,
        _ratio(load, bench),
        "p95 ≤ 150 ms",
        load.p95_ms <= 150,
    )


def csv_export(bench: Bench) -> Row:
    """One administrator downloads the whole orders export."""
    return _timed_export(bench, "export", "orders", "7. CSV export of all orders (one request)")


def documents_register(bench: Bench) -> Row:
    """One administrator downloads the documents register of every invoice, receipt and credit
    note issued for the 100,000 orders."""
    scenario = "7b. Documents register of all orders (one request)"
    return _timed_export(bench, "register", "documents", scenario)


def _timed_export(bench: Bench, name: str, export: str, scenario: str) -> Row:
    """One streamed download of ``export`` for every day of the data; the worker that served it
    is the one whose CPU time grew most, and its peak resident memory (VmHWM, reset just
    before) is read."""
    with WorkerWatch(bench.master_pid) as watch, bench.profiled(name):
        seconds, size, rows, status = _export(bench, export)
    if status != 200:
        raise RuntimeError(f"{export} export refused: {status}")
    served = watch.busiest()
    peak_mb = watch.last[served][1] / 1024
    rest_mb = watch.first[served][1] / 1024
    return Row(
        scenario,
        None,
        target="≤ 5 s, peak ≤ 100 MB",
        met=seconds <= 5 and peak_mb <= 100,
        note=(
            f"{seconds:.1f} s, {rows - 1:,} rows, {size / 1e6:.1f} MB; worker peak RSS "
            f"{peak_mb:.0f} MB (at rest {rest_mb:.0f} MB; {bench.startup_rss_mb:.0f} MB after "
            "start-up)"
        ),
    )


def _export(bench: Bench, export: str) -> tuple[float, int, int, int]:
    """Seconds, bytes, lines and status of one streamed download of the whole export."""
    started = time.perf_counter()
    response = requests.get(
        f"{bench.portal}/admin/exports/{export}.csv?from=2025-01-01&to=2027-12-31",
        headers={"Cookie": bench.admin.cookie_header, "User-Agent": USER_AGENT},
        stream=True,
        timeout=120,
    )
    size = rows = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        rows += chunk.count(b"\n")
    return time.perf_counter() - started, size, rows, response.status_code


def download(bench: Bench) -> list[Row]:
    """The stamped 20 MB PDF, after its first stamping, against the same file served by the
    portal's own static route (a copy placed under portal/static for the run)."""
    path = f"/downloads/{bench.data.download_line_id}"
    started = time.perf_counter()
    first = bench.buyer.get(path)
    stamping = time.perf_counter() - started
    if first.status_code != 200:
        raise RuntimeError(f"first download refused: {first.status_code}")
    stamped = bench.storage_root / "stamped" / f"line-{bench.data.download_line_id}.pdf"
    static_copy = STATIC_DIR / f"bench-{uuid.uuid4().hex}.pdf"
    shutil.copyfile(stamped, static_copy)
    try:
        headers = {"Cookie": bench.buyer.cookie_header}
        with bench.profiled("download"):
            load = measure(bench.portal + path, script(headers=headers), connections=4)
        static = measure(f"{bench.portal}/static/{static_copy.name}", script(), connections=4)
    finally:
        static_copy.unlink(missing_ok=True)
    ratio = load.mb_per_second / static.mb_per_second if static.mb_per_second else 0.0
    size_mb = stamped.stat().st_size / 1e6
    return [
        Row(
            f"8. Stamped PDF download ({size_mb:.0f} MB, 4 connections)",
            load,
            ratio,
            "≥ 50% of static MB/s",
            ratio >= 0.5,
            f"{load.mb_per_second:.0f} MB/s; first download (stamping) {stamping:.1f} s",
        ),
        Row(
            "8. Same file as a static file (portal's /static)",
            static,
            1.0,
            note=f"{static.mb_per_second:.0f} MB/s",
        ),
    ]
