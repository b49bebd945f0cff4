"""each email in the outbox keeps its Message-ID

Revision ID: 0030_outbox_message_id
Revises: 0029_webhook_queue
Create Date: 2026-12-04 23:45:00

The Message-ID is chosen when the email is written and sent unchanged on every attempt, so an
email sent again (its sender died after the mail server accepted it) carries the same id and
receiving systems can recognise the copy. Emails written earlier get one at their next attempt.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0030_outbox_message_id"
down_revision = "0029_webhook_queue"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=255), nullable=True))


def downgrade():
    # Dropped in place (SQLite 3.35 or later): copying the table is refused while other tables
    # point at its rows.
    op.execute("ALTER TABLE outbox_emails DROP COLUMN message_id")
