"""credit terms: public-sector domains, organisations on stop, copies of documents

Revision ID: 0019_credit_terms
Revises: 0018_order_line_format_kind
Create Date: 2026-12-04 17:30:00

Invoice orders from known organisations and public-sector domains are released when placed:
``orders.credit_terms`` keeps the decision made then. The public-sector domains are a list
administrators keep, seeded here. An organisation may be put on stop (when, and why). An invoice
re-issued with a purchase-order number added later is a marked copy beside the original
(``document_copies``). Every new column is nullable or has a default, so rows in place need
nothing.
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import portal.db_types


# revision identifiers, used by Alembic.
revision = '0019_credit_terms'
down_revision = '0018_order_line_format_kind'
branch_labels = None
depends_on = None

PUBLIC_SECTOR_DOMAINS = (
    'gov.uk', 'gov.scot', 'gov.wales', 'nhs.uk', 'nhs.net', 'police.uk', 'mod.uk', 'ac.uk',
    'sch.uk',
)


def upgrade():
    domains = op.create_table(
        'public_sector_domains',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('domain', sa.String(length=253), nullable=False),
        sa.Column('created_at', portal.db_types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_public_sector_domains')),
        sa.UniqueConstraint('domain', name=op.f('uq_public_sector_domains_domain')),
    )
    now = datetime.now(timezone.utc)
    op.bulk_insert(domains, [{'domain': d, 'created_at': now} for d in PUBLIC_SECTOR_DOMAINS])

    op.create_table(
        'document_copies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('made_on', sa.Date(), nullable=False),
        sa.Column('marking', sa.String(length=200), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', portal.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['document_id'], ['documents.id'],
            name=op.f('fk_document_copies_document_id_documents'), ondelete='RESTRICT',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_copies')),
    )
    with op.batch_alter_table('document_copies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_copies_document_id'), ['document_id'], unique=False)

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_stop_since', portal.db_types.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('on_stop_reason', sa.Text(), server_default='', nullable=False)
        )

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('credit_terms', sa.String(length=20), server_default='', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('credit_terms')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('on_stop_reason')
        batch_op.drop_column('on_stop_since')
    with op.batch_alter_table('document_copies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_copies_document_id'))
    op.drop_table('document_copies')
    op.drop_table('public_sector_domains')
