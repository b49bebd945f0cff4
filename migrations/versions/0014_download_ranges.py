"""the page limit of a report's uploaded PDF, set on its PDF format

Revision ID: 0014_download_ranges
Revises: 0013_stock_holds
Create Date: 2026-12-04 15:00:00

Existing formats get the default of 2,000 pages (a constant default: adding the column does not
rewrite the table on PostgreSQL, nor rebuild it on SQLite). The catalogue service refuses a
limit below 1.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_download_ranges'
down_revision = "0013_stock_holds"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_formats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page_limit', sa.Integer(), server_default='2000', nullable=False))


def downgrade():
    with op.batch_alter_table('report_formats', schema=None) as batch_op:
        batch_op.drop_column('page_limit')
