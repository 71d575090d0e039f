"""The indexes the campaign reports read by (console/reports/models.py says which statement uses which).

Revision ID: 0018_report_indexes
Revises: 0017_touch_origin_budget
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018_report_indexes'
down_revision = '0017_touch_origin_budget'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_calls_campaign_started', 'calls', ['campaign_id', 'started_at', 'status', 'disposition'])
    op.create_index('ix_calls_started', 'calls', ['started_at'])
    op.create_index('ix_handoffs_campaign_created', 'handoffs', ['campaign_id', 'created_at'])
    op.create_index('ix_handoffs_created', 'handoffs', ['created_at'])


def downgrade():
    op.drop_index('ix_handoffs_created', table_name='handoffs')
    op.drop_index('ix_handoffs_campaign_created', table_name='handoffs')
    op.drop_index('ix_calls_started', table_name='calls')
    op.drop_index('ix_calls_campaign_started', table_name='calls')
