"""How the administrators' pages cost as the orders grow: the bench's ``growth`` scenario.

For each size (10,000 and 100,000 orders; 1,000,000 too with ``--large``) a fresh database is
filled (``export_memory.child_populate``: orders of two lines each, a document each, over
``size`` minutes), then an administrator's client asks, in this process, for the filtered list,
a page deep into the list (by its link), a search by email, the dashboard, and the whole orders
export. Each page: SQL statements per request (must not change with the size; the session's
once-a-minute "last seen" write left out) and the median of ``REPEATS`` requests; the export: one
request, timed.

The plot (``bench/results/growth.png``) shows each one's time against the number of orders, both
on log scales, beside the line a cost that grows with the orders would follow.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dataset import START, Database
from export_memory import _app, administrator_client, child_populate

SIZES = (10_000, 100_000)
LARGE = 1_000_000
REPEATS = 5
RESULTS = Path(__file__).resolve().parent / "results"

EXPORT = "Orders export, every order"


def _pages(size: int) -> dict[str, str]:
    """The pages measured, for ``size`` orders (the deep page starts half way through)."""
    from portal.admin.order_queries import Place

    middle = size // 2  # the generated order n was placed n minutes after START
    micros = (START + timedelta(minutes=middle) - _EPOCH) // timedelta(microseconds=1)
    return {
        "Admin list, state + organisation": "/admin/orders?state=paid&organisation=Council+7",
        "Admin list, a page half way in": f"/admin/orders?after={Place(micros, middle)}",
        "Admin search, one email": "/admin/orders?q=buyer500%40council.gov.uk",
        "Dashboard (12 months)": "/admin/dashboard",
    }


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Growth:
    """What was measured at each size: by page, (statements, milliseconds)."""

    sizes: list[int] = field(default_factory=list)
    figures: dict[str, dict[int, tuple[int, float]]] = field(default_factory=dict)
    export_rows: dict[int, int] = field(default_factory=dict)

    def add(self, name: str, size: int, statements: int, ms: float) -> None:
        self.figures.setdefault(name, {})[size] = (statements, ms)


def measure_growth(server_url: str, directory: str, large: bool = False) -> Growth:
    """Fill a database of each size in turn and measure the pages on it."""
    growth = Growth()
    for size in (*SIZES, LARGE) if large else SIZES:
        print(f"  {size:,} orders …", flush=True)
        with Database(server_url, directory, size) as url:
            child_populate(url, str(size))
            _measure(url, size, growth)
        growth.sizes.append(size)
    return growth


def _measure(url: str, size: int, growth: Growth) -> None:
    from sqlalchemy import event

    app = _app(url)
    client = administrator_client(app)
    with app.app_context():
        from portal.extensions import db

        engine = db.engine
    seen: list[int] = []

    def count(conn, cursor, statement: str, *_args) -> None:
        # The signed-in session's "last seen", written at most once a minute whatever the data:
        # left out, or a slow page's repeats would count it when a minute passes.
        if not statement.startswith("UPDATE signed_in_sessions"):
            seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        for name, path in _pages(size).items():
            if client.get(path).status_code != 200:  # warm up
                raise RuntimeError(f"{path} refused")
            counts, times = [], []
            for _ in range(REPEATS):
                seen.clear()
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
                counts.append(len(seen))
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code}")
            growth.add(name, size, max(counts), statistics.median(times) * 1000)
        seen.clear()
        started = time.perf_counter()
        response = client.get("/admin/exports/orders.csv?from=2025-01-01&to=2027-12-31")
        rows = response.get_data().count(b"\n") - 1
        growth.add(EXPORT, size, len(seen), (time.perf_counter() - started) * 1000)
        growth.export_rows[size] = rows
    finally:
        event.remove(engine, "before_cursor_execute", count)
        engine.dispose()


def growth_table(growth: Growth) -> str:
    """Statements and milliseconds per page at each size, and how much slower at the largest."""
    sizes = growth.sizes
    head = " | ".join(f"{n:,} orders" for n in sizes)
    lines = [
        f"| Page | {head} | time, largest / smallest | statements the same |",
        "|---|" + "--:|" * len(sizes) + "--:|:-:|",
    ]
    for name, by_size in growth.figures.items():
        cells = " | ".join(f"{by_size[n][1]:,.1f} ms, {by_size[n][0]} st." for n in sizes)
        grew = by_size[sizes[-1]][1] / by_size[sizes[0]][1] if by_size[sizes[0]][1] else 0.0
        same = "yes" if len({by_size[n][0] for n in sizes}) == 1 else "**no**"
        lines.append(f"| {name} | {cells} | {grew:.1f}x | {same} |")
    rows = ", ".join(f"{growth.export_rows[n]:,}" for n in sizes)
    return "\n".join(lines) + f"\n\nLines in the export at each size: {rows}."


def plot(growth: Growth, path: Path = RESULTS / "growth.png") -> Path:
    """Each page's time against the orders, log-log, with the slope of a cost that grows with the
    orders for comparison; written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot, ticker

    figure, axes = pyplot.subplots(figsize=(8, 5), dpi=100)
    sizes = growth.sizes
    for name, by_size in growth.figures.items():
        axes.plot(sizes, [by_size[n][1] for n in sizes], marker="o", label=name)
    export = growth.figures[EXPORT]
    axes.plot(
        sizes,
        [export[sizes[0]][1] * n / sizes[0] for n in sizes],
        linestyle=":",
        color="grey",
        label="Growing with the orders (from the export's first point)",
    )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xticks(sizes, [f"{n:,}" for n in sizes])
    axes.xaxis.set_minor_formatter(ticker.NullFormatter())
    axes.set_xlabel("Orders in the database")
    axes.set_ylabel("Milliseconds per request (median)")
    axes.set_title("Admin pages as the orders grow")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)
    return path
