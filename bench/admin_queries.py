"""How the admin orders screens scale: SQL statements and time per page at two data sizes.

    .venv/bin/python bench/admin_queries.py --orders 1000 100000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Each size gets a fresh database (filled by ``export_memory.child_populate``: orders of two lines
each), then an administrator's client requests the filtered list, a search and an order page five
times each. The statement count must be the same at every size; times are medians.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dataset import Database
from export_memory import _app, child_populate

PAGES = {
    "list, filtered": "/admin/orders?state=paid&method=card&organisation=Council+7",
    "list, searched": "/admin/orders?q=buyer500%40council.gov.uk",
    "list, oldest": "/admin/orders?sort=oldest&page=3",
    "order page": "/admin/orders/INS-2026-000500",
}


def measure(database_url: str) -> dict[str, tuple[int, float]]:
    from sqlalchemy import event, select

    from portal.accounts import signed_in
    from portal.accounts.models import User
    from portal.extensions import db

    app = _app(database_url)
    with app.app_context():
        # A signed-in session of the administrator's, as the sign-in page would start.
        administrator = db.session.scalar(select(User).where(User.is_admin))
        token = signed_in.start(administrator, "bench", "127.0.0.1")
        db.session.commit()
        engine = db.engine
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
        session["second_factor_at"] = int(time.time())  # as if signed in with a code
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(1))
    results = {}
    for name, path in PAGES.items():
        assert client.get(path).status_code == 200, path  # warm up
        counts, times = [], []
        for _ in range(5):
            statements.clear()
            started = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, path
            counts.append(len(statements))
        results[name] = (max(counts), statistics.median(times))
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    table = {}
    with tempfile.TemporaryDirectory() as directory:
        for size in args.orders:
            with Database(args.database_url, directory, size) as url:
                child_populate(url, str(size))
                table[size] = measure(url)
    print(f"{'page':<16}" + "".join(f"{f'{n:,} orders':>28}" for n in args.orders))
    for name in PAGES:
        cells = "".join(
            f"{f'{table[n][name][0]} statements, {table[n][name][1] * 1000:.1f} ms':>28}"
            for n in args.orders
        )
        print(f"{name:<16}{cells}")


if __name__ == "__main__":
    main()
