"""order lines' format kind held to the formats' kinds

Revision ID: 0018_order_line_format_kind
Revises: 0017_email_limits
Create Date: 2026-12-04 16:00:00

``order_lines.format_kind`` was a free VARCHAR(10); it becomes the same enum as
``report_formats.kind`` ('pdf' or 'print'), which is where every line's value came from. The
column keeps its type: only a check is added. On PostgreSQL it is added NOT VALID and then
validated outside the migration's transaction, so order lines take writes while their rows are
checked; SQLite rebuilds the table (batch mode) with its rows.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_order_line_format_kind'
down_revision = '0017_email_limits'
branch_labels = None
depends_on = None

KINDS = ('pdf', 'print')
CHECK = 'ck_order_lines_format_kind'


def upgrade():
    if op.get_context().dialect.name == 'postgresql':
        listed = ", ".join(f"'{kind}'" for kind in KINDS)
        with op.get_context().autocommit_block():
            op.execute(
                f"ALTER TABLE order_lines ADD CONSTRAINT {CHECK} "
                f"CHECK (format_kind IN ({listed})) NOT VALID"
            )
            op.execute(f"ALTER TABLE order_lines VALIDATE CONSTRAINT {CHECK}")
        return
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_check_constraint('format_kind', sa.column('format_kind').in_(KINDS))


def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_='check')
