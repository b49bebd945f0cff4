"""Flask extensions, created unbound and initialised in ``create_app``, and database-wide rules."""

import sqlite3

from flask_login import LoginManager
from flask_mailman import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

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
