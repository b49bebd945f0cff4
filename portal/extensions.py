"""Flask extensions, created unbound and initialised in ``create_app``, and database-wide rules:
among them ``after_commit``, the one way to act once a transaction has committed."""

import logging
import sqlite3
from collections.abc import Callable

from flask_login import LoginManager
from flask_mailman import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase, Session

from portal.migration_commands import DeferredMigrate

# Named constraints, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# "create_savepoint": when the tests bind the session to a connection inside an open transaction,
# a service's commit ends a savepoint, not the test's transaction. Otherwise it changes nothing.
db = SQLAlchemy(model_class=Base, session_options={"join_transaction_mode": "create_savepoint"})
migrate = DeferredMigrate()  # Flask-Migrate, imported when a migration runs
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()

log = logging.getLogger(__name__)
_AFTER_COMMIT = "portal.after_commit"  # in ``session.info``: {callback: [items]}


@event.listens_for(Engine, "connect")
def _sqlite_connection_rules(dbapi_connection, connection_record) -> None:
    """Make SQLite enforce foreign keys and leave transactions to SQLAlchemy.

    pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's documented recipe turns it
    off here and emits BEGIN itself (below).
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    # IMMEDIATE takes SQLite's write lock at the start, so concurrent requests wait their turn
    # (up to the busy timeout) instead of failing with "database is locked" when one upgrades a
    # read to a write; and, as SQLite has no row locks, it gives whole transactions the
    # one-at-a-time guarantee that SELECT ... FOR UPDATE gives on PostgreSQL.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def after_commit(
    callback: Callable[[list], object], *items, session: Session | None = None
) -> None:
    """Call ``callback(items)`` once the transaction of ``session`` (``db.session`` by default)
    commits; forget it if that transaction rolls back, so a side effect (an email, a job, a
    cache's announcement) never follows a change that did not happen.

    Within one transaction a callback runs once, with every item given for it, in the order
    given. Callbacks run when the commit is complete and may not use that session (it is
    finishing its commit): they open their own if they need one. One that fails is logged; the
    others still run, and the commit stands.
    """
    if session is None:
        session = db.session()
    if not session.in_transaction():
        session.begin()  # so a rollback before any SQL still ends, and forgets, the callback
    session.info.setdefault(_AFTER_COMMIT, {}).setdefault(callback, []).extend(items)


def after_commit_pending(callback: Callable[[list], object]) -> bool:
    """Whether ``callback`` waits for the commit of ``db.session``'s current transaction.

    A request that has not used the session yet has none waiting: asking makes no session (the
    cached pages ask on every view, and would each make and close one for nothing)."""
    if not db.session.registry.has():
        return False
    return callback in db.session().info.get(_AFTER_COMMIT, {})


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback, items in session.info.pop(_AFTER_COMMIT, {}).items():
        try:
            callback(items)
        except Exception:
            # The change is committed: a failed side effect must not turn it into an error.
            log.exception("after the commit, %s failed", callback.__qualname__)


@event.listens_for(Session, "after_transaction_end")
def _forget_after_rollback(session: Session, transaction) -> None:
    # A commit has already taken the callbacks (after_commit runs first); anything left at the
    # end of the outermost transaction belongs to a rollback. Callbacks given inside a savepoint
    # rolled back within a committed transaction still run: theirs must cope with rows gone.
    if transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)
