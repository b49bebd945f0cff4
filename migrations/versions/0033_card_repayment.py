"""a failed refund repaid by a new card refund; audit targets as long as what they name

Revision ID: 0033_card_repayment
Revises: 0032_attempt_saved_first
Create Date: 2026-12-05 02:40:00

- ``refunds.repays_refund_id``: a card refund sent to repay one that failed after Stripe
  reported it made names the refund it repays. Indexed, not a foreign key: SQLite would have to
  copy the refunds table, which refund lines point at, to add one.
- ``audit_entries.target_id`` grows from 60 to 255 characters: it holds report address names (up
  to 120) and registered domains (up to 253), which PostgreSQL refused at 60. On PostgreSQL a
  longer varchar is a change of the catalogue only (no table or index is rewritten).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0033_card_repayment"
down_revision = "0032_attempt_saved_first"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("refunds", sa.Column("repays_refund_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_refunds_repays_refund_id"), "refunds", ["repays_refund_id"])
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
    op.drop_index(op.f("ix_refunds_repays_refund_id"), table_name="refunds")
    op.execute("ALTER TABLE refunds DROP COLUMN repays_refund_id")
