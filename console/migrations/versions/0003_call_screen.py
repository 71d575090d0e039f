"""Call screen: campaign dispositions, auto-advance, referrals, time between calls.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'disposition_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=30), nullable=False),
        sa.Column('next_action', sa.String(length=20), nullable=False),
        sa.Column('retry_minutes', sa.Integer(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_disposition_settings_campaign_id_campaigns')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_disposition_settings_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_disposition_settings')),
        sa.UniqueConstraint('campaign_id', 'code', name='uq_disposition_settings_campaign_code'),
    )
    op.create_table(
        'agent_settings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('auto_advance', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_agent_settings_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_agent_settings')),
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_action', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('referral_lead_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seconds_since_previous_call', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_calls_referral_lead_id_leads'), 'leads',
                                    ['referral_lead_id'], ['id'])
        batch_op.create_index('ix_calls_agent_status_ended', ['agent_id', 'status', 'ended_at'], unique=False)


def downgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_agent_status_ended')
        batch_op.drop_constraint(batch_op.f('fk_calls_referral_lead_id_leads'), type_='foreignkey')
        batch_op.drop_column('seconds_since_previous_call')
        batch_op.drop_column('referral_lead_id')
        batch_op.drop_column('next_action')
    op.drop_table('agent_settings')
    op.drop_table('disposition_settings')
