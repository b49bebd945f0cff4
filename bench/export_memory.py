"""How much memory the orders CSV export and the documents register take as the number of
orders grows.

    .venv/bin/python bench/export_memory.py [--orders 10000 100000] [--database-url URL]
                                            [--exports orders documents]

For each number of orders, a fresh database is filled (SQLite in a temporary file, or, with
``--database-url`` or ``BENCH_DATABASE_URL`` naming a PostgreSQL server, a new database on it,
dropped afterwards) with that many paid orders of two lines each, each with its receipt and card
payment (one in twenty partly refunded, with a credit note), by bulk inserts in a child process.
Then, for each export, a fresh child signs in an administrator, requests
``/admin/exports/<export>.csv`` for the whole range through the Flask test client without
buffering, and reads the response chunk by chunk, as a browser download would. Peak memory is
the child's peak resident set (VmHWM) read before the request and after the last chunk: if the
export streams, the two stay close whatever the size.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dataset import (  # noqa: E402
    START,
    Database,
    LineShape,
    OrderShape,
    insert_documents,
    insert_orders,
)


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def _app(database_url: str):
    from config import TestingConfig
    from portal import create_app

    class BenchConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        STORAGE_ROOT = tempfile.mkdtemp(prefix="bench-storage-")

    return create_app(BenchConfig)


# Children: each prints one JSON object and exits.


def administrator_client(app):
    """A test client signed in as the loaded administrator, with the second factor proved: a
    session of theirs started as the sign-in page would start it."""
    from sqlalchemy import select

    from portal.accounts import signed_in
    from portal.accounts.models import User
    from portal.extensions import db

    with app.app_context():
        administrator = db.session.scalar(select(User).where(User.is_admin))
        token = signed_in.start(administrator, "bench", "127.0.0.1")
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
        session["second_factor_at"] = int(time.time())  # as if signed in with a code
    return client


def child_populate(database_url: str, orders: str) -> dict:
    """Build the schema and insert ``orders`` orders of two lines each, with core inserts."""
    from flask_migrate import upgrade

    from portal.accounts.models import User
    from portal.catalogue.models import FormatKind, Report, ReportFormat
    from portal.extensions import db

    app = _app(database_url)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        # "!" is no hash at all: the account signs in through the session in child_export only.
        admin = User(email="admin@socitm.example", name="Admin", is_admin=True)
        admin.password_hash = "!"  # noqa: S105
        # Administrators reach /admin only with two-factor sign-in set up (and proved, below).
        admin.totp_secret = "BENCHBENCHBENCHBENCHBENCHBENCHBE"  # noqa: S105
        admin.totp_enabled_at = datetime.now(UTC)
        admin.admin_confirmed_at = datetime.now(UTC)
        db.session.add(admin)
        report = Report(
            slug="bench",
            title="Modern public services",
            published_on=START.date(),
            summary="Bench",
            is_published=True,
        )
        report.formats = [
            ReportFormat(kind=FormatKind.PDF, price_pence=14_500),
            ReportFormat(kind=FormatKind.PRINT, price_pence=17_500, stock=10),
        ]
        db.session.add(report)
        db.session.commit()
        pdf, printed = (f.id for f in sorted(report.formats, key=lambda f: f.kind.value))
        shape = OrderShape(
            lines=[
                LineShape(pdf, "pdf", 1, 14_500, 0, report.title),
                LineShape(printed, "print", 2, 17_500, 0, report.title),
            ]
        )
        insert_orders(db.session, 1, int(orders), shape)
        total = sum(line.unit_pence * line.quantity for line in shape.lines)
        insert_documents(db.session, 1, int(orders), shape.state, total)
        db.engine.dispose()
    return {"seconds": time.perf_counter() - started}


def child_export(database_url: str, export: str) -> dict:
    """Stream the whole of ``export`` (orders, documents) as an administrator, chunk by chunk."""

    app = _app(database_url)
    client = administrator_client(app)
    # Warm up (imports, templates, the first connection) so "before" is the app at rest.
    assert client.get("/admin/exports").status_code == 200
    before = peak_rss_mb()
    started = time.perf_counter()
    response = client.get(
        f"/admin/exports/{export}.csv?from=2025-12-01&to=2027-12-31", buffered=False
    )
    assert response.status_code == 200, response.status
    sent = rows = chunks = 0
    for chunk in response.response:
        sent += len(chunk)
        rows += chunk.count(b"\r\n")
        chunks += 1
    response.close()
    return {
        "seconds": time.perf_counter() - started,
        "before_mb": before,
        "after_mb": peak_rss_mb(),
        "bytes": sent,
        "rows": rows - 1,
        "chunks": chunks,
    }


CHILDREN = {"populate": child_populate, "export": child_export}


# The parent: a database per size, a child to fill it and a child to export it.


def run_child(mode: str, *arguments: str) -> dict:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    finished = subprocess.run(  # noqa: S603 (our own script, our own interpreter)
        [sys.executable, __file__, "--child", mode, *arguments],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        check=False,
    )
    if finished.returncode:
        sys.exit(f"{mode} failed:\n{finished.stderr}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument(
        "--exports", nargs="+", choices=["orders", "documents"], default=["orders", "documents"]
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        mode, *arguments = options.child
        print(json.dumps(CHILDREN[mode](*arguments)))
        return

    server = options.database_url if (options.database_url or "").startswith("postgresql") else None
    print(
        f"CSV exports, streamed, on {'PostgreSQL' if server else 'SQLite'} (two lines and a "
        "receipt per order; peak RSS is the exporting process's VmHWM)"
    )
    header = (
        f"{'export':>9} {'orders':>8} {'rows':>8} {'CSV':>9} {'chunks':>6} | "
        f"{'fill':>7} {'export':>7} | "
        f"{'peak before':>11} {'peak after':>10} {'growth':>8}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as directory:
        for orders in options.orders:
            with Database(server, directory, orders) as url:
                filled = run_child("populate", url, str(orders))
                for export in options.exports:
                    result = run_child("export", url, export)
                    print(
                        f"{export:>9} {orders:8d} {result['rows']:8d} "
                        f"{result['bytes'] / 1e6:7.1f}MB {result['chunks']:6d} | "
                        f"{filled['seconds']:6.1f}s {result['seconds']:6.1f}s | "
                        f"{result['before_mb']:9.1f}MB {result['after_mb']:8.1f}MB "
                        f"{result['after_mb'] - result['before_mb']:+6.1f}MB"
                    )


if __name__ == "__main__":
    main()
