"""organisation managers, and addresses that suit councils

Revision ID: 0024_org_managers
Revises: 0023_content_pages
Create Date: 2026-12-04 21:00:00

An organisation's managers: people appointed (by an administrator or another manager) to see its
orders, free printed copies used and people, and to keep its named members. Delivery and
billing addresses gain an organisation line and a phone number (empty for orders placed before),
and signed-in people keep addresses to choose at checkout.
"""
from alembic import op
import sqlalchemy as sa
import portal.db_types


# revision identifiers, used by Alembic.
revision = '0024_org_managers'
down_revision = '0023_content_pages'
branch_labels = None
depends_on = None

ADDRESS_COLUMNS = (
    ('delivery_organisation', 200),
    ('delivery_phone', 30),
    ('billing_organisation', 200),
    ('billing_phone', 30),
)


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

    op.create_table('saved_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('line1', sa.String(length=200), nullable=False),
    sa.Column('line2', sa.String(length=200), nullable=False),
    sa.Column('town', sa.String(length=100), nullable=False),
    sa.Column('postcode', sa.String(length=10), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_addresses_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_addresses'))
    )
    with op.batch_alter_table('saved_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_addresses_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        for column, length in ADDRESS_COLUMNS:
            batch_op.add_column(sa.Column(column, sa.String(length=length), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        for column, _ in reversed(ADDRESS_COLUMNS):
            batch_op.drop_column(column)

    with op.batch_alter_table('saved_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_addresses_user_id'))

    op.drop_table('saved_addresses')

    with op.batch_alter_table('organisation_managers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_managers_user_id'))
        batch_op.drop_index(batch_op.f('ix_organisation_managers_organisation_id'))

    op.drop_table('organisation_managers')
