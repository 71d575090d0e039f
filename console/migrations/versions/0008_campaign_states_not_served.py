"""Campaigns name the states they do not serve: those leads are never called.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ALTER TABLE ADD COLUMN: recreating campaigns on SQLite would break the leads' foreign keys.
    with op.batch_alter_table('campaigns', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('excluded_states', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('excluded_states')
