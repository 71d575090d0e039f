"""The lead record and the do-not-call pages (issue 14): the lead search's indexes (last names and company names
in any case, a campaign's leads and a later stage's newest first) and the do-not-call list's by scope and by source, newest first.

Indexes only (recreate="never"): no table is copied.

Revision ID: 0012_records
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_records'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('leads', schema=None, recreate="never") as batch_op:
        batch_op.create_index('ix_leads_last_name_lower', [sa.text('lower(last_name)')], unique=False)
        batch_op.create_index('ix_leads_campaign_newest', ['campaign_id', 'id'], unique=False)
        batch_op.create_index('ix_leads_stage_moved', ['stage', 'id'], unique=False,
                              sqlite_where=sa.text("stage <> 'lead'"), postgresql_where=sa.text("stage <> 'lead'"))
    with op.batch_alter_table('accounts', schema=None, recreate="never") as batch_op:
        batch_op.create_index('ix_accounts_name_lower', [sa.text('lower(name)')], unique=False)
    with op.batch_alter_table('do_not_call', schema=None, recreate="never") as batch_op:
        batch_op.create_index('ix_do_not_call_campaign', ['campaign_id', 'id'], unique=False)
        batch_op.create_index('ix_do_not_call_source', ['source', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('do_not_call', schema=None, recreate="never") as batch_op:
        batch_op.drop_index('ix_do_not_call_source')
        batch_op.drop_index('ix_do_not_call_campaign')
    with op.batch_alter_table('accounts', schema=None, recreate="never") as batch_op:
        batch_op.drop_index('ix_accounts_name_lower')
    with op.batch_alter_table('leads', schema=None, recreate="never") as batch_op:
        batch_op.drop_index('ix_leads_stage_moved', sqlite_where=sa.text("stage <> 'lead'"),
                            postgresql_where=sa.text("stage <> 'lead'"))
        batch_op.drop_index('ix_leads_campaign_newest')
        batch_op.drop_index('ix_leads_last_name_lower')
