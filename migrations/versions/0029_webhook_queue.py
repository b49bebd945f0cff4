"""Stripe's events keep their body and when they were handled

Revision ID: 0029_webhook_queue
Revises: 0028_data_rights
Create Date: 2026-12-04 23:40:00

The webhook now records an event and answers at once; a background job acts on it later. The
event's verified body (``payload``) is what the job reads, and ``handled_at`` says when the job
finished with it: a repeat delivery of an event not yet handled asks for the job again. Events
recorded before this were handled in the request that recorded them.
"""

from alembic import op
import sqlalchemy as sa

from portal.db_types import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0029_webhook_queue"
down_revision = "0028_data_rights"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("handled_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE stripe_events SET handled_at = received_at")


def downgrade():
    # Dropped in place (SQLite 3.35 or later), as the other migrations do.
    op.execute("ALTER TABLE stripe_events DROP COLUMN handled_at")
    op.execute("ALTER TABLE stripe_events DROP COLUMN payload")
