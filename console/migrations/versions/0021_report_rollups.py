"""Hourly rollups (and their daily sums) of the call figures the reports read over many rows, their watermark,
the indexes that find what changed since it (calls by end, legs by update), and three hand-off indexes (won by creation; by creation with
the qualifying agent, for the agent view; every column of the hand-off figures by campaign and creation).

Revision ID: 0021_report_rollups
Revises: 0020_api
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_report_rollups'
down_revision = '0020_api'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'report_campaign_hours',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('hour', sa.DateTime(), nullable=False),
        sa.Column('dials', sa.Integer(), nullable=False),
        sa.Column('connects', sa.Integer(), nullable=False),
        sa.Column('conversations', sa.Integer(), nullable=False),
        sa.Column('qualified', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name='fk_report_campaign_hours_campaign_id_campaigns'),
        sa.PrimaryKeyConstraint('campaign_id', 'hour', name='pk_report_campaign_hours'),
    )
    op.create_table(
        'report_agent_hours',
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('hour', sa.DateTime(), nullable=False),
        sa.Column('dials', sa.Integer(), nullable=False),
        sa.Column('connects', sa.Integer(), nullable=False),
        sa.Column('conversations', sa.Integer(), nullable=False),
        sa.Column('qualified', sa.Integer(), nullable=False),
        sa.Column('call_seconds', sa.Float(), nullable=False),
        sa.Column('gaps', sa.Integer(), nullable=False),
        sa.Column('gap_seconds', sa.Integer(), nullable=False),
        sa.Column('talk_seconds', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name='fk_report_agent_hours_agent_id_users'),
        sa.PrimaryKeyConstraint('agent_id', 'hour', name='pk_report_agent_hours'),
    )
    op.create_table(
        'report_campaign_days',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.DateTime(), nullable=False),
        sa.Column('dials', sa.Integer(), nullable=False),
        sa.Column('connects', sa.Integer(), nullable=False),
        sa.Column('conversations', sa.Integer(), nullable=False),
        sa.Column('qualified', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name='fk_report_campaign_days_campaign_id_campaigns'),
        sa.PrimaryKeyConstraint('campaign_id', 'day', name='pk_report_campaign_days'),
    )
    op.create_table(
        'report_agent_days',
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.DateTime(), nullable=False),
        sa.Column('dials', sa.Integer(), nullable=False),
        sa.Column('connects', sa.Integer(), nullable=False),
        sa.Column('conversations', sa.Integer(), nullable=False),
        sa.Column('qualified', sa.Integer(), nullable=False),
        sa.Column('call_seconds', sa.Float(), nullable=False),
        sa.Column('gaps', sa.Integer(), nullable=False),
        sa.Column('gap_seconds', sa.Integer(), nullable=False),
        sa.Column('talk_seconds', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name='fk_report_agent_days_agent_id_users'),
        sa.PrimaryKeyConstraint('agent_id', 'day', name='pk_report_agent_days'),
    )
    op.create_table(
        'report_rollup_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('watermark', sa.DateTime(), nullable=False),
        sa.Column('refreshed_at', sa.DateTime(), nullable=False),
        sa.Column('hours_refreshed', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_report_rollup_state'),
    )
    op.create_index('ix_handoffs_outcome_created', 'handoffs', ['outcome', 'created_at'])
    op.create_index('ix_handoffs_created_agent', 'handoffs', ['created_at', 'qualified_by_id', 'status', 'rating'])
    op.create_index('ix_handoffs_campaign_figures', 'handoffs',
                    ['campaign_id', 'created_at', 'status', 'rejection_kind', 'first_contact_at', 'reviewed_by_id',
                     'released_at', 'meeting_held_at', 'opportunity_at', 'outcome', 'won_cents', 'rating'])
    op.create_index('ix_calls_ended', 'calls', ['ended_at'])
    op.create_index('ix_phone_calls_updated', 'phone_calls', ['updated_at'])


def downgrade():
    op.drop_index('ix_phone_calls_updated', table_name='phone_calls')
    op.drop_index('ix_calls_ended', table_name='calls')
    op.drop_index('ix_handoffs_campaign_figures', table_name='handoffs')
    op.drop_index('ix_handoffs_created_agent', table_name='handoffs')
    op.drop_index('ix_handoffs_outcome_created', table_name='handoffs')
    op.drop_table('report_rollup_state')
    op.drop_table('report_agent_days')
    op.drop_table('report_campaign_days')
    op.drop_table('report_agent_hours')
    op.drop_table('report_campaign_hours')
