"""Hand-off routing rules (issue 16): rules per campaign and a global default, each rule's round-robin cursor,
sales members' availability (away, working hours, time zone), and the routing decision kept on each hand-off.

Revision ID: 0015_routing
Revises: 0014_callback_owner_partial
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_routing'
down_revision = '0014_callback_owner_partial'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'routing_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('catch_all', sa.Boolean(), nullable=False),
        sa.Column('conditions', sa.JSON(), nullable=False),
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.Column('members', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_routing_rules_campaign_id_campaigns')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rules')),
    )
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_rules_campaign_id'), ['campaign_id'], unique=False)
    op.create_table(
        'routing_cursors',
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['rule_id'], ['routing_rules.id'], name=op.f('fk_routing_cursors_rule_id_routing_rules'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('rule_id', name=op.f('pk_routing_cursors')),
    )
    with op.batch_alter_table('users', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('away', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('working_hours', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))
    with op.batch_alter_table('handoffs', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('routing_note', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_column('routing_note')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
        batch_op.drop_column('working_hours')
        batch_op.drop_column('away')
    op.drop_table('routing_cursors')
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rules_campaign_id'))
    op.drop_table('routing_rules')
