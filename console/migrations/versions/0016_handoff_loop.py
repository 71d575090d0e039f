"""The hand-off loop (issue 16): SLA policies and breaches, marketing's review step, rejection kinds and what
they did, the next step agreed on the call, sales' progress to an outcome, ratings and the agent's feedback,
recalls (nurture with a date), sales teams and their managers, each campaign's default recall delay.

Revision ID: 0016_handoff_loop
Revises: 0015_routing
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_handoff_loop'
down_revision = '0015_routing'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sla_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('requires_review', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('handover_minutes', sa.Integer(), nullable=False),
    sa.Column('accept_minutes', sa.Integer(), nullable=False),
    sa.Column('first_contact_minutes', sa.Integer(), nullable=False),
    sa.Column('amber_percent', sa.Integer(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('day_start', sa.Time(), nullable=False),
    sa.Column('day_end', sa.Time(), nullable=False),
    sa.Column('work_days', sa.String(length=7), nullable=False),
    sa.Column('holiday_country', sa.String(length=2), nullable=True),
    sa.Column('holiday_subdivision', sa.String(length=10), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_sla_policies_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_sla_policies_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies')),
    sa.UniqueConstraint('campaign_id', name=op.f('uq_sla_policies_campaign_id'))
    )
    op.create_table('recalls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('recall_on', sa.Date(), nullable=False),
    sa.Column('cause', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=True),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_recalls_call_id_calls')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_recalls_created_by_id_users')),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], name=op.f('fk_recalls_handoff_id_handoffs')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_recalls_lead_id_leads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recalls'))
    )
    with op.batch_alter_table('recalls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recalls_lead_id'), ['lead_id'], unique=False)

    op.create_table('sla_breaches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=False),
    sa.Column('clock', sa.String(length=20), nullable=False),
    sa.Column('side', sa.String(length=20), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('breached_at', sa.DateTime(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['users.id'], name=op.f('fk_sla_breaches_assigned_to_id_users')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_sla_breaches_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], name=op.f('fk_sla_breaches_handoff_id_handoffs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_breaches')),
    sa.UniqueConstraint('handoff_id', 'clock', name='uq_sla_breaches_handoff_clock')
    )
    with op.batch_alter_table('sla_breaches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_breaches_breached_at'), ['breached_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sla_breaches_campaign_id'), ['campaign_id'], unique=False)

    with op.batch_alter_table('campaigns', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('nurture_recall_days', sa.Integer(), server_default='90', nullable=False))

    _add_reference('handoffs', 'reviewed_by_id', 'users')
    _add_reference('handoffs', 'previous_handoff_id', 'handoffs')
    with op.batch_alter_table('handoffs', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('released_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('rejection_kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('rejection_result', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('recall_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('next_step', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('next_step_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('next_step_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sla', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('first_contact_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('first_contact_kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('meeting_held_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('opportunity_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('opportunity_cents', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('expected_close_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('outcome_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('won_cents', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('won_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('lost_reason', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('lost_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('rating', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('rating_comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('rated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('feedback_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('feedback_seen_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_handoffs_qualified_by_id'), ['qualified_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoffs_status'), ['status'], unique=False)

    with op.batch_alter_table('users', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('sales_team', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('sales_manager', sa.Boolean(), server_default=sa.false(), nullable=False))

    # Hand-offs made before the review step reached sales when they were made.
    op.execute("UPDATE handoffs SET released_at = created_at WHERE released_at IS NULL AND status <> 'review'")


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable integer column referencing `target`: inline REFERENCES on SQLite (no table copy), a named
    constraint on PostgreSQL."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES {target} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(f'fk_{table}_{column}_{target}', table, target, [column], ['id'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('sales_manager')
        batch_op.drop_column('sales_team')

    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':  # SQLite's are unnamed: they go with their columns
            batch_op.drop_constraint('fk_handoffs_previous_handoff_id_handoffs', type_='foreignkey')
            batch_op.drop_constraint('fk_handoffs_reviewed_by_id_users', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_handoffs_status'))
        batch_op.drop_index(batch_op.f('ix_handoffs_qualified_by_id'))
        batch_op.drop_column('feedback_seen_at')
        batch_op.drop_column('feedback_at')
        batch_op.drop_column('rated_at')
        batch_op.drop_column('rating_comment')
        batch_op.drop_column('rating')
        batch_op.drop_column('lost_note')
        batch_op.drop_column('lost_reason')
        batch_op.drop_column('won_on')
        batch_op.drop_column('won_cents')
        batch_op.drop_column('outcome_at')
        batch_op.drop_column('outcome')
        batch_op.drop_column('expected_close_on')
        batch_op.drop_column('opportunity_cents')
        batch_op.drop_column('opportunity_at')
        batch_op.drop_column('meeting_held_at')
        batch_op.drop_column('first_contact_kind')
        batch_op.drop_column('first_contact_at')
        batch_op.drop_column('sla')
        batch_op.drop_column('next_step_note')
        batch_op.drop_column('next_step_at')
        batch_op.drop_column('next_step')
        batch_op.drop_column('previous_handoff_id')
        batch_op.drop_column('recall_on')
        batch_op.drop_column('rejection_result')
        batch_op.drop_column('rejection_kind')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('released_at')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('nurture_recall_days')

    with op.batch_alter_table('sla_breaches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_breaches_campaign_id'))
        batch_op.drop_index(batch_op.f('ix_sla_breaches_breached_at'))

    op.drop_table('sla_breaches')
    with op.batch_alter_table('recalls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recalls_lead_id'))

    op.drop_table('recalls')
    op.drop_table('sla_policies')
