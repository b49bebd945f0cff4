"""people and orders remember when their personal data was erased

Revision ID: 0028_data_rights
Revises: 0027_catalogue_search
Create Date: 2026-12-04 22:00:00

An account closed at its owner's request keeps its row (orders and documents still point at it)
with the person replaced by a pseudonym; ``users.erased_at`` says when, so a second request is
refused and signing in fails. An order whose buyer was erased (the account closed, or a guest's
details removed after the retention period) keeps its figures as the financial record;
``orders.erased_at`` says when, and from then on only administrators reach it and its files.
"""

from alembic import op
import sqlalchemy as sa

from portal.db_types import UTCDateTime


# revision identifiers, used by Alembic.
revision = "0028_data_rights"
down_revision = "0027_catalogue_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", UTCDateTime(), nullable=True))


def downgrade():
    # Dropped in place (SQLite 3.35 or later): copying the tables is refused while other tables
    # point at their rows.
    op.execute("ALTER TABLE orders DROP COLUMN erased_at")
    op.execute("ALTER TABLE users DROP COLUMN erased_at")
