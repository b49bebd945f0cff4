"""What the whole suite shares: signing in, CSRF tokens, the tests' Redis and its failed jobs."""

import json
import os
import re
import secrets
import threading
from dataclasses import dataclass

import pyotp
import redis
import stripe
from flask_migrate import upgrade
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from portal.accounts import signed_in
from portal.accounts.models import User
from portal.extensions import db
from portal.jobs.queue import job_queue, redis_connection

TEST_PASSWORD = "plum tractor lantern 42"


#: The schema the migrations built on in-memory SQLite, kept for the next test session in this
#: process (here, not in the conftest, which pytest imports afresh for each session). One
#: session runs the migrations once; mutation testing (``make mutation``) runs a session for each
#: change it tries, in processes forked from one that ran them already, and running every
#: migration again took two of the three seconds each of those sessions took.
_MIGRATED_SQLITE: list[bytes] = []

#: The application an earlier test session of this process built, by database URL, when it may
#: be used again: under mutation testing (``MUTANT_UNDER_TEST`` set), whose session for each
#: change it tries would otherwise build the whole application again (every blueprint's routes
#: compiled), which cost more than most of those sessions' tests.
KEPT_APPS: dict[str, object] = {}


def migrate_test_database(database_url: str) -> None:
    """Bring the tests' empty database to the migrations' head; on in-memory SQLite, from the
    copy an earlier session of this process kept, when there is one."""
    if database_url != "sqlite://":
        upgrade()
        return
    if not _MIGRATED_SQLITE:
        upgrade()
    raw = db.engine.raw_connection()  # the one connection of an in-memory database
    try:
        if _MIGRATED_SQLITE:
            raw.driver_connection.deserialize(_MIGRATED_SQLITE[0])
        else:
            _MIGRATED_SQLITE.append(raw.driver_connection.serialize())
    finally:
        raw.close()


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/sign-in") -> str:
    """The CSRF token of this client's session, read from a page's form as a browser would."""
    page = client.get(path).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in_without_a_code(app, client, user) -> None:
    """Give ``client`` a live signed-in session of ``user`` that has not proved a second factor,
    as a "remember me" return does."""
    with app.app_context():
        token = signed_in.start(db.session.get(User, user.id), "", "127.0.0.1")
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


TWO_FACTOR_PATH = "/sign-in/two-factor"


def current_code(app, email: str) -> str:
    """What the person's authenticator app shows now.

    The record of the last step used is cleared first, so a test may sign the same person in
    several times within one 30-second step (each real sign-in would be a step apart).
    """
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        user.totp_last_step = None
        db.session.commit()
        return pyotp.TOTP(user.totp_secret).now()


def complete_two_factor(client, email: str, path: str = TWO_FACTOR_PATH):
    """Give the code step of signing in (or of returning to /admin) a current code."""
    token = csrf_token(client, path)
    code = current_code(client.application, email)
    return client.post(path, data={"csrf_token": token, "code": code})


class AuthActions:
    def __init__(self, client, post_form):
        self._client = client
        self._post = post_form

    def sign_in(self, email: str, password: str = TEST_PASSWORD, **extra):
        """Sign in; for an account with two-factor sign-in, give a code from its app as well."""
        response = self._post("/sign-in", {"email": email, "password": password, **extra})
        if response.headers.get("Location") == TWO_FACTOR_PATH:
            response = complete_two_factor(self._client, email)
        return response

    def sign_out(self):
        token = csrf_token(self._client, "/")
        return self._client.post("/sign-out", data={"csrf_token": token})


# Redis: the job queue and shared rate-limit counts. Tests marked ``redis`` use the server at
# TEST_REDIS_URL, or the local one's database 1. Each such test works in a namespace of its own
# (``RedisSpace``) and removes only its own keys, so test runs sharing that server and database
# (two checkouts on one machine, parallel workers) never disturb each other.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/1"


@dataclass(frozen=True)
class RedisSpace:
    """One test's part of the tests' Redis: a client, and the name every key it writes carries
    (the job queue's name, the rate limits' key prefix)."""

    client: redis.Redis
    name: str

    @classmethod
    def new(cls, client: redis.Redis) -> "RedisSpace":
        # The process id tells whose keys they are; the random part keeps forked processes
        # (which share the parent's random state only until they draw) and repeated runs apart.
        return cls(client, f"portal-tests-{os.getpid()}-{secrets.token_hex(6)}")

    @property
    def limits_prefix(self) -> str:
        """The prefix of the rate-limit counts of app servers built for this test."""
        return f"LIMITS-{self.name}"

    def keys(self) -> list[str]:
        """Every key of this namespace (RQ's jobs included), as text."""
        names = {key.decode() for key in self.client.scan_iter(match=f"*{self.name}*")}
        return sorted(names | self._job_keys())

    def _job_keys(self) -> set[str]:
        queue = Queue(self.name, connection=self.client)
        ids = set(queue.get_job_ids())
        for registry in (
            queue.started_job_registry,
            queue.finished_job_registry,
            queue.failed_job_registry,
            queue.scheduled_job_registry,
            queue.deferred_job_registry,
            queue.canceled_job_registry,
        ):
            ids.update(registry.get_job_ids())
        keys = set()
        for job_id in ids:
            keys.add(f"rq:job:{job_id}")
            keys.update(
                key.decode() for key in self.client.scan_iter(match=f"rq:*:{job_id}*", count=1000)
            )
        return {key for key in keys if self.client.exists(key)}

    def _worker_keys(self) -> set[str]:
        # A worker's key names no queue (it expires by itself a little after the worker stops).
        return {
            key.decode()
            for key in self.client.scan_iter(match="rq:worker:*", _type="HASH")
            if self.client.hget(key, "queues") == self.name.encode()
        }

    def remove(self) -> None:
        """Delete this namespace's keys, and nobody else's."""
        keys = self.keys() + sorted(self._worker_keys())
        if keys:
            self.client.delete(*keys)
        self.client.srem("rq:queues", f"rq:queue:{self.name}")


#: A port where no Redis listens: Redis is down.
UNREACHABLE_REDIS_URL = "redis://127.0.0.1:18399/1"


def failed_jobs(app) -> list:
    """The dead letters: jobs on the tests' queue that failed every try."""
    with app.app_context():
        queue = job_queue(redis_connection())
        registry = FailedJobRegistry(queue=queue)
        return [Job.fetch(job_id, connection=queue.connection) for job_id in registry.get_job_ids()]


# A guest's checkout details and a webhook signed as Stripe signs it.

GUEST = {"name": "Jo Evans", "email": "jo.evans@eastbridge.gov.uk", "organisation": "Eastbridge"}


ADDRESS = {
    "address_line1": "Town Hall",
    "address_line2": "",
    "town": "Eastbridge",
    "postcode": "EB1 2CD",
}


#: Paying on invoice with the purchase order to follow, as the payment page asks for it.
PO_TO_FOLLOW = {
    "po_number": "",
    "po_to_follow": "y",
    "billing_line1": "Finance, Civic Centre",
    "billing_line2": "",
    "billing_town": "Leeds",
    "billing_postcode": "LS1 1UR",
    "finance_email": "payables@leeds.gov.uk",
}


def signed_webhook(payload: dict, secret: str) -> tuple[str, dict[str, str]]:
    """The body of ``payload`` and the headers Stripe would send it with, signed with ``secret``."""
    body = json.dumps(payload)
    signature = stripe.WebhookSignature.generate_signature_header(body, secret)
    return body, {"Stripe-Signature": signature, "Content-Type": "application/json"}


def run_together(app, *actions) -> list:
    """Run each action in its own thread (own application context, own connections), all
    released at the same moment; return what each returned, or raise what one raised."""
    start = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        try:
            with app.app_context():
                start.wait()
                results[index] = action()
        except BaseException as error:  # reported by the test, not lost in the thread
            results[index] = error

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def stored_report(app, slug: str):
    """The report with this slug as the database has it now (formats loaded), or None."""
    from portal.catalogue.models import Report

    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.slug == slug))
        if report is not None:
            report.formats  # noqa: B018 (loaded while the session is open)
        return report


def stored_files(app) -> set:
    """Every file in storage (shared by the whole test session), temporary files included."""
    from portal.storage import get_storage

    with app.app_context():
        return {path for path in get_storage().root.rglob("*") if path.is_file()}
