"""insight requests, subscription contacts and reminders

Revision ID: 0022_insight_requests
Revises: 0021_free_copies_returned
Create Date: 2026-12-04 20:33:15

Requests to join, renew or ask about Insight, sent from the public "What Insight is" page, with
the steps administrators take on each (who, when, from which state to which, a note); the
subscription contacts of each organisation; and one row per subscription period and kind of
reminder sent, so no period is reminded twice of the same thing.
"""
from alembic import op
import sqlalchemy as sa
import portal.db_types


# revision identifiers, used by Alembic.
revision = '0022_insight_requests'
down_revision = '0021_free_copies_returned'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('insight_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_key', sa.String(length=64), nullable=False),
    sa.Column('topic', sa.Enum('join', 'renew', 'question', name='request_topic', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('new', 'contacted', 'won', 'lost', name='request_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_insight_requests_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_insight_requests_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insight_requests')),
    sa.UniqueConstraint('request_key', name=op.f('uq_insight_requests_request_key'))
    )
    with op.batch_alter_table('insight_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insight_requests_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_insight_requests_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('subscription_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_subscription_contacts_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription_contacts')),
    sa.UniqueConstraint('organisation_id', 'email', name=op.f('uq_subscription_contacts_organisation_id_email'))
    )
    with op.batch_alter_table('subscription_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_contacts_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('insight_request_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', portal.db_types.UTCDateTime(), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('from_state', sa.Enum('new', 'contacted', 'won', 'lost', name='event_from_state', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('to_state', sa.Enum('new', 'contacted', 'won', 'lost', name='event_to_state', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_insight_request_events_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['insight_requests.id'], name=op.f('fk_insight_request_events_request_id_insight_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insight_request_events'))
    )
    with op.batch_alter_table('insight_request_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insight_request_events_request_id'), ['request_id'], unique=False)

    op.create_table('subscription_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('90_days', '30_days', '7_days', 'ended', name='reminder_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['insight_subscriptions.id'], name=op.f('fk_subscription_reminders_subscription_id_insight_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription_reminders')),
    sa.UniqueConstraint('subscription_id', 'kind', name=op.f('uq_subscription_reminders_subscription_id_kind'))
    )


def downgrade():
    op.drop_table('subscription_reminders')
    with op.batch_alter_table('insight_request_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insight_request_events_request_id'))

    op.drop_table('insight_request_events')
    with op.batch_alter_table('subscription_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_contacts_organisation_id'))

    op.drop_table('subscription_contacts')
    with op.batch_alter_table('insight_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insight_requests_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_insight_requests_created_at'))

    op.drop_table('insight_requests')
