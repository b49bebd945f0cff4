"""The fault stack: the portal in production configuration (gunicorn with two workers, an RQ
worker), with a PostgreSQL server and a Redis server of its own on spare loopback ports (never
the machine's shared ones), the Stripe stand-in, an SMTP sink, and file storage on a small
filesystem of its own (a tmpfs, when this machine lets the run mount one).

Run on its own by ``.ci/run`` (``make faults``), never by ``make test``. Each test stops, freezes
or kills one part in the middle of a journey; the files run in the order of their numbers, and
the last (``test_f9_invariants.py``) checks what must hold whatever failed. Everything started is
stopped at the end, whether the tests pass or not.
"""

import base64
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import redis
from aiosmtpd.controller import Controller

from config import DEMO_DOCUMENT_SETTINGS
from process_group import Processes, wait_for_port
from tests.faults.mail import FaultyInbox
from tests.scaleout.processes import (
    add_logs_to_report,
    port_is_free,
    run,
    standin_argv,
    wait_until_answers,
)

HOST = "127.0.0.1"
POSTGRES_PORT = 18611
REDIS_PORT = 18612
PORTAL_PORT = 18613
STANDIN_PORT = 18614
SMTP_PORT = 18615
POSTGRES_BIN = Path(os.environ.get("FAULTS_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "portal_faults"
#: Small enough to fill in a moment, large enough for the demo reports and their copies.
STORAGE_MEGABYTES = 24

BIN = Path(sys.executable).parent
GUNICORN = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--no-control-socket", "wsgi:app"]
_RUNNING: list["Stack"] = []


def _as_postgres_user() -> list[str]:
    """PostgreSQL refuses to run as root: a root run starts it as the ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass
class Stack:
    portal: str
    standin: str
    inbox: FaultyInbox
    env: dict[str, str]
    processes: Processes
    storage: Path
    storage_is_own_filesystem: bool
    postgres_folder: Path
    notes: list[str] = field(default_factory=list)  # ids of jobs a killed worker was running
    initial_stock: dict[int, int] = field(default_factory=dict)  # print format id -> copies
    orders_before: int = 0  # the highest order id before the run's journeys

    def database(self, name: str = DATABASE) -> psycopg.Connection:
        return psycopg.connect(
            f"host={HOST} port={POSTGRES_PORT} user=postgres dbname={name}", autocommit=True
        )

    def redis(self) -> redis.Redis:
        return redis.Redis(host=HOST, port=REDIS_PORT, socket_timeout=5)

    # -- the parts, stopped, frozen, killed and started again ---------------------------------

    def pid_of(self, name: str) -> int:
        for started, process in reversed(self.processes.started):
            if started == name and process.poll() is None:
                return process.pid
        raise LookupError(f"{name} is not running")

    def freeze(self, name: str) -> None:
        os.killpg(self.pid_of(name), signal.SIGSTOP)

    def thaw(self, name: str) -> None:
        os.killpg(self.pid_of(name), signal.SIGCONT)

    def kill(self, name: str) -> None:
        """SIGKILL the part's whole process group, as a crash or the OOM killer would."""
        self.stop(name, signal.SIGKILL)

    def stop(self, name: str, signum: int = signal.SIGTERM) -> None:
        """Signal the part's process group and wait for it to exit (SIGKILL after 20 s)."""
        pid = self.pid_of(name)
        os.killpg(pid, signum)
        for _started, process in self.processes.started:
            if process.pid == pid:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(pid, signal.SIGKILL)
                    process.wait(timeout=10)
        self.processes.started = [(n, p) for n, p in self.processes.started if p.pid != pid]

    def start_worker(self) -> None:
        self.processes.start("worker", _flask("worker", "--sweep-interval", "2"), self.env)

    def start_redis(self) -> None:
        self.processes.start(
            "redis",
            [
                "redis-server",
                "--bind",
                HOST,
                "--port",
                str(REDIS_PORT),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            self.env,
            port=REDIS_PORT,
        )

    def start_postgres(self) -> None:
        self.processes.start(
            "postgres",
            [
                *_as_postgres_user(),
                str(POSTGRES_BIN / "postgres"),
                "-D",
                str(self.postgres_folder / "pgdata"),
                "-p",
                str(POSTGRES_PORT),
                "-k",
                str(self.postgres_folder / "pgsocket"),
                "-c",
                f"listen_addresses={HOST}",
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
            ],
            self.env,
            port=POSTGRES_PORT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.database("postgres").close()
                return
            except psycopg.OperationalError:  # accepting connections, still starting up
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def _flask(*args: str) -> list[str]:
    return [str(BIN / "flask"), "--app", "wsgi", *args]


def _production_env(storage: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108 - a fallback only
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": f"postgresql+psycopg://postgres@{HOST}:{POSTGRES_PORT}/{DATABASE}",
        "DATABASE_CONNECT_TIMEOUT": "2",
        "REDIS_URL": f"redis://{HOST}:{REDIS_PORT}/0",
        "STRIPE_SECRET_KEY": "sk_test_faults_" + secrets.token_hex(8),
        "STRIPE_WEBHOOK_SECRET": "whsec_faults_" + secrets.token_hex(8),
        # A frozen Stripe is given up on after 2 + 3 seconds, tried twice: far inside the app
        # server's own limit, below.
        "STRIPE_CONNECT_TIMEOUT": "2",
        "STRIPE_READ_TIMEOUT": "3",
        "STRIPE_NETWORK_RETRIES": "1",
        "TOTP_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "STRIPE_API_BASE": f"http://{HOST}:{STANDIN_PORT}",
        "PAYMENT_PAGE_ORIGIN": f"http://{HOST}:{STANDIN_PORT}",
        "MAIL_SERVER": HOST,
        "MAIL_PORT": str(SMTP_PORT),
        "MAIL_USE_TLS": "0",
        "MAIL_TIMEOUT": "3",
        "MAIL_DEFAULT_SENDER": "Socitm Insight <insight@socitm.example>",
        # An email whose sender died is sent again after 5 seconds (60 in production).
        "OUTBOX_CLAIM_SECONDS": "5",
        "PROXY_COUNT": "0",
        "PUBLIC_URL": f"http://{HOST}:{PORTAL_PORT}",
        "BIND": f"{HOST}:{PORTAL_PORT}",
        "LOG_FORMAT": "json",
        "WEB_CONCURRENCY": "2",
        # A worker killed by its timeout would answer the buyer with a bare error: every
        # outbound call above gives up well before this.
        "GUNICORN_TIMEOUT": "20",
        "STORAGE_BACKEND": "local",
        "STORAGE_ROOT": str(storage),
        **DEMO_DOCUMENT_SETTINGS,
    }


def _mount_small_filesystem(folder: Path) -> bool:
    """A tmpfs of STORAGE_MEGABYTES at ``folder``, so that a full disk and a read-only one can
    be had for real; False where this run may not mount one (then a plain folder is used)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        ["mount", "-t", "tmpfs", "-o", f"size={STORAGE_MEGABYTES}m", "tmpfs", str(folder)],  # noqa: S607
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _initdb(folder: Path) -> None:
    data = folder / "pgdata"
    sockets = folder / "pgsocket"
    folder.chmod(0o755)
    data.mkdir()
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(data, "postgres")
        shutil.chown(sockets, "postgres")
    subprocess.run(  # noqa: S603 - our own command, no shell
        [
            *_as_postgres_user(),
            str(POSTGRES_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    ports = (POSTGRES_PORT, REDIS_PORT, PORTAL_PORT, STANDIN_PORT, SMTP_PORT)
    busy = [port for port in ports if not port_is_free(port)]
    if busy:
        pytest.fail(f"loopback ports already in use: {busy}")
    if not (POSTGRES_BIN / "initdb").exists() or not shutil.which("redis-server"):
        pytest.fail(f"needs PostgreSQL's programs in {POSTGRES_BIN} and redis-server")
    folder = tmp_path_factory.mktemp("faults")
    logs = folder / "logs"
    logs.mkdir()
    storage = folder / "storage"
    storage.mkdir()
    # Outside pytest's temporary folders, which only root may enter: PostgreSQL runs as its own
    # user when the run is root's.
    postgres_folder = Path(tempfile.mkdtemp(prefix="portal-faults-postgres-"))
    own_filesystem = _mount_small_filesystem(storage)
    processes = Processes(logs)
    inbox = FaultyInbox()
    smtp = Controller(inbox, hostname=HOST, port=SMTP_PORT)
    env = _production_env(storage)
    running = Stack(
        portal=f"http://{HOST}:{PORTAL_PORT}",
        standin=f"http://{HOST}:{STANDIN_PORT}",
        inbox=inbox,
        env=env,
        processes=processes,
        storage=storage,
        storage_is_own_filesystem=own_filesystem,
        postgres_folder=postgres_folder,
    )
    try:
        smtp.start()
        _initdb(postgres_folder)
        with processes:
            running.start_postgres()
            with running.database("postgres") as connection:
                connection.execute(f'CREATE DATABASE "{DATABASE}"')
            running.start_redis()
            run(_flask("db", "upgrade"), env, timeout=300)
            run(_flask("seed-demo"), env, timeout=300)
            processes.start(
                "stripe-standin",
                standin_argv(HOST, STANDIN_PORT, env, f"{running.portal}/stripe/webhook"),
                env,
            )
            processes.start(
                "portal",
                GUNICORN,
                env,
            )
            running.start_worker()
            with running.database() as connection:
                running.initial_stock = dict(
                    connection.execute("SELECT id, stock FROM report_formats WHERE kind = 'print'")
                )
                running.orders_before = connection.execute(
                    "SELECT coalesce(max(id), 0) FROM orders"
                ).fetchone()[0]
            wait_for_port(STANDIN_PORT, process=processes.started[-3][1])
            wait_until_answers(f"{running.portal}/", processes)
            _RUNNING.append(running)
            yield running
            _RUNNING.clear()
    finally:
        processes.stop_all()
        smtp.stop()
        if own_filesystem:
            subprocess.run(["umount", "-l", str(storage)], check=False)  # noqa: S603,S607
        shutil.rmtree(postgres_folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _servers_still_running(stack):
    """After each test, every part is running again (a test that stopped one restarts it) and
    none has died on its own; a part that did says so with the end of its log."""
    yield
    stack.processes.check_running()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report ends with the last lines each part logged."""
    outcome = yield
    if _RUNNING:
        add_logs_to_report(outcome.get_result(), _RUNNING[0].processes, lines=60)
