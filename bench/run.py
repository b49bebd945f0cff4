"""``make bench``: the portal under load, against the floor, on this machine.

    .venv/bin/python bench/run.py [--keep-database] [--only NAME ...]

Prepares a PostgreSQL database (``portal_bench`` on ``BENCH_DATABASE_URL``, default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres) with a catalogue of 1,000 reports, 200
subscribing organisations, 2,000 users and 100,000 orders; starts an SMTP sink, the offline
Stripe stand-in, the portal under gunicorn with production settings and the floor app under the
same gunicorn settings; runs each scenario; prints the table and writes it to
bench/results/latest.md. Whatever happens, everything it started is stopped and the database
dropped (unless ``--keep-database``).
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from client import Browser  # noqa: E402
from dataset import Database, load_portal_data  # noqa: E402
from growth import growth_table, measure_growth, plot  # noqa: E402
from processes import (  # noqa: E402
    BIN,
    gunicorn_command,
    machine,
    neutral_gunicorn_command,
    status_kib,
    worker_pids,
)
from report import table, write_results  # noqa: E402
from scenarios import (  # noqa: E402
    STATIC_DIR,
    Bench,
    Row,
    add_to_basket,
    admin_order_list,
    catalogue_list,
    catalogue_search,
    csv_export,
    documents_register,
    download,
    floor,
    report_page,
    start_checkout,
)
from slow_stripe import Ports, slow_stripe, stop_server  # noqa: E402
from statements import count_statements  # noqa: E402
from webhook_burst import webhook_burst  # noqa: E402

from config import DEMO_DOCUMENT_SETTINGS  # noqa: E402
from process_group import Processes  # noqa: E402

#: Loopback ports: BENCH_PORT_BASE + 1 (portal), + 2 (floor), + 3 (stand-in), + 4 (the floor under
#: the portal's gunicorn.conf.py), + 25 (SMTP sink).
PORT_BASE = int(os.environ.get("BENCH_PORT_BASE", "18000"))
PORTAL_PORT, FLOOR_PORT, STANDIN_PORT, HOOKS_FLOOR_PORT, SMTP_PORT = (
    PORT_BASE + n for n in (1, 2, 3, 4, 25)
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
SERVER_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# A name of its own for each run, so that two runs on one server never drop each other's.
DATABASE_NAME = os.environ.get("BENCH_DATABASE_NAME", f"portal_bench_{os.getpid()}")
STRIPE_KEY, WEBHOOK_SECRET = "sk_test_bench_standin", "whsec_bench_standin"
# One key for the run: the loader seals the administrator's two-factor secret, the servers open it.
TOTP_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
LARGE_PDF_MB = 20
SCENARIOS = (
    "floor",
    "catalogue",
    "report",
    "basket",
    "checkout",
    "webhook",
    "admin",
    "export",
    "register",
    "search",
    "slowstripe",
    "growth",
)


def _load(url: str, storage_root: Path, work: Path) -> tuple:
    """Migrate and fill the database; return the scenario data, the seconds it took, the
    server's version and the SQL statements of the pages with a target on them."""
    from stamp_memory import child_generate

    from config import Config
    from portal import create_app

    class LoadConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        STORAGE_ROOT = str(storage_root)
        RATELIMIT_ENABLED = False
        TOTP_ENCRYPTION_KEY = TOTP_KEY

    pdf = work / "large.pdf"
    child_generate(str(pdf), str(LARGE_PDF_MB))
    app = create_app(LoadConfig)
    with app.app_context():
        from flask_migrate import upgrade

        from portal.extensions import db
        from portal.storage import get_storage

        upgrade()
        started = time.perf_counter()
        data = load_portal_data(db.session, get_storage(), pdf.read_bytes())
        seconds = time.perf_counter() - started
        version = db.session.execute(db.text("SHOW server_version")).scalar_one()
    statements = count_statements(app, data)
    with app.app_context():
        db.engine.dispose()
    return data, seconds, version, statements


def portal_environment(url: str, storage_root: Path) -> dict[str, str]:
    """Every production setting, pointing at the bench's database, stand-in and SMTP sink."""
    standin = f"http://127.0.0.1:{STANDIN_PORT}"
    return {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": url,
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TOTP_ENCRYPTION_KEY": TOTP_KEY,
        "STRIPE_API_BASE": standin,
        "PAYMENT_PAGE_ORIGIN": standin,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(SMTP_PORT),
        "MAIL_DEFAULT_SENDER": "Socitm Insight <insight@bench.example>",
        "MAIL_USE_TLS": "0",
        "STORAGE_ROOT": str(storage_root),
        "PROXY_COUNT": "0",
        "PUBLIC_URL": f"http://127.0.0.1:{PORTAL_PORT}",
        "REDIS_URL": REDIS_URL,
        "WEB_CONCURRENCY": "2",
        # One client address sends every request: limits meant for people would refuse it.
        "RATELIMIT_ENABLED": "0",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        # Production refuses to start without the seller's details its documents print.
        **DEMO_DOCUMENT_SETTINGS,
    }


def start_servers(processes: Processes, url: str, storage_root: Path) -> int:
    """Start the SMTP sink, the stand-in, the portal and the floor; the portal master's pid."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    python = str(BIN / "python")
    sink = f"127.0.0.1:{SMTP_PORT}"
    smtp = [python, "-m", "aiosmtpd", "-n", "-l", sink, "-c", "aiosmtpd.handlers.Sink"]
    processes.start("smtp-sink", smtp, dict(os.environ), SMTP_PORT)
    standin = [python, "-m", "stripe_standin", "--port", str(STANDIN_PORT)]
    standin += ["--secret-key", STRIPE_KEY, "--webhook-secret", WEBHOOK_SECRET]
    # The stand-in sends no webhooks: the burst (scenario 5) sends its own, and events sent in the
    # background would land in the middle of other scenarios.
    standin += ["--webhook-url", ""]
    processes.start("stripe-standin", standin, dict(os.environ), STANDIN_PORT)
    portal = processes.start(
        "portal",
        gunicorn_command("wsgi:app", PORTAL_PORT),
        portal_environment(url, storage_root),
        PORTAL_PORT,
    )
    environment = portal_environment(url, storage_root)
    # The floor: gunicorn's own settings with the portal's workers, nothing else.
    floor = neutral_gunicorn_command("floor:app", FLOOR_PORT, environment, chdir=str(BENCH_DIR))
    processes.start("floor", floor, environment, FLOOR_PORT)
    # The same app under the portal's gunicorn.conf.py (its hooks, logging and worker restarts),
    # for a second reference; it checks the production settings, hence the portal's environment.
    hooked = gunicorn_command("floor:app", HOOKS_FLOOR_PORT, chdir=str(BENCH_DIR))
    processes.start("floor-hooks", hooked, environment, HOOKS_FLOOR_PORT)
    return portal.pid


def _signed_in(base: str, email: str, password: str, totp: str | None = None) -> Browser:
    browser = Browser(base)
    browser.sign_in(email, password, totp)
    return browser


def _servers(processes: Processes, url: str, storage_root: Path):
    """For the scenarios that start servers of their own: job workers, and a portal pointed at
    another stand-in."""

    def environment(portal: int, standin: int) -> dict[str, str]:
        here, there = f"http://127.0.0.1:{portal}", f"http://127.0.0.1:{standin}"
        return {
            **portal_environment(url, storage_root),
            **{"STRIPE_API_BASE": there, "PAYMENT_PAGE_ORIGIN": there, "PUBLIC_URL": here},
        }

    def start_workers(count: int):
        # Niced, as docs/deploy.md runs them: the requests come first.
        worker = ["nice", "-n", "10", str(BIN / "flask"), "--app", "wsgi", "worker"]
        env = portal_environment(url, storage_root)
        started = [processes.start(f"job-worker-{n}", worker, env) for n in range(count)]
        # nice runs the worker in its own process: these are the workers' own ids.
        pids = [process.pid for process in started]
        return lambda: [stop_server(processes, process) for process in started], pids

    return environment, start_workers


def run_scenarios(
    bench: Bench, url: str, only: set[str], processes: Processes, storage_root: Path
) -> list[Row]:
    """Each chosen scenario in turn; the floor first, since the others are compared to it."""
    standin = f"http://127.0.0.1:{STANDIN_PORT}"
    environment, start_workers = _servers(processes, url, storage_root)
    slow_ports = Ports(standin=PORT_BASE + 41, portal=PORT_BASE + 42)
    steps = {
        "floor": lambda: floor(bench),
        "catalogue": lambda: [catalogue_list(bench)],
        "report": lambda: report_page(bench),
        "basket": lambda: [add_to_basket(bench)],
        "checkout": lambda: [start_checkout(bench)],
        "webhook": lambda: [webhook_burst(bench, url, standin, WEBHOOK_SECRET, start_workers)],
        "admin": lambda: [admin_order_list(bench)],
        "export": lambda: [csv_export(bench)],
        "register": lambda: [documents_register(bench)],
        "download": lambda: download(bench),
        "search": lambda: catalogue_search(bench),
        "slowstripe": lambda: slow_stripe(
            bench, processes, url, environment, slow_ports, (STRIPE_KEY, WEBHOOK_SECRET)
        ),
    }
    rows: list[Row] = []
    for name, step in steps.items():
        if name in only:
            started = time.perf_counter()
            print(f"… {name}", flush=True)
            done = step()
            rows.extend(done)
            print("\n".join(table(done).splitlines()[2:]), flush=True)
            print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep-database", action="store_true", help="leave portal_bench behind")
    parser.add_argument(
        "--profile", action="store_true", help="sample the workers with py-spy (bench/results/)"
    )
    parser.add_argument("--only", nargs="+", choices=[*SCENARIOS, "download"], default=None)
    parser.add_argument(
        "--large", action="store_true", help="the growth scenario at 1,000,000 orders too"
    )
    options = parser.parse_args()
    # Stopped by a signal, still stop the servers and drop the database (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("make bench: stopped"))
    only = set(options.only or [*SCENARIOS, "download"]) | {"floor"}
    began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    storage_root = work / "storage"
    processes = Processes(work)
    made_static = not STATIC_DIR.exists()
    STATIC_DIR.mkdir(exist_ok=True)
    try:
        with Database(
            SERVER_URL, str(work), 0, name=DATABASE_NAME, keep=options.keep_database
        ) as url:
            print(f"Loading {DATABASE_NAME} …", flush=True)
            data, load_seconds, postgres, statements = _load(url, storage_root, work)
            print(f"  loaded in {load_seconds:.1f} s", flush=True)
            master = start_servers(processes, url, storage_root)
            portal = f"http://127.0.0.1:{PORTAL_PORT}"
            bench = Bench(
                portal=portal,
                floor=f"http://127.0.0.1:{FLOOR_PORT}",
                hooks_floor=f"http://127.0.0.1:{HOOKS_FLOOR_PORT}",
                data=data,
                master_pid=master,
                storage_root=storage_root,
                subscriber=_signed_in(portal, data.subscriber_email, data.subscriber_password),
                buyer=_signed_in(portal, data.buyer_email, data.buyer_password),
                admin=_signed_in(
                    portal, data.admin_email, data.admin_password, data.admin_totp_secret
                ),
                profile=options.profile,
            )
            bench.startup_rss_mb = max(
                status_kib(pid, "VmRSS") / 1024 for pid in worker_pids(master)
            )
            rows = run_scenarios(bench, url, only, processes, storage_root)
            processes.stop_all()
        growth = None
        if "growth" in only:
            # After the servers stop: its databases are filled and read in this process alone.
            print("… growth", flush=True)
            started = time.perf_counter()
            growth = measure_growth(SERVER_URL, str(work), large=options.large)
            print(growth_table(growth), f"\n  done in {time.perf_counter() - started:.0f} s")
    finally:
        processes.stop_all()
        if made_static:
            STATIC_DIR.rmdir()
        keep_logs = os.environ.get("BENCH_KEEP_LOGS")
        if keep_logs:
            print(f"Logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    total = time.perf_counter() - began
    text = write_results(
        rows,
        statements,
        machine(postgres),
        when=datetime.now(UTC),
        load_seconds=load_seconds,
        total_seconds=total,
        growth=growth and (growth_table(growth), plot(growth)),
    )
    print(text)


if __name__ == "__main__":
    main()
