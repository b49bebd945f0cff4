"""a checkout attempt is saved, with its idempotency key, before Stripe is asked

Revision ID: 0032_attempt_saved_first
Revises: 0031_stripe_production
Create Date: 2026-12-05 00:55:00

A checkout attempt is saved with its random idempotency key before the portal asks Stripe for
its Checkout Session, so that asking again after an answer that never arrived (a timeout after
Stripe made the session) sends the same key and Stripe gives back the same session. Until Stripe
answers the attempt has no session (``stripe_session_id`` may be empty) and its status is
``starting``.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0032_attempt_saved_first"
down_revision = "0031_stripe_production"
branch_labels = None
depends_on = None

CHECK = "attempt_status"
BEFORE = "status IN ('open', 'processing', 'paid', 'failed', 'expired')"
AFTER = "status IN ('starting', 'open', 'processing', 'paid', 'failed', 'expired')"


def _alter(nullable: bool, check: str) -> None:
    # Nothing points at checkout attempts, so SQLite may copy the table.
    with op.batch_alter_table("checkout_attempts", schema=None) as batch_op:
        batch_op.alter_column(
            "stripe_session_id", existing_type=sa.String(length=255), nullable=nullable
        )
        batch_op.drop_constraint(op.f("ck_checkout_attempts_attempt_status"), type_="check")
        batch_op.create_check_constraint(CHECK, check)


def upgrade():
    if op.get_context().dialect.name != "postgresql":
        _alter(True, AFTER)
        return
    # The wider check is added NOT VALID and validated outside the migration's transaction, so
    # checkout attempts take writes while their rows are checked.
    name = f"ck_checkout_attempts_{CHECK}"
    op.alter_column(
        "checkout_attempts", "stripe_session_id", existing_type=sa.String(255), nullable=True
    )
    op.drop_constraint(op.f(name), "checkout_attempts", type_="check")
    with op.get_context().autocommit_block():
        op.execute(f"ALTER TABLE checkout_attempts ADD CONSTRAINT {name} CHECK ({AFTER}) NOT VALID")
        op.execute(f"ALTER TABLE checkout_attempts VALIDATE CONSTRAINT {name}")


def downgrade():
    # Attempts Stripe never answered made no payment: they are forgotten.
    op.execute("DELETE FROM checkout_attempts WHERE stripe_session_id IS NULL")
    _alter(False, BEFORE)
