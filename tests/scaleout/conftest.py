"""The scale-out stack: two gunicorn instances of the portal in production configuration sharing
one PostgreSQL database, Redis and an object store, with an SMTP server and the Stripe stand-in.

Run on its own (``make scaleout``; ``--confcutdir=tests/scaleout`` keeps the unit suite's fixtures
out). It needs PostgreSQL (``SCALEOUT_DATABASE_URL``, by default the local server) and Redis on
this machine; it uses Redis database 3, which it empties, and loopback ports 18501-18505.
Everything it starts is stopped at the end, whether the tests pass or not.
"""

import base64
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
import redis
from aiosmtpd.controller import Controller

from config import DEMO_DOCUMENT_SETTINGS
from process_group import Processes
from tests.email.helpers import Inbox
from tests.scaleout.processes import (
    add_logs_to_report,
    port_is_free,
    run,
    standin_argv,
    wait_until_answers,
)
from tests.scratch_database import scratch_database

DATABASE_SERVER = os.environ.get(
    "SCALEOUT_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = "redis://127.0.0.1:6379/3"
HOST = "127.0.0.1"
INSTANCE_PORTS = (18501, 18502)
STANDIN_PORT = 18503
S3_PORT = 18504
SMTP_PORT = 18505
BUCKET = "insight-scaleout"
BUYER_DOMAIN = "eastbridge.gov.uk"

BIN = Path(sys.executable).parent
_RUNNING: list["Stack"] = []  # the stack of this run, for the logs shown when a test fails


@dataclass
class Stack:
    instances: list[str]
    standin: str
    inbox: Inbox
    redis: redis.Redis
    env: dict[str, str]
    processes: Processes
    s3: object
    notes: list[str] = field(default_factory=list)

    def stored_keys(self) -> set[str]:
        """Every key in the bucket."""
        listed = self.s3.list_objects_v2(Bucket=BUCKET)
        return {item["Key"] for item in listed.get("Contents", [])}


def _flask(*args: str) -> list[str]:
    return [str(BIN / "flask"), "--app", "wsgi", *args]


def _production_env(database_url: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108 - a fallback only
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "JOB_QUEUE_NAME": "portal-scaleout",
        "STRIPE_SECRET_KEY": "sk_test_scaleout_" + secrets.token_hex(8),
        "STRIPE_WEBHOOK_SECRET": "whsec_scaleout_" + secrets.token_hex(8),
        "TOTP_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "STRIPE_API_BASE": f"http://{HOST}:{STANDIN_PORT}",
        "PAYMENT_PAGE_ORIGIN": f"http://{HOST}:{STANDIN_PORT}",
        "MAIL_SERVER": HOST,
        "MAIL_PORT": str(SMTP_PORT),
        "MAIL_USE_TLS": "0",
        "MAIL_DEFAULT_SENDER": "Socitm Insight <insight@socitm.example>",
        "PROXY_COUNT": "0",
        # Links in emails point to the first instance; the test's browser sends each request to
        # the next one in turn.
        "PUBLIC_URL": f"http://{HOST}:{INSTANCE_PORTS[0]}",
        "LOG_FORMAT": "json",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_TIMEOUT": "60",
        # Files in the S3-compatible store (moto's server), downloads by pre-signed redirect.
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": f"http://{HOST}:{S3_PORT}",
        "S3_REGION": "eu-west-2",
        "S3_DOWNLOADS": "presigned",
        "AWS_ACCESS_KEY_ID": "scaleout-access-key",
        "AWS_SECRET_ACCESS_KEY": "scaleout-secret-key",  # moto accepts any
        "AWS_EC2_METADATA_DISABLED": "true",
        **DEMO_DOCUMENT_SETTINGS,
    }
    return env


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    busy = [p for p in (*INSTANCE_PORTS, STANDIN_PORT, S3_PORT, SMTP_PORT) if not port_is_free(p)]
    if busy:
        pytest.fail(f"loopback ports already in use: {busy}")
    folder = tmp_path_factory.mktemp("scaleout")
    logs = folder / "logs"
    logs.mkdir()
    processes = Processes(logs)
    inbox = Inbox()
    smtp = Controller(inbox, hostname=HOST, port=SMTP_PORT)
    smtp.start()
    shared_redis = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    shared_redis.flushdb()
    try:
        # The servers stop (leaving the with, even on an error) before the database is dropped.
        with scratch_database(DATABASE_SERVER, prefix="portal_scaleout") as database_url, processes:
            env = _production_env(database_url)
            processes.start(
                "s3", [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(S3_PORT)], env
            )
            wait_until_answers(f"http://{HOST}:{S3_PORT}/moto-api/", processes)
            s3 = boto3.client(
                "s3",
                endpoint_url=f"http://{HOST}:{S3_PORT}",
                region_name="eu-west-2",
                aws_access_key_id="scaleout-access-key",
                aws_secret_access_key="scaleout-secret-key",
            )
            s3.create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
            )
            run(_flask("db", "upgrade"), env)
            run(_flask("seed-demo"), env)
            instances = [f"http://{HOST}:{port}" for port in INSTANCE_PORTS]
            # Stripe delivers every event to one address; here, the first instance.
            processes.start(
                "stripe-standin",
                standin_argv(HOST, STANDIN_PORT, env, f"{instances[0]}/stripe/webhook"),
                env,
            )
            for number, port in enumerate(INSTANCE_PORTS, start=1):
                processes.start(
                    f"portal-{number}",
                    [
                        str(BIN / "gunicorn"),
                        "-c",
                        "gunicorn.conf.py",
                        # gunicorn's control socket is one path per user by default: two
                        # instances on one host would take it from each other.
                        "--no-control-socket",
                        "wsgi:app",
                    ],
                    {**env, "BIND": f"{HOST}:{port}"},
                )
            # The worker takes the job queue in Redis: emails and stamping happen there.
            processes.start("worker", _flask("worker"), env)
            wait_until_answers(f"http://{HOST}:{STANDIN_PORT}/_standin/", processes)
            for instance in instances:
                wait_until_answers(f"{instance}/", processes)
            running = Stack(
                instances=instances,
                standin=f"http://{HOST}:{STANDIN_PORT}",
                inbox=inbox,
                redis=shared_redis,
                env=env,
                processes=processes,
                s3=s3,
            )
            _RUNNING.append(running)
            yield running
            _RUNNING.clear()
    finally:
        processes.stop_all()
        smtp.stop()
        shared_redis.flushdb()
        shared_redis.close()


@pytest.fixture(autouse=True)
def _servers_still_running(stack, request):
    """After each test, a server that died says so with the end of its log."""
    yield
    stack.processes.check_running()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report ends with the last lines each server logged."""
    outcome = yield
    if _RUNNING:
        add_logs_to_report(outcome.get_result(), _RUNNING[0].processes)
