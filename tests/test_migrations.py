"""The schema exists only through migrations, and they describe exactly what the models say.

Each test that runs migrations gets a database of its own: a uniquely named PostgreSQL database
when ``TEST_DATABASE_URL`` names a server (created and dropped around the test), otherwise a
SQLite file in a temporary folder. They check that every way a real database reaches the newest
schema ends in the schema the models describe: from an empty database, from every earlier
revision, with rows already in the tables, and after stepping back one revision and forward again.

Locks on large tables
---------------------
On PostgreSQL, ``ALTER TABLE`` takes an ACCESS EXCLUSIVE lock on its table: while it is held
(and while it waits for it) every read and write of that table queues. What matters is how long it
is held. Reviewed revision by revision (docs/deploy.md has the same table for operators):

- Every index and unique constraint in 0001-0010 belongs to a table created in the same
  revision, so it is built on an empty table.
- 0004 and 0005 add NOT NULL columns to ``orders`` with a constant default (``''``), 0009 one to
  ``order_lines`` and 0010 one to ``users`` (``0``). Since PostgreSQL 11 a constant default is
  stored in the catalogue and the table is not rewritten: the lock lasts milliseconds whatever
  the table's size. The other added columns are nullable without a default: the same.
- No revision changes a column's type, sets NOT NULL on an existing column, or adds a foreign
  key or check to an existing table (each would scan or rewrite the table under the lock).
- New foreign keys point from new (empty) tables at ``orders``, ``users``, ``order_lines`` and
  ``documents``; they take a brief SHARE ROW EXCLUSIVE lock on the referenced table and scan
  nothing.

``test_no_revision_locks_a_large_table_for_long`` keeps it so: it reads the SQL each revision
emits for PostgreSQL (Alembic's offline mode, no server needed) and refuses statements that
rebuild or scan an existing table under a lock, such as an index created without CONCURRENTLY.
"""

import io
import os
import re
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from config import TestingConfig
from portal import create_app
from portal.extensions import db, migrate
from tests.scratch_database import scratch_database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Oldest first.
REVISIONS = [
    script.revision for script in reversed(list(ScriptDirectory(MIGRATIONS).walk_revisions()))
]
HEAD = REVISIONS[-1]


def test_models_and_migrations_agree(app):
    with app.app_context():
        connection = db.session.connection()
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


# --- upgrades and downgrades, each on a database of its own ---------------------------------


@pytest.fixture
def empty_database(tmp_path):
    """The URL of an empty database nobody else uses."""
    server = os.environ.get("TEST_DATABASE_URL", "")
    if server.startswith("postgresql"):
        with scratch_database(server, prefix="portal_migrations") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"


@pytest.fixture
def migrations_app(empty_database, tmp_path):
    """An app on ``empty_database``; nothing has been migrated yet."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = empty_database
        STORAGE_ROOT = str(tmp_path / "storage")

    app = create_app(Config)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _current_revision(app) -> str | None:
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _differences(app) -> list:
    """What the database's schema lacks or has beyond the models (empty when they agree)."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _migrate(app, revision: str = "head", *, down: bool = False) -> None:
    with app.app_context():
        (downgrade if down else upgrade)(revision=revision)
        db.session.remove()
        db.engine.dispose()  # no connection stays open on the migrated database


def test_upgrade_from_an_empty_database(migrations_app):
    assert _current_revision(migrations_app) is None
    _migrate(migrations_app)
    assert _current_revision(migrations_app) == HEAD
    assert _differences(migrations_app) == []


@pytest.mark.parametrize("revision", REVISIONS[:-1])
def test_upgrade_from_an_earlier_revision(migrations_app, revision):
    _migrate(migrations_app, revision)
    assert _current_revision(migrations_app) == revision
    _migrate(migrations_app)
    assert _current_revision(migrations_app) == HEAD
    assert _differences(migrations_app) == []


def test_downgrade_one_step_and_upgrade_again(migrations_app):
    _migrate(migrations_app)
    _migrate(migrations_app, "-1", down=True)
    assert _current_revision(migrations_app) == REVISIONS[-2]
    assert _differences(migrations_app) != []  # the step back really removed something
    _migrate(migrations_app)
    assert _current_revision(migrations_app) == HEAD
    assert _differences(migrations_app) == []


# Rows as they were written at 0003_orders, before later revisions added NOT NULL columns to the
# same tables: those columns must get their defaults and the rows must survive.
_ROWS_AT_0003 = [
    "INSERT INTO users (id, email, name, organisation_name, password_hash, is_admin,"
    " session_token, created_at) VALUES (1, 'jo@eastbridge.gov.uk', 'Jo Evans',"
    " 'Eastbridge Borough Council', 'x', false, 'token-1', '2026-01-05 10:00:00')",
    "INSERT INTO reports (id, slug, title, series, published_on, summary, contents,"
    " is_published, created_at, updated_at) VALUES (1, 'a-report', 'A report', 'Series',"
    " '2026-01-01', '', '', true, '2026-01-01 09:00:00', '2026-01-01 09:00:00')",
    "INSERT INTO report_formats (id, report_id, kind, price_pence, subscriber_price_pence,"
    " vat_rate_basis_points, free_copies_per_organisation, postage_pence, download_limit)"
    " VALUES (1, 1, 'pdf', 14500, 0, 0, 0, 0, 5)",
    "INSERT INTO orders (id, reference, user_id, email, name, organisation_name, state,"
    " payment_method, net_pence, vat_pence, postage_pence, total_pence, created_at)"
    " VALUES (1, 'INS-0001', 1, 'jo@eastbridge.gov.uk', 'Jo Evans',"
    " 'Eastbridge Borough Council', 'paid', 'card', 14500, 0, 0, 14500, '2026-01-05 10:05:00')",
    "INSERT INTO order_lines (id, order_id, report_format_id, report_title, format_kind,"
    " quantity, subscriber_quantity, subscriber_unit_pence, standard_unit_pence, net_pence,"
    " vat_rate_basis_points, vat_pence, total_pence, reason) VALUES (1, 1, 1, 'A report', 'pdf',"
    " 1, 0, 0, 14500, 14500, 0, 0, 14500, '')",
]


def test_rows_written_before_later_columns_survive_the_upgrade(migrations_app):
    _migrate(migrations_app, "0003_orders")
    with migrations_app.app_context(), db.engine.begin() as connection:
        for statement in _ROWS_AT_0003:
            connection.execute(text(statement))
    _migrate(migrations_app)
    with migrations_app.app_context(), db.engine.connect() as connection:
        order = connection.execute(
            text("SELECT reference, delivery_postcode, po_number, total_pence FROM orders")
        ).one()
        line = connection.execute(text("SELECT dispatch_note, refunded_at FROM order_lines")).one()
        user = connection.execute(text("SELECT failed_sign_ins, totp_secret FROM users")).one()
    assert tuple(order) == ("INS-0001", "", "", 14500)
    assert tuple(line) == ("", None)
    assert tuple(user) == (0, None)


# --- locks on large tables -----------------------------------------------------------------

_CREATE_TABLE = re.compile(r"^CREATE TABLE (\w+)", re.IGNORECASE)
_TABLE_OF = re.compile(r"^(?:ALTER TABLE|CREATE (?:UNIQUE )?INDEX .*? ON) (\w+)", re.IGNORECASE)
# Statements that, on a table already holding rows, scan or rewrite it while writes (or reads)
# wait. Each comes with the way to do the same thing without the long lock.
_LONG_LOCKS = [
    (
        re.compile(r"^CREATE (UNIQUE )?INDEX (?!CONCURRENTLY)", re.IGNORECASE),
        "builds an index while writes wait: CREATE INDEX CONCURRENTLY "
        "(op.create_index(..., postgresql_concurrently=True) in an autocommit_block)",
    ),
    (
        re.compile(r"ADD CONSTRAINT \w+ (UNIQUE|PRIMARY KEY) \((?!.*USING INDEX)", re.IGNORECASE),
        "builds a unique index under ACCESS EXCLUSIVE: CREATE UNIQUE INDEX CONCURRENTLY, then "
        "ADD CONSTRAINT ... USING INDEX",
    ),
    (
        re.compile(r"ADD CONSTRAINT \w+ (FOREIGN KEY|CHECK)\b(?!.*NOT VALID)", re.IGNORECASE),
        "checks every row under the lock: add it NOT VALID, then VALIDATE CONSTRAINT",
    ),
    (
        re.compile(r"ALTER COLUMN \w+ (SET DATA )?TYPE", re.IGNORECASE),
        "rewrites the table under ACCESS EXCLUSIVE: add a new column and backfill in batches",
    ),
    (
        re.compile(r"ALTER COLUMN \w+ SET NOT NULL", re.IGNORECASE),
        "scans the table under ACCESS EXCLUSIVE: first a CHECK (col IS NOT NULL) NOT VALID, "
        "validated, which SET NOT NULL then trusts",
    ),
    (
        re.compile(r"ADD COLUMN .* DEFAULT [^,]*\(", re.IGNORECASE),
        "a volatile default (a function call) rewrites the table: add the column without it "
        "and backfill in batches",
    ),
]


def long_locks(sql: str) -> list[str]:
    """The statements in ``sql`` (one revision's PostgreSQL script) that would hold a lock on an
    existing table for as long as the table takes to scan or rewrite, each with the reason.

    Tables the same script creates are empty, so anything done to them is quick.
    """
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    statements = [" ".join(part.split()) for part in "\n".join(lines).split(";")]
    created = {m.group(1).lower() for s in statements if (m := _CREATE_TABLE.match(s))}
    found = []
    for statement in statements:
        table = _TABLE_OF.match(statement)
        if table is None or table.group(1).lower() in created:
            continue
        for pattern, reason in _LONG_LOCKS:
            if pattern.search(statement):
                found.append(f"{statement[:120]}: {reason}")
    return found


@pytest.mark.parametrize(
    ("sql", "flagged"),
    [
        ("CREATE INDEX ix_orders_email ON orders (email)", True),
        ("CREATE INDEX CONCURRENTLY ix_orders_email ON orders (email)", False),
        ("CREATE TABLE notes (id INTEGER);\nCREATE INDEX ix_notes_id ON notes (id)", False),
        ("ALTER TABLE orders ADD CONSTRAINT uq_orders_email UNIQUE (email)", True),
        ("ALTER TABLE orders ADD CONSTRAINT uq_orders_email UNIQUE USING INDEX ix", False),
        (
            "ALTER TABLE order_lines ADD CONSTRAINT fk_x FOREIGN KEY(order_id) "
            "REFERENCES orders (id)",
            True,
        ),
        (
            "ALTER TABLE order_lines ADD CONSTRAINT fk_x FOREIGN KEY(order_id) "
            "REFERENCES orders (id) NOT VALID",
            False,
        ),
        ("ALTER TABLE orders ALTER COLUMN email TYPE VARCHAR(320)", True),
        ("ALTER TABLE orders ALTER COLUMN email SET NOT NULL", True),
        ("ALTER TABLE orders ADD COLUMN note VARCHAR(20) DEFAULT '' NOT NULL", False),
        ("ALTER TABLE orders ADD COLUMN seen_at TIMESTAMP DEFAULT now() NOT NULL", True),
        ("ALTER TABLE orders ADD COLUMN seen_at TIMESTAMP", False),
    ],
)
def test_long_locks_are_recognised(sql, flagged):
    assert bool(long_locks(sql)) is flagged


def _postgresql_script(app, revision: str, previous: str | None) -> str:
    """The SQL upgrading ``previous`` to ``revision`` on PostgreSQL, as Alembic would run it."""
    with app.app_context():
        config = migrate.get_config()
        config.output_buffer = io.StringIO()
        command.upgrade(config, f"{previous}:{revision}" if previous else revision, sql=True)
        return config.output_buffer.getvalue()


@pytest.fixture(scope="module")
def offline_app(tmp_path_factory):
    """An app whose database URL names PostgreSQL; offline mode writes SQL and never connects."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://offline@127.0.0.1:9/offline"
        STORAGE_ROOT = str(tmp_path_factory.mktemp("storage"))

    return create_app(Config)


@pytest.mark.parametrize("revision", REVISIONS)
def test_no_revision_locks_a_large_table_for_long(offline_app, revision):
    index = REVISIONS.index(revision)
    sql = _postgresql_script(offline_app, revision, REVISIONS[index - 1] if index else None)
    assert "CREATE TABLE" in sql or "ALTER TABLE" in sql or "CREATE INDEX" in sql
    assert long_locks(sql) == []
