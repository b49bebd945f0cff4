"""stock holds: orders waiting for approval, a cap of printed copies per order

Revision ID: 0013_stock_holds
Revises: 0012_order_list_organisation
Create Date: 2026-12-04 14:40:00

An invoice order from an address that is not verified takes no printed copies until an
administrator approves it: a new order state, ``awaiting_approval``, allowed by the CHECK
constraints of ``orders.state`` and ``order_events.from_state``/``to_state``. Each printed format
gets the most copies one order (and one address in a day) may take, 20 unless set.

On PostgreSQL each CHECK constraint is added NOT VALID and then validated, so the tables take
writes while their rows are checked. SQLite changes a CHECK constraint only by copying the table
and dropping the old one; with foreign keys enforced that drop would delete the rows that refer
to it (ON DELETE CASCADE) or be refused (RESTRICT), so they are off meanwhile. That setting
cannot change inside a transaction, and this project begins each one itself (BEGIN IMMEDIATE),
so the transaction is committed around each change of it; the tables are checked for broken
references before they are enforced again.
"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_stock_holds'
down_revision = '0012_order_list_organisation'
branch_labels = None
depends_on = None

BEFORE = ("pending_payment", "awaiting_invoice_payment", "paid", "fulfilled", "cancelled")
AFTER = ("pending_payment", "awaiting_approval", *BEFORE[1:])
#: Each table's columns holding an order state, with their enum's constraint name.
STATE_COLUMNS = {
    "orders": (("state", "order_state"),),
    "order_events": (("from_state", "from_state"), ("to_state", "to_state")),
}
MAX_COPIES_CHECK = "ck_report_formats_max_copies_per_order_positive"


def _on_sqlite() -> bool:
    return op.get_context().dialect.name == "sqlite"


def _enforce_foreign_keys(on: bool) -> None:
    driver = op.get_bind().connection.dbapi_connection
    driver.execute("COMMIT")
    if on:
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"references broken while copying tables: {broken}")
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    driver.execute("BEGIN IMMEDIATE")


@contextmanager
def _foreign_keys_off():
    if not _on_sqlite():
        yield
        return
    _enforce_foreign_keys(False)
    try:
        yield
    finally:
        _enforce_foreign_keys(True)


def _replace_checks(table: str, checks: list[tuple[str, str | None]]) -> None:
    """Drop (when it exists) and add each named CHECK constraint: ``(name, condition)``; a
    condition of None only drops."""
    if _on_sqlite():
        with op.batch_alter_table(table, schema=None, recreate="always") as batch_op:
            for name, condition in checks:
                batch_op.drop_constraint(name, type_="check")
                if condition is not None:
                    batch_op.create_check_constraint(name, condition)
        return
    for name, condition in checks:
        op.drop_constraint(name, table, type_="check")
        if condition is not None:
            op.create_check_constraint(name, table, condition, postgresql_not_valid=True)
            op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def _allow_states(states: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{state}'" for state in states)
    for table, columns in STATE_COLUMNS.items():
        _replace_checks(
            table,
            [(op.f(f"ck_{table}_{name}"), f"{column} IN ({listed})") for column, name in columns],
        )


def upgrade():
    with _foreign_keys_off():
        with op.batch_alter_table('report_formats', schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('max_copies_per_order', sa.Integer(), server_default='20', nullable=False)
            )
        if _on_sqlite():
            with op.batch_alter_table('report_formats', schema=None, recreate="always") as batch_op:
                batch_op.create_check_constraint(op.f(MAX_COPIES_CHECK), 'max_copies_per_order >= 1')
        else:
            op.create_check_constraint(
                op.f(MAX_COPIES_CHECK),
                'report_formats',
                'max_copies_per_order >= 1',
                postgresql_not_valid=True,
            )
            op.execute(f"ALTER TABLE report_formats VALIDATE CONSTRAINT {MAX_COPIES_CHECK}")
        _allow_states(AFTER)


def downgrade():
    # Orders still waiting for approval took no stock: cancelled is what the older schema can say.
    for column in ("from_state", "to_state"):
        op.execute(
            f"UPDATE order_events SET {column} = 'cancelled' WHERE {column} = 'awaiting_approval'"
        )
    op.execute("UPDATE orders SET state = 'cancelled' WHERE state = 'awaiting_approval'")
    with _foreign_keys_off():
        _allow_states(BEFORE)
        _replace_checks('report_formats', [(op.f(MAX_COPIES_CHECK), None)])
        with op.batch_alter_table('report_formats', schema=None) as batch_op:
            batch_op.drop_column('max_copies_per_order')
