"""documents keep their own net and VAT beside their total

Revision ID: 0025_document_amounts
Revises: 0024_org_managers
Create Date: 2026-12-04 21:00:00

An issued document never changes, so each keeps the net, VAT and total it was issued with
(pence; a credit note's negative), rather than having them worked out again from its order.
Documents already issued are given the figures printed on them: an invoice's or a receipt's
are its order's (postage in the net); a credit note of chosen lines (a refund by line, or of
postage) credits those lines' VAT, and any other credit note its share of the order's VAT,
to the nearest penny, halves up.

The columns are added nullable and filled. On PostgreSQL a check then holds them (net and VAT
present, adding up to the total), added NOT VALID and validated outside the migration's
transaction, so documents take writes while their rows are checked. SQLite (the laptop's
database) keeps the figures without the check: adding one there means copying the table,
which its foreign keys refuse while refunds and copies of documents point at its rows.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_document_amounts'
down_revision = '0024_org_managers'
branch_labels = None
depends_on = None

CHECK = 'ck_documents_amounts_add_up'
ADDS_UP = 'net_pence IS NOT NULL AND vat_pence IS NOT NULL AND net_pence + vat_pence = total_pence'


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('net_pence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('vat_pence', sa.Integer(), nullable=True))
    _fill_invoices_and_receipts()
    _fill_credit_notes()
    if op.get_context().dialect.name != 'postgresql':
        return  # see the note above: SQLite keeps the figures without the check
    with op.get_context().autocommit_block():
        op.execute(f"ALTER TABLE documents ADD CONSTRAINT {CHECK} CHECK ({ADDS_UP}) NOT VALID")
        op.execute(f"ALTER TABLE documents VALIDATE CONSTRAINT {CHECK}")


def _fill_invoices_and_receipts():
    op.execute(
        "UPDATE documents SET"
        " net_pence = total_pence - (SELECT o.vat_pence FROM orders o WHERE o.id = documents.order_id),"
        " vat_pence = (SELECT o.vat_pence FROM orders o WHERE o.id = documents.order_id)"
        " WHERE kind IN ('invoice', 'receipt')"
    )


def _fill_credit_notes():
    # Plain SQL (no rows read into Python), so the offline script does the same.
    of_lines = (
        "EXISTS (SELECT 1 FROM refunds r WHERE r.credit_note_id = documents.id"
        " AND (r.postage_pence > 0 OR EXISTS"
        " (SELECT 1 FROM refund_lines l WHERE l.refund_id = r.id)))"
    )
    lines_vat = (
        "(SELECT COALESCE(SUM(l.vat_pence), 0) FROM refund_lines l"
        " JOIN refunds r ON r.id = l.refund_id WHERE r.credit_note_id = documents.id)"
    )
    # The order's VAT times the amount over the order's total, to the nearest penny, halves up.
    vat_share = (
        "(SELECT CASE WHEN o.total_pence <= 0 THEN 0 ELSE"
        " (2 * CAST(-documents.total_pence AS BIGINT) * o.vat_pence + o.total_pence)"
        " / (2 * o.total_pence) END FROM orders o WHERE o.id = documents.order_id)"
    )
    op.execute(
        f"UPDATE documents SET vat_pence = -(CASE WHEN {of_lines} THEN {lines_vat}"
        f" ELSE {vat_share} END) WHERE kind = 'credit_note'"
    )
    op.execute("UPDATE documents SET net_pence = total_pence - vat_pence WHERE kind = 'credit_note'")


def downgrade():
    if op.get_context().dialect.name == 'postgresql':
        op.execute(f"ALTER TABLE documents DROP CONSTRAINT {CHECK}")
    # Dropped in place (SQLite 3.35 or later): copying the table is refused while refunds and
    # copies of documents point at its rows.
    op.execute("ALTER TABLE documents DROP COLUMN vat_pence")
    op.execute("ALTER TABLE documents DROP COLUMN net_pence")
