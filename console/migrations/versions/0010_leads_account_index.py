"""Leads by account: the call screen lists the other contacts at the lead's account.

Without an index that list read every lead (a million on the pages benchmark's
database: seconds per call screen). `ix_leads_account` finds an account's leads
in the order the page lists them (last name). The claim never writes these
columns, so it costs the claim nothing.

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('leads', schema=None, recreate="never") as batch_op:
        batch_op.create_index('ix_leads_account', ['account_id', 'last_name'], unique=False)


def downgrade():
    with op.batch_alter_table('leads', schema=None, recreate="never") as batch_op:
        batch_op.drop_index('ix_leads_account')
