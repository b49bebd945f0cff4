"""a report's page count, file size and free sample

Revision ID: 0026_report_media
Revises: 0025_document_amounts
Create Date: 2026-12-04 21:45:00

Reports record the page count and size of their PDF, how many of its first pages are offered
free as a sample (5 unless an administrator sets another number) and where the sample cut from
the PDF is stored. Reports uploaded before this revision have none of these until their PDF is
uploaded again or their sample is first asked for.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_report_media'
down_revision = '0025_document_amounts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pdf_size_bytes', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('sample_pages', sa.Integer(), server_default='5', nullable=False)
        )
        batch_op.add_column(sa.Column('sample_file_key', sa.String(length=200), nullable=True))


def downgrade():
    # Dropped in place (SQLite 3.35 or later): copying the table is refused while formats and
    # order lines point at its rows.
    for column in ('sample_file_key', 'sample_pages', 'pdf_size_bytes', 'page_count'):
        op.execute(f"ALTER TABLE reports DROP COLUMN {column}")
