"""two-factor sign-in kept on the server: sealed TOTP secrets, the wrong-code lockout, and
administrators' confirmation

Revision ID: 0015_two_factor_server
Revises: 0014_download_ranges
Create Date: 2026-12-04 14:40:00

TOTP secrets move from ``users.totp_secret`` (plain text) to ``users.totp_secret_sealed``,
encrypted with the key the portal itself is configured with (``TOTP_ENCRYPTION_KEY``, through
``portal.secret_box``). Alembic runs inside the application here (``flask db upgrade``), so this
revision reads the key exactly as the running portal will, and every secret is sealed in the same
transaction as the new column is made and the plain one dropped: no plain secret outlives the
upgrade, and the portal never needs to tell old plain values from sealed ones. Run it with the
production settings loaded (see docs/deploy.md), or the secrets are sealed with the demo key and
production then refuses them with a clear error. A new column rather than a wider one, because
changing a column's type on PostgreSQL holds a long lock on the table. Downgrading opens them again.

Offline (``--sql``) the rows cannot be read, so the script says so in a comment and seals nothing:
run this revision online.

Every administrator there already is counts as confirmed; anyone made one from now on confirms by
the link emailed to them.
"""
from alembic import context, op
import sqlalchemy as sa
from flask import current_app

import portal.db_types
from portal.clock import utcnow
from portal.secret_box import seal, unseal


# revision identifiers, used by Alembic.
revision = '0015_two_factor_server'
down_revision = "0014_download_ranges"
branch_labels = None
depends_on = None

_users = sa.table(
    'users',
    sa.column('id', sa.Integer),
    sa.column('is_admin', sa.Boolean),
    sa.column('totp_secret', sa.String),
    sa.column('totp_secret_sealed', sa.String),
    sa.column('admin_confirmed_at', portal.db_types.UTCDateTime),
)


def _copy(source: str, target: str, convert) -> None:
    if context.is_offline_mode():
        op.execute(f"-- run online (flask db upgrade): users.{source} is copied to {target} there")
        return
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_users.c.id, _users.c[source]).where(_users.c[source].is_not(None))
    ).all()
    for user_id, value in rows:
        connection.execute(
            _users.update().where(_users.c.id == user_id).values({target: convert(value)})
        )


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret_sealed', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('failed_second_factors', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('second_factor_locked_until', portal.db_types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('admin_confirmed_at', portal.db_types.UTCDateTime(), nullable=True))

    _copy('totp_secret', 'totp_secret_sealed', lambda plain: seal(plain, current_app.config))
    if context.is_offline_mode():
        op.execute("-- run online (flask db upgrade): today's administrators count as confirmed there")
    else:
        op.get_bind().execute(
            _users.update().where(_users.c.is_admin.is_(True)).values(admin_confirmed_at=utcnow())
        )

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_secret')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.VARCHAR(length=64), nullable=True))

    _copy('totp_secret_sealed', 'totp_secret', lambda sealed: unseal(sealed, current_app.config))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('admin_confirmed_at')
        batch_op.drop_column('second_factor_locked_until')
        batch_op.drop_column('failed_second_factors')
        batch_op.drop_column('totp_secret_sealed')
