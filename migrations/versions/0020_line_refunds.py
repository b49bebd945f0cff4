"""refunds and credits by line, by card, bank transfer or against the invoice

Revision ID: 0020_line_refunds
Revises: 0018_order_line_format_kind
Create Date: 2026-12-04 17:30:00

A refund now says how the money goes back (``method``: card, bank transfer, or a credit against
an unpaid invoice), a bank transfer's date and reference, and the postage it gives back; the
lines it refunds (and how many copies of each) are rows of ``refund_lines``. An order line
counts the copies refunded so far (``refunded_quantity``). Every refund already made was a
card refund of an amount, and keeps that meaning: the new columns' defaults say so, and no line
is counted as refunded that was not marked so before (a line already marked refunded counts all
its copies).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_line_refunds'
down_revision = '0019_credit_terms'
branch_labels = None
depends_on = None

METHODS = ('card', 'bank_transfer', 'credit')
CHECK = 'ck_refunds_refund_method'


def upgrade():
    op.create_table('refund_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('net_pence', sa.Integer(), nullable=False),
    sa.Column('vat_pence', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_refund_lines_quantity_positive')),
    sa.CheckConstraint('net_pence >= 0 AND vat_pence >= 0', name=op.f('ck_refund_lines_amounts_not_negative')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_refund_lines_order_line_id_order_lines'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_refund_lines_refund_id_refunds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_lines'))
    )
    with op.batch_alter_table('refund_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_lines_order_line_id'), ['order_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_lines_refund_id'), ['refund_id'], unique=False)

    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=20), server_default='card', nullable=False))
        batch_op.add_column(sa.Column('postage_pence', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('refunded_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('bank_reference', sa.String(length=100), server_default='', nullable=False))

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_quantity', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        "UPDATE order_lines SET refunded_quantity = quantity WHERE refunded_at IS NOT NULL"
    )
    _check_methods()


def _check_methods():
    """The method column holds only the methods listed. On PostgreSQL the check is added NOT
    VALID and then validated outside the migration's transaction, so refunds take writes while
    their rows are checked; SQLite rebuilds the table (batch mode) with its rows."""
    if op.get_context().dialect.name == 'postgresql':
        listed = ", ".join(f"'{method}'" for method in METHODS)
        with op.get_context().autocommit_block():
            op.execute(
                f"ALTER TABLE refunds ADD CONSTRAINT {CHECK} "
                f"CHECK (method IN ({listed})) NOT VALID"
            )
            op.execute(f"ALTER TABLE refunds VALIDATE CONSTRAINT {CHECK}")
        return
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_check_constraint('refund_method', sa.column('method').in_(METHODS))


def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('refunded_quantity')

    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_='check')
        batch_op.drop_column('bank_reference')
        batch_op.drop_column('refunded_on')
        batch_op.drop_column('postage_pence')
        batch_op.drop_column('method')

    with op.batch_alter_table('refund_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_lines_refund_id'))
        batch_op.drop_index(batch_op.f('ix_refund_lines_order_line_id'))

    op.drop_table('refund_lines')
