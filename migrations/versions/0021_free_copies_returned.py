"""free printed copies given back to the organisation's allowance

Revision ID: 0021_free_copies_returned
Revises: 0020_line_refunds
Create Date: 2026-12-04 21:00:00

A printed copy that was free with an organisation's subscription and is refunded before it is
posted (or closed, never posted, by a refund of everything paid) no longer counts against the
organisation's free copies of that report: ``order_lines.free_copies_returned`` counts them.
Lines refunded before this revision are counted from what they record: a line never posted gives
back the copies refunded (all of them, when it was closed) beyond those paid for at the standard
price, which refunds take first.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_free_copies_returned'
down_revision = '0020_line_refunds'
branch_labels = None
depends_on = None

GIVEN_BACK = "CASE WHEN refunded_at IS NOT NULL THEN quantity ELSE refunded_quantity END"
PAID = "(quantity - subscriber_quantity)"
CHECK = 'ck_order_lines_free_copies_returned_range'
RANGE = 'free_copies_returned >= 0 AND free_copies_returned <= subscriber_quantity'


def upgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('free_copies_returned', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        f"UPDATE order_lines SET free_copies_returned = {GIVEN_BACK} - {PAID} "
        f"WHERE format_kind = 'print' AND dispatched_at IS NULL AND {GIVEN_BACK} > {PAID}"
    )
    _check_range()


def _check_range():
    """At most the line's free copies go back. On PostgreSQL the check is added NOT VALID and
    then validated outside the migration's transaction, so order lines take writes while their
    rows are checked; SQLite rebuilds the table (batch mode) with its rows."""
    if op.get_context().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.execute(f"ALTER TABLE order_lines ADD CONSTRAINT {CHECK} CHECK ({RANGE}) NOT VALID")
            op.execute(f"ALTER TABLE order_lines VALIDATE CONSTRAINT {CHECK}")
        return
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_check_constraint('free_copies_returned_range', sa.text(RANGE))


def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_='check')
        batch_op.drop_column('free_copies_returned')
