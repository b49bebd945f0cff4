"""finance contacts confirmed by a link, emails held in the outbox, sent emails without links

Revision ID: 0017_email_limits
Revises: 0016_signed_in_sessions
Create Date: 2026-12-04 15:00:00

An unconfirmed finance contact gets a few emails a day; the rest wait in the outbox as "held"
with the reason. Emails already sent lose the links (and so the tokens) in their stored copy,
as every email sent from now on does.
"""
import re

from alembic import op
import sqlalchemy as sa
import portal.db_types


# revision identifiers, used by Alembic.
revision = '0017_email_limits'
down_revision = "0016_signed_in_sessions"
branch_labels = None
depends_on = None

STATUSES = ('queued', 'sending', 'sent', 'given_up')
WITH_HELD = STATUSES + ('held',)
LINK_REMOVED = "[link removed after sending]"
WEB_ADDRESS = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


CHECK = 'ck_outbox_emails_outbox_status'


def _status_check(values) -> None:
    """Let the status column hold ``values``. On PostgreSQL the new check is added NOT VALID and
    then validated, so the outbox takes writes while its rows are checked; SQLite rebuilds the
    table (batch mode)."""
    if op.get_context().dialect.name == 'postgresql':
        listed = ", ".join(f"'{value}'" for value in values)
        # Outside the migration's transaction, so the exclusive lock of the swap ends at once and
        # the validation (which only blocks other schema changes) runs on its own.
        with op.get_context().autocommit_block():
            op.execute(
                f"ALTER TABLE outbox_emails DROP CONSTRAINT {CHECK}, ADD CONSTRAINT {CHECK} "
                f"CHECK (status IN ({listed})) NOT VALID"
            )
            op.execute(f"ALTER TABLE outbox_emails VALIDATE CONSTRAINT {CHECK}")
        return
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_='check')
        batch_op.create_check_constraint('outbox_status', sa.column('status').in_(values))


def _remove_links_from_sent_emails() -> None:
    if op.get_context().as_sql:
        return  # offline SQL scripts cannot run the pattern: nothing to rewrite there
    outbox = sa.table(
        'outbox_emails',
        sa.column('id', sa.Integer),
        sa.column('status', sa.String),
        sa.column('body_text', sa.Text),
        sa.column('body_html', sa.Text),
    )
    connection = op.get_bind()
    sent = connection.execute(
        sa.select(outbox.c.id, outbox.c.body_text, outbox.c.body_html).where(
            outbox.c.status == 'sent'
        )
    )
    for row in sent.all():
        connection.execute(
            outbox.update()
            .where(outbox.c.id == row.id)
            .values(
                body_text=WEB_ADDRESS.sub(LINK_REMOVED, row.body_text),
                body_html=WEB_ADDRESS.sub(LINK_REMOVED, row.body_html),
            )
        )


def upgrade():
    op.create_table('finance_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('confirmed_at', portal.db_types.UTCDateTime(), nullable=True),
    sa.Column('emails_on', sa.Date(), nullable=True),
    sa.Column('emails_that_day', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_contacts')),
    sa.UniqueConstraint('email', name=op.f('uq_finance_contacts_email'))
    )
    # Rows first (row locks only), then the schema changes, whose locks last moments.
    _remove_links_from_sent_emails()
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_reason', sa.String(length=300), server_default='', nullable=False))
    _status_check(WITH_HELD)


def downgrade():
    op.execute("UPDATE outbox_emails SET status = 'queued' WHERE status = 'held'")
    _status_check(STATUSES)
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_column('held_reason')
    op.drop_table('finance_contacts')
