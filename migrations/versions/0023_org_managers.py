"""organisation managers

Revision ID: 0023_org_managers
Revises: 0020_line_refunds
Create Date: 2026-12-04 21:00:00

An organisation's managers: people appointed (by an administrator or another manager) to see its
orders, free printed copies used and people, and to keep its named members.
"""
from alembic import op
import sqlalchemy as sa
import portal.db_types


# revision identifiers, used by Alembic.
revision = '0023_org_managers'
down_revision = '0020_line_refunds'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisation_managers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('appointed_by_user_id', sa.Integer(), nullable=True),
    sa.Column('appointed_at', portal.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['appointed_by_user_id'], ['users.id'], name=op.f('fk_organisation_managers_appointed_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_managers_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_organisation_managers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_managers')),
    sa.UniqueConstraint('organisation_id', 'user_id', name=op.f('uq_organisation_managers_organisation_id_user_id'))
    )
    with op.batch_alter_table('organisation_managers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_managers_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_managers_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('organisation_managers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_managers_user_id'))
        batch_op.drop_index(batch_op.f('ix_organisation_managers_organisation_id'))

    op.drop_table('organisation_managers')
