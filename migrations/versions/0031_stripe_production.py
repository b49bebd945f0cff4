"""card refunds that fail later, and checkout idempotency keys that are random

Revision ID: 0031_stripe_production
Revises: 0030_outbox_message_id
Create Date: 2026-12-04 23:40:00

A card refund Stripe reported made can fail days later: ``refunds.failure_reason`` and
``refunds.failed_at`` record Stripe's reason and when the portal heard, and the amount is owed to
the buyer until an administrator records how it was repaid (``repaid_on``, ``repaid_reference``).
Each checkout attempt keeps the random idempotency key it was created with
(``checkout_attempts.idempotency_key``), unique everywhere, so two databases on one Stripe
account never send the same key.
"""

from alembic import op
import sqlalchemy as sa

from portal.db_types import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0031_stripe_production"
down_revision = "0030_outbox_message_id"
branch_labels = None
depends_on = None

INDEX = "ix_checkout_attempts_idempotency_key"


def upgrade():
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failure_reason", sa.String(length=300), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("failed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("repaid_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("repaid_reference", sa.String(length=100), server_default="", nullable=False)
        )
    with op.batch_alter_table("checkout_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=100), nullable=True))
    if op.get_context().dialect.name != "postgresql":
        op.create_index(INDEX, "checkout_attempts", ["idempotency_key"], unique=True)
        return
    # Built without holding up payments meanwhile.
    with op.get_context().autocommit_block():
        op.create_index(
            INDEX,
            "checkout_attempts",
            ["idempotency_key"],
            unique=True,
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade():
    if op.get_context().dialect.name != "postgresql":
        op.drop_index(INDEX, table_name="checkout_attempts")
    else:
        with op.get_context().autocommit_block():
            op.drop_index(
                INDEX, table_name="checkout_attempts", postgresql_concurrently=True, if_exists=True
            )
    # Dropped in place (SQLite 3.35 or later): copying the tables is refused while other tables
    # point at their rows.
    op.execute("ALTER TABLE checkout_attempts DROP COLUMN idempotency_key")
    op.execute("ALTER TABLE refunds DROP COLUMN repaid_reference")
    op.execute("ALTER TABLE refunds DROP COLUMN repaid_on")
    op.execute("ALTER TABLE refunds DROP COLUMN failed_at")
    op.execute("ALTER TABLE refunds DROP COLUMN failure_reason")
