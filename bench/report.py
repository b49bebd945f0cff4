"""The results table of ``make bench``, as Markdown: printed, and written to
bench/results/latest.md (not kept in git)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from load import CONNECTIONS, DURATION_S, THREADS, TIMEOUT_S
from scenarios import Row

RESULTS = Path(__file__).resolve().parent / "results" / "latest.md"


def _cell(value: float | None, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def table(rows: list[Row]) -> str:
    """One line per scenario: requests/s, latency percentiles, ratio, target and outcome."""
    lines = [
        "| Scenario | req/s | p50 ms | p95 ms | p99 ms | p99/p50 | errors | ratio | target | met "
        "| notes |",
        "|---|--:|--:|--:|--:|--:|--:|--:|---|:-:|---|",
    ]
    for row in rows:
        load = row.load
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        ratio = "" if row.ratio is None else f"{row.ratio:.0%}"
        lines.append(
            "| "
            + " | ".join(
                [
                    row.scenario,
                    _cell(load and load.per_second, ",.0f"),
                    _cell(load and load.p50_ms, ".1f"),
                    _cell(load and load.p95_ms, ".1f"),
                    _cell(load and load.p99_ms, ".1f"),
                    "" if load is None or not load.p50_ms else f"{load.p99_ms / load.p50_ms:.1f}x",
                    "" if load is None else str(load.errors),
                    ratio,
                    row.target,
                    met,
                    row.note,
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def write_results(
    rows: list[Row],
    statements: dict[str, int],
    machine: dict[str, str],
    *,
    when: datetime,
    load_seconds: float,
    total_seconds: float,
    growth: tuple[str, Path] | None = None,
) -> str:
    """The whole results page; written to ``RESULTS`` and returned."""
    described = "\n".join(f"- {name}: {value}" for name, value in machine.items())
    counted = "\n".join(f"| {page} | {count} |" for page, count in statements.items())
    text = f"""# Benchmark results, {when:%Y-%m-%d %H:%M} UTC

{table(rows)}

wrk: {DURATION_S} s per scenario after a 2 s warm-up, {THREADS} threads, {CONNECTIONS} connections
unless the scenario says otherwise, {TIMEOUT_S} s timeout, loopback. Ratios are to the floor's
requests/s measured in the same run, under neutral gunicorn settings (scenario 8: to the static
file's MB/s). Errors are socket
errors, timeouts and responses other than 2xx/3xx.

SQL statements per request (one request, in one process, on the loaded database; target for
the report page: ≤ 3):

| Page | statements |
|---|--:|
{counted}

{_growth_section(growth)}Data loaded in {load_seconds:.1f} s; the whole run took \
{total_seconds / 60:.1f} minutes.

Machine:
{described}
"""
    RESULTS.parent.mkdir(exist_ok=True)
    text = text.replace("\n\n\n", "\n\n")
    RESULTS.write_text(text)
    return text


def _growth_section(growth: tuple[str, Path] | None) -> str:
    if growth is None:
        return ""
    table_text, picture = growth
    return f"""Cost as the orders grow (bench/growth.py: in one process, a fresh database per size;
median of 5 requests, the export once; plotted in {picture.name}):

{table_text}

"""
