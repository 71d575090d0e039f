"""What the reports and the API both need (issues 17, 18): the campaign a marketing touch came from (attribution,
first and last touch) and its address, and a campaign's budget (cost per qualified lead and per won deal).

Revision ID: 0017_touch_origin_budget
Revises: 0016_handoff_loop
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_touch_origin_budget'
down_revision = '0016_handoff_loop'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":  # inline REFERENCES: no table copy
        op.execute("ALTER TABLE touches ADD COLUMN campaign_id INTEGER REFERENCES campaigns (id)")
    else:
        op.add_column('touches', sa.Column('campaign_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_touches_campaign_id_campaigns', 'touches', 'campaigns', ['campaign_id'], ['id'])
    with op.batch_alter_table('touches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('url', sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f('ix_touches_campaign_id'), ['campaign_id'], unique=False)
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('budget_cents', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('budget_cents')
    with op.batch_alter_table('touches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_touches_campaign_id'))
        if op.get_bind().dialect.name != 'sqlite':
            batch_op.drop_constraint('fk_touches_campaign_id_campaigns', type_='foreignkey')
        batch_op.drop_column('url')
        batch_op.drop_column('campaign_id')
