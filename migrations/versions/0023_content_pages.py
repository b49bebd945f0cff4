"""content pages staff edit, and the versions a buyer accepts with an order

Revision ID: 0023_content_pages
Revises: 0022_insight_requests
Create Date: 2026-12-04 20:40:00

Every published version of the privacy notice, terms of sale, PDF licence, cookies page and
accessibility statement is a row of ``content_versions`` (numbered per page; the pair is unique,
which refuses the later of two saves made from the same version). ``order_agreements`` records
which versions of the terms and the licence the buyer accepted with each order. Both tables are
new, so rows in place need nothing.
"""
from alembic import op
import sqlalchemy as sa
import portal.db_types


# revision identifiers, used by Alembic.
revision = '0023_content_pages'
down_revision = '0022_insight_requests'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('content_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('page', sa.Enum('privacy', 'terms', 'licence', 'cookies', 'accessibility', name='content_page', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=200), server_default='', nullable=False),
    sa.Column('author_user_id', sa.Integer(), nullable=True),
    sa.Column('published_at', portal.db_types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_content_versions_number_positive')),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_content_versions_author_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_versions')),
    sa.UniqueConstraint('page', 'number', name=op.f('uq_content_versions_page_number'))
    )
    with op.batch_alter_table('content_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_versions_author_user_id'), ['author_user_id'], unique=False)

    op.create_table('order_agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('content_version_id', sa.Integer(), nullable=False),
    sa.Column('accepted_at', portal.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['content_version_id'], ['content_versions.id'], name=op.f('fk_order_agreements_content_version_id_content_versions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_agreements_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_agreements')),
    sa.UniqueConstraint('order_id', 'content_version_id', name=op.f('uq_order_agreements_order_id_content_version_id'))
    )
    with op.batch_alter_table('order_agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_agreements_content_version_id'), ['content_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_agreements_order_id'), ['order_id'], unique=False)



def downgrade():
    with op.batch_alter_table('order_agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_agreements_order_id'))
        batch_op.drop_index(batch_op.f('ix_order_agreements_content_version_id'))

    op.drop_table('order_agreements')
    with op.batch_alter_table('content_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_versions_author_user_id'))

    op.drop_table('content_versions')
