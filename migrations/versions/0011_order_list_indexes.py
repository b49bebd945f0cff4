"""indexes for the administrators' order list

Revision ID: 0011_order_list_indexes
Revises: 0010_sign_in_security
Create Date: 2026-11-26 23:55:00

Every filter and sort of /admin/orders gets an index that serves it with the list's order:
state, payment method (each with the date placed) and the order total. ``ix_orders_state`` goes:
the new state index starts with the state.

On PostgreSQL the indexes are built CONCURRENTLY, outside a transaction, so a large orders table
takes writes while they are built (a failed concurrent build leaves an INVALID index: drop it and
run the upgrade again). The searches (``ILIKE '%text%'`` on reference, email, name, organisation
and PO number) get trigram GIN indexes from the pg_trgm extension. Creating an extension needs a
role that may: a superuser, the database owner on PostgreSQL 13+ (pg_trgm is a trusted
extension), or a DBA running ``CREATE EXTENSION pg_trgm`` once beforehand. On SQLite the indexes
are plain and the trigram ones are not made.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_order_list_indexes'
down_revision = '0010_sign_in_security'
branch_labels = None
depends_on = None

INDEXES = {
    "ix_orders_state_created_at": ["state", "created_at", "id"],
    "ix_orders_payment_method_created_at": ["payment_method", "created_at", "id"],
    "ix_orders_total_pence": ["total_pence", "id"],
}
SEARCHED = ["reference", "email", "name", "organisation_name", "po_number"]


def upgrade():
    if op.get_context().dialect.name != "postgresql":
        for name, columns in INDEXES.items():
            op.create_index(name, "orders", columns)
        op.drop_index("ix_orders_state", table_name="orders")
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.get_context().autocommit_block():
        for name, columns in INDEXES.items():
            op.create_index(
                name, "orders", columns, postgresql_concurrently=True, if_not_exists=True
            )
        for column in SEARCHED:
            op.create_index(
                f"ix_orders_{column}_trgm",
                "orders",
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
                postgresql_concurrently=True,
                if_not_exists=True,
            )
        op.drop_index(
            "ix_orders_state", table_name="orders", postgresql_concurrently=True, if_exists=True
        )


def downgrade():
    if op.get_context().dialect.name != "postgresql":
        op.create_index("ix_orders_state", "orders", ["state"])
        for name in INDEXES:
            op.drop_index(name, table_name="orders")
        return
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_orders_state", "orders", ["state"], postgresql_concurrently=True, if_not_exists=True
        )
        for name in [*INDEXES, *(f"ix_orders_{column}_trgm" for column in SEARCHED)]:
            op.drop_index(name, table_name="orders", postgresql_concurrently=True, if_exists=True)
