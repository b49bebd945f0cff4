"""signed-in sessions kept on the server

Revision ID: 0016_signed_in_sessions
Revises: 0015_two_factor_server
Create Date: 2026-12-04 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
import portal.db_types


# revision identifiers, used by Alembic.
revision = '0016_signed_in_sessions'
down_revision = "0015_two_factor_server"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signed_in_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', portal.db_types.UTCDateTime(), nullable=False),
    sa.Column('remembered', sa.Boolean(), nullable=False),
    sa.Column('browser', sa.String(length=100), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=False),
    sa.Column('ended_at', portal.db_types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_signed_in_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signed_in_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_signed_in_sessions_token_hash'))
    )
    with op.batch_alter_table('signed_in_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signed_in_sessions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('signed_in_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signed_in_sessions_user_id'))

    op.drop_table('signed_in_sessions')
