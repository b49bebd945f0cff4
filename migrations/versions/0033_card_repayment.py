"""a failed refund repaid by a new card refund; audit targets as long as what they name

Revision ID: 0033_card_repayment
Revises: 0032_attempt_saved_first
Create Date: 2026-12-05 02:40:00

- ``refunds.repays_refund_id``: a card refund sent to repay one that failed after Stripe
  reported it made names the refund it repays. Indexed, not a foreign key: SQLite would have to
  copy the refunds table, which refund lines point at, to add one.
- ``audit_entries.target_id`` grows from 60 to 255 characters: it holds report address names (up
  to 120) and registered domains (up to 253), which PostgreSQL refused at 60. On PostgreSQL a
  longer varchar is a change of the catalogue only: the table is not rewritten nor its index
  rebuilt, so its ACCESS EXCLUSIVE lock is brief (the index on refunds is built CONCURRENTLY).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0033_card_repayment"
down_revision = "0032_attempt_saved_first"
branch_labels = None
depends_on = None


INDEX = "ix_refunds_repays_refund_id"


def upgrade():
    op.add_column("refunds", sa.Column("repays_refund_id", sa.Integer(), nullable=True))
    if op.get_context().dialect.name != "postgresql":
        op.create_index(INDEX, "refunds", ["repays_refund_id"])
    else:
        # Built while refunds take writes.
        with op.get_context().autocommit_block():
            op.create_index(
                INDEX,
                "refunds",
                ["repays_refund_id"],
                postgresql_concurrently=True,
                if_not_exists=True,
            )
    # Nothing points at the audit log, so SQLite may copy the table.
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.alter_column(
            "target_id",
            existing_type=sa.String(length=60),
            type_=sa.String(length=255),
            existing_nullable=False,
        )


def downgrade():
    # Entries naming something longer than 60 characters keep its first 60.
    op.execute("UPDATE audit_entries SET target_id = substr(target_id, 1, 60)")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.alter_column(
            "target_id",
            existing_type=sa.String(length=255),
            type_=sa.String(length=60),
            existing_nullable=False,
        )
    # A card repayment is kept as a card refund of the order (its amount was refunded). Dropped
    # in place (SQLite 3.35 or later): copying the table is refused while refund lines point at
    # its rows.
    if op.get_context().dialect.name != "postgresql":
        op.drop_index(INDEX, table_name="refunds")
    else:
        with op.get_context().autocommit_block():
            op.drop_index(
                INDEX, table_name="refunds", postgresql_concurrently=True, if_exists=True
            )
    op.execute("ALTER TABLE refunds DROP COLUMN repays_refund_id")
