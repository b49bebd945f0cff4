"""Fixtures for the whole suite.

``TEST_DATABASE_URL`` picks the database: in-memory SQLite by default, or a PostgreSQL server, on
which a fresh database is created for the test session and dropped after it. The schema is built by
running the migrations, never by ``create_all``. Each test runs inside a transaction that is rolled
back afterwards, so tests never see each other's rows.
"""

import json
import os
import re
import signal
import threading
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pyotp
import pytest
import redis
from flask import has_app_context
from rq import SimpleWorker
from sqlalchemy import event, make_url, select
from sqlalchemy.orm import selectinload
from werkzeug.serving import WSGIRequestHandler, make_server

from config import TestingConfig
from portal import create_app, pricing
from portal.accounts.models import User
from portal.accounts.services import hash_password
from portal.catalogue.cache import catalogue_changed
from portal.catalogue.kept_stock import stock_changed
from portal.catalogue.models import FormatKind, Report, ReportFormat
from portal.checkout.services import place_order
from portal.clock import utcnow
from portal.content import services as content
from portal.content.models import ContentVersion
from portal.content.pages import ContentPage
from portal.demo.sample_pdf import sample_report_pdf
from portal.extensions import db
from portal.jobs.queue import job_queue, redis_connection
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.orders.services import Buyer, Delivery, InvoiceDetails, Item
from portal.organisations.membership_cache import memberships_changed
from portal.organisations.models import (
    InsightSubscription,
    Organisation,
    OrganisationDomain,
    OrganisationKind,
    PublicSectorDomain,
)
from portal.payments.models import CheckoutAttempt
from portal.storage import get_storage
from stripe_standin.testing import start
from tests.helpers import (
    ADDRESS,
    GUEST,
    KEPT_APPS,
    TEST_PASSWORD,
    TEST_REDIS_URL,
    AuthActions,
    RedisSpace,
    csrf_token,
    migrate_test_database,
    signed_webhook,
)


def pytest_collection_modifyitems(config, items):
    if "__mutmut_" in os.environ.get("MUTANT_UNDER_TEST", ""):
        _quickest_first(items)
    on_postgres = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords and not on_postgres:
            item.add_marker(skip)
        if "redis_space" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)  # so `-m "not redis"` leaves them out


# make mutation runs, for each change, the tests that reach it until one fails. Its first pass
# (``stats``) runs them all: the time each took, set-up and tear-down included (mutmut records
# the test's body alone), is written beside its results, and each change then runs the quickest
# first, so that a change most tests notice is caught in the least time.
_TEST_TIMES = "test-times.json"  # in mutants/, where mutmut runs the tests
_times: dict[str, float] = {}


def pytest_runtest_logreport(report):
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        _times[report.nodeid] = _times.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session):
    if os.environ.get("MUTANT_UNDER_TEST") == "stats" and _times:
        Path(_TEST_TIMES).write_text(json.dumps(_times), encoding="utf-8")


def _quickest_first(items) -> None:
    try:
        times = json.loads(Path(_TEST_TIMES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    items.sort(key=lambda item: times.get(item.nodeid, float("inf")))


@pytest.fixture(scope="session")
def database_url():
    url = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    if not url.startswith("postgresql"):
        yield url
        return
    import psycopg

    server = make_url(url)
    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    storage = str(tmp_path_factory.mktemp("storage"))
    # Mutation testing runs a session for each change it tries, in processes forked from one
    # that ran the tests already: the application that one built is used again, its database
    # as every test's rollback left it, with this session's storage folder.
    keep = "MUTANT_UNDER_TEST" in os.environ
    if keep and database_url in KEPT_APPS:
        kept = KEPT_APPS[database_url]
        kept.config["STORAGE_ROOT"] = storage
        yield kept
        return

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        STORAGE_ROOT = storage
        INSTANCE_PATH = str(tmp_path_factory.mktemp("instance"))

    app = create_app(Config)
    with app.app_context():
        migrate_test_database(database_url)
    if keep:
        KEPT_APPS[database_url] = app
        yield app
        return
    yield app
    with app.app_context():
        db.engine.dispose()


#: Reference data the migrations put in place, which every test may rely on: kept when the
#: tables are emptied after a test that commits for real.
SEEDED_BY_MIGRATIONS = frozenset({"public_sector_domains"})


@pytest.fixture(autouse=True)
def _rolled_back(request, app):
    """Run each test in a transaction that is rolled back afterwards.

    Flask-SQLAlchemy 3 ignores a session bound to a connection, so the engines themselves are
    swapped for one open connection (pallets-eco/flask-sqlalchemy#1171). Services' commits end
    savepoints inside it (``join_transaction_mode="create_savepoint"``).

    Tests marked ``real_transactions`` (concurrency on PostgreSQL) commit for real on their own
    connections instead; every table is emptied after them.

    The catalogue, membership and stock copies are emptied after every test, as the rollback takes
    their rows away.
    """
    request.addfinalizer(lambda: catalogue_changed(app))
    request.addfinalizer(lambda: memberships_changed(app))
    request.addfinalizer(lambda: stock_changed(app))
    if request.node.get_closest_marker("real_transactions"):
        yield
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    if table.name not in SEEDED_BY_MIGRATIONS:
                        connection.execute(table.delete())
        return
    with app.app_context():
        engines = db.engines  # this app's engines, kept by the extension beyond the context
    originals = dict(engines)
    opened = []
    for key, engine in originals.items():
        connection = engine.connect()
        opened.append((connection, connection.begin()))
        engines[key] = connection
    try:
        # No application context is held while the test runs: each client request gets its own,
        # as it would in production (its own ``g``, its own database session).
        yield
    finally:
        with app.app_context():
            db.session.remove()
        for connection, transaction in opened:
            transaction.rollback()
            connection.close()
        engines.update(originals)


#: Statements that open, mark or end transactions (the test's own savepoints): not queries.
_TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as statements:`` lists the SQL statements (SELECT, INSERT, UPDATE,
    DELETE) the block runs in this thread, e.g. one request through the client (a webhook the
    Stripe stand-in delivers meanwhile, in another thread, is not counted)."""

    @contextmanager
    def counting():
        statements: list[str] = []
        thread = threading.get_ident()
        with app.app_context():
            bind = db.engine  # in tests, the connection the test's transaction runs on

        def record(conn, cursor, statement, parameters, context, executemany):
            if threading.get_ident() == thread and not _TRANSACTION_CONTROL.match(statement):
                statements.append(statement)

        event.listen(bind, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(bind, "before_cursor_execute", record)

    return counting


@pytest.fixture
def ctx(app):
    """An application context for tests that call services directly."""
    with app.test_request_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app):
    """The emails sent during the test (Flask-Mailman's in-memory backend keeps them here)."""
    state = app.extensions["mailman"]
    state.outbox = []
    return state.outbox


@pytest.fixture
def post_form(client):
    """POST a form the way a browser does: with the CSRF token from the page it came from."""

    def post(path: str, data: dict, *, form_page: str | None = None, **kwargs):
        token = csrf_token(client, form_page or path)
        return client.post(path, data={"csrf_token": token, **data}, **kwargs)

    return post


@pytest.fixture
def auth(client, post_form):
    return AuthActions(client, post_form)


@pytest.fixture
def admin(create_user, auth):
    """An administrator, signed in on ``client`` (second factor included)."""
    user = create_user(is_admin=True)
    auth.sign_in(user.email)
    return user


def persist(app, obj, *relationships: str):
    """Add ``obj`` and make it visible to the test's requests.

    Inside a test that holds an app context (service tests, with ``ctx``) this only flushes. A test
    that drives the client holds none: the object is committed (which ends a savepoint inside the
    test's transaction, so it is still rolled back after the test) and returned detached, with its
    columns and the named relationships loaded.
    """
    if has_app_context():
        db.session.add(obj)
        db.session.flush()
        return obj
    with app.app_context():
        db.session.add(obj)
        db.session.commit()
        db.session.refresh(obj)
        for name in relationships:
            getattr(obj, name)
    return obj


@pytest.fixture
def create_user(app):
    """Add a user (verified unless told otherwise) and flush; password is TEST_PASSWORD.

    An administrator gets two-factor sign-in set up (pass ``totp_enabled_at=None`` for one without)
    and has confirmed being one (pass ``admin_confirmed_at=None`` for one who has not).
    """
    counter = iter(range(1, 10_000))

    def create(**overrides) -> User:
        n = next(counter)
        with app.app_context():
            password_hash = hash_password(overrides.pop("password", TEST_PASSWORD))
        verified = overrides.pop("verified", True)
        user = User(
            email=f"person{n}@example.gov.uk",
            name=f"Person {n}",
            organisation_name="Example Council",
            password_hash=password_hash,
            email_verified_at=utcnow() if verified else None,
        )
        with app.app_context():  # a TOTP secret is sealed with the app's key
            for key, value in overrides.items():
                setattr(user, key, value)
            if user.is_admin and "totp_enabled_at" not in overrides:
                # Administrators must sign in with a second factor: give them an app already set up.
                user.totp_secret = pyotp.random_base32()
                user.totp_enabled_at = utcnow()
        if user.is_admin and "admin_confirmed_at" not in overrides:
            user.admin_confirmed_at = utcnow()  # as if they had followed the emailed link
        return persist(app, user)

    return create


@pytest.fixture
def create_report(app):
    """Add a report with PDF and print formats (override with ``formats=[...]``) and flush;
    ``with_pdf=True`` also stores a sample PDF for it."""
    counter = iter(range(1, 10_000))

    def create(**overrides) -> Report:
        n = next(counter)
        formats = overrides.pop("formats", None)
        with_pdf = overrides.pop("with_pdf", False)
        report = Report(
            slug=f"report-{n}",
            title=f"Report number {n}",
            series="Test series",
            published_on=date(2006, 2, 14),
            summary=f"Summary of report {n}.\n\nSecond paragraph.",
            contents="First chapter\nSecond chapter",
            is_published=True,
        )
        for key, value in overrides.items():
            setattr(report, key, value)
        if with_pdf:
            report.pdf_file_key = f"reports/{report.slug}.pdf"
            with app.app_context():
                get_storage().save(
                    report.pdf_file_key,
                    sample_report_pdf(report.title, report.series, report.contents_items),
                )
        report.formats = formats or [
            ReportFormat(kind=FormatKind.PDF, price_pence=14_500, subscriber_price_pence=0),
            ReportFormat(kind=FormatKind.PRINT, price_pence=17_500, stock=10),
        ]
        return persist(app, report, "formats")

    return create


@pytest.fixture
def create_order(app, create_report):
    """Place an order through the ordering service and flush; returns the order.

    ``lines`` is a list of ``(report_format, quantity)``; without it the order is ``pdf`` PDF
    copies and ``prints`` printed copies of ``report`` (a new report unless given), a line for
    each kind ordered. ``method``, ``person``, ``buyer``, ``on`` (the London day it is placed),
    ``delivery`` and ``invoice`` go to ``place_order``; ``state`` and any other ``fields`` are set
    on the order afterwards. Outside an app context the order is committed (see ``persist``) and
    returned with its lines loaded.
    """

    def create(
        lines=None,
        *,
        report: Report | None = None,
        pdf: int = 1,
        prints: int = 0,
        method: PaymentMethod = PaymentMethod.CARD,
        person: pricing.Person = pricing.GUEST,
        buyer: Buyer | None = None,
        on: date = date(2026, 11, 26),
        delivery: Delivery | None = None,
        invoice: InvoiceDetails | None = None,
        state: OrderState | None = None,
        **fields,
    ) -> Order:
        if lines is None:
            report = report or create_report()
            kinds = {FormatKind.PDF: pdf, FormatKind.PRINT: prints}
            lines = [
                (next(f for f in report.formats if f.kind is kind), quantity)
                for kind, quantity in kinds.items()
                if quantity
            ]

        def place() -> Order:
            order = place_order(
                buyer or Buyer("jo.evans@eastbridge.gov.uk", "Jo Evans", "Eastbridge Council"),
                person,
                [Item(db.session.get(ReportFormat, f.id), quantity) for f, quantity in lines],
                on,
                method,
                delivery=delivery,
                invoice=invoice,
            )
            if state is not None:
                order.state = state
            for key, value in fields.items():
                setattr(order, key, value)
            return order

        if has_app_context():
            order = place()
            db.session.flush()
            return order
        with app.app_context():
            order = place()
            db.session.commit()
            db.session.refresh(order)
            order.lines  # noqa: B018  (load them before the session goes)
        return order

    return create


@pytest.fixture
def create_organisation(app):
    """Add an organisation with a domain and (optionally) one subscription period, and flush."""
    counter = iter(range(1, 10_000))

    def create(
        *, domain: str | None = None, subscribed: tuple[date, date] | None = None, **overrides
    ) -> Organisation:
        n = next(counter)
        organisation = Organisation(name=f"Council {n}", kind=OrganisationKind.COUNCIL)
        for key, value in overrides.items():
            setattr(organisation, key, value)
        organisation.domains = [OrganisationDomain(domain=domain or f"council{n}.gov.uk")]
        if subscribed:
            organisation.subscriptions = [
                InsightSubscription(starts_on=subscribed[0], ends_on=subscribed[1])
            ]
        return persist(app, organisation, "domains", "subscriptions")

    return create


@pytest.fixture
def publish_page(app):
    """Publish the next version of a content page (``body`` in Markdown) and make it visible to
    the test's requests; returns the version."""

    def publish(
        page: ContentPage, body: str = "Some words.", title: str | None = None, author=None
    ) -> ContentVersion:
        def add() -> ContentVersion:
            current = content.current_version(page)
            draft = content.Draft(title or page.label, body, "", current.id if current else None)
            return content.publish(author, page, draft)

        if has_app_context():
            return add()
        with app.app_context():
            version = add()
            db.session.commit()
            db.session.refresh(version)
            return version

    return publish


@pytest.fixture
def redis_space():
    """This test's own namespace in the tests' Redis (``tests.helpers.RedisSpace``): its keys
    are removed after the test, and only they, so another test run using the same server and
    database at the same time is never disturbed.

    Skipped when Redis cannot be reached, unless TEST_REDIS_URL is set (CI sets it): then the
    test fails, so a broken Redis is never mistaken for a pass.
    """
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        if os.environ.get("TEST_REDIS_URL"):
            pytest.fail(f"TEST_REDIS_URL is set but Redis cannot be reached: {error}")
        pytest.skip(f"needs Redis at {TEST_REDIS_URL} ({error}); set TEST_REDIS_URL to require it")
    space = RedisSpace.new(client)
    yield space
    space.remove()
    client.close()


@pytest.fixture
def jobs_on_redis(app, monkeypatch, redis_space):
    """Background jobs go on a queue of this test's own in the tests' Redis instead of running
    at once; a failed job is retried three times straight away (no waiting between tries)."""
    monkeypatch.setitem(app.config, "REDIS_URL", TEST_REDIS_URL)
    monkeypatch.setitem(app.config, "JOB_QUEUE_NAME", redis_space.name)
    monkeypatch.setitem(app.config, "JOB_RETRY_INTERVALS", (0, 0, 0))
    return redis_space


class _BurstWorker(SimpleWorker):
    """RQ's worker, without the channel it listens on for commands (stop a job, shut down):
    nothing sends one in a test, and stopping that listener at the end of a burst could take a
    minute (its thread can be back waiting, for up to 60 seconds, on a channel just left)."""

    def subscribe(self):
        pass


@pytest.fixture
def run_jobs(app, jobs_on_redis):
    """Call to run every job waiting on the queue (retries included) with a real RQ worker in
    this process, as ``flask worker --burst`` would; returns whether any job ran."""

    def run() -> bool:
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            with app.app_context():
                connection = redis_connection()
                worker = _BurstWorker([job_queue(connection)], connection=connection)
                return worker.work(burst=True)
        finally:
            for sig, handler in handlers.items():  # the worker installs its own
                signal.signal(sig, handler)

    return run


# Stripe: the offline stand-in, with the real SDK; it delivers its webhooks to this suite's
# application, served on a loopback port.


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def live_portal(app):
    """The test application served on a free loopback port (for the stand-in's webhooks)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def standin(live_portal):
    running = start(webhook_url=f"{live_portal}/stripe/webhook")
    yield running
    running.stop()


@pytest.fixture
def held_completed_event(standin):
    """Pay a Checkout Session at the stand-in without delivering its webhook; returns the
    ``checkout.session.completed`` event it holds, for a test to deliver itself."""

    def pay(session_id: str) -> dict:
        standin.hold()
        standin.pay(session_id)
        [event] = standin.events("checkout.session.completed")
        return event["event"]

    return pay


@pytest.fixture
def post_webhook(client, standin):
    """POST ``payload`` to the webhook through the test client, signed as Stripe signs it."""

    def post(payload: dict):
        body, headers = signed_webhook(payload, standin.webhook_secret)
        return client.post("/stripe/webhook", data=body, headers=headers)

    return post


@pytest.fixture
def stripe_is_the_standin(app, standin, monkeypatch):
    """Point the portal's Stripe settings at the stand-in, emptied of earlier tests' sessions."""
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", standin.url)
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", standin.secret_key)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", standin.webhook_secret)
    standin.reset()
    yield


@pytest.fixture
def public_sector_domains(app):
    """The public-sector domains the migration seeds (kept by tests that empty the tables; put
    back should anything else have emptied the list)."""
    with app.app_context():
        if db.session.scalar(select(PublicSectorDomain.id).limit(1)) is None:
            domains = pricing.PUBLIC_SECTOR_DOMAINS
            db.session.add_all(PublicSectorDomain(domain=d) for d in domains)
            db.session.commit()


@pytest.fixture
def checkout(post_form, report):
    """Put the given formats of ``report`` (the test's own fixture) in the basket as a guest, or
    as whoever is signed in, and place the order by card; returns the response of placing it (a
    redirect to Stripe's page)."""

    def place(pdf: bool = True, printed: int = 2, details: dict | None = None):
        for kind, quantity in ((FormatKind.PDF, 1 if pdf else 0), (FormatKind.PRINT, printed)):
            if quantity:
                format_id = next(f.id for f in report.formats if f.kind is kind)
                post_form(
                    f"/reports/{report.slug}",
                    {"format_id": str(format_id), "quantity": str(quantity)},
                )
        post_form("/checkout", {**GUEST, **(ADDRESS if printed else {}), **(details or {})})
        post_form("/checkout/payment", {"method": "card"})
        return post_form("/checkout/review", {})

    return place


@pytest.fixture
def stored(app):
    """The database as the requests left it: ``stored.order()``, ``stored.attempts()``."""

    class Stored:
        def order(self) -> Order:
            with app.app_context():
                return db.session.scalars(
                    select(Order)
                    .options(selectinload(Order.lines), selectinload(Order.events))
                    .order_by(Order.id.desc())
                ).first()

        def attempts(self) -> list[CheckoutAttempt]:
            with app.app_context():
                return db.session.scalars(
                    select(CheckoutAttempt).order_by(CheckoutAttempt.id)
                ).all()

    return Stored()
