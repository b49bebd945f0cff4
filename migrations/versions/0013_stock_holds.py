"""stock holds: orders waiting for approval, a cap of printed copies per order

Revision ID: 0013_stock_holds
Revises: 0012_order_list_organisation
Create Date: 2026-12-04 14:40:00

An invoice order from an address that is not verified takes no printed copies until an
administrator approves it: a new order state, ``awaiting_approval``, allowed by the CHECK
constraints of ``orders.state`` and ``order_events.from_state``/``to_state``. Each printed format
gets the most copies one order (and one address in a day) may take, 20 unless set.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_stock_holds'
down_revision = '0012_order_list_organisation'
branch_labels = None
depends_on = None

BEFORE = ("pending_payment", "awaiting_invoice_payment", "paid", "fulfilled", "cancelled")
AFTER = ("pending_payment", "awaiting_approval", *BEFORE[1:])
#: (table, column, the enum's constraint name) of every column holding an order state.
STATE_COLUMNS = (
    ("orders", "state", "order_state"),
    ("order_events", "from_state", "from_state"),
    ("order_events", "to_state", "to_state"),
)


def _allow_states(states: tuple[str, ...]) -> None:
    for table, column, name in STATE_COLUMNS:
        constraint = op.f(f"ck_{table}_{name}")
        listed = ", ".join(f"'{state}'" for state in states)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(constraint, type_="check")
            batch_op.create_check_constraint(constraint, f"{column} IN ({listed})")


def upgrade():
    with op.batch_alter_table('report_formats', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('max_copies_per_order', sa.Integer(), server_default='20', nullable=False)
        )
        batch_op.create_check_constraint(
            op.f('ck_report_formats_max_copies_per_order_positive'), 'max_copies_per_order >= 1'
        )
    _allow_states(AFTER)


def downgrade():
    # Orders still waiting for approval cannot be kept in a state the older schema lacks.
    op.execute("UPDATE order_events SET from_state = 'cancelled' WHERE from_state = 'awaiting_approval'")
    op.execute("UPDATE order_events SET to_state = 'cancelled' WHERE to_state = 'awaiting_approval'")
    op.execute("UPDATE orders SET state = 'cancelled' WHERE state = 'awaiting_approval'")
    _allow_states(BEFORE)
    with op.batch_alter_table('report_formats', schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f('ck_report_formats_max_copies_per_order_positive'), type_='check'
        )
        batch_op.drop_column('max_copies_per_order')
