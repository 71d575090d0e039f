"""The lead definition (issue 15): versions of the scoring model and glossary (global or one campaign's), the two
sides' votes on proposals, the approvals each side must give, and on each lead the version its score came from.

The shipped definition becomes version 1, in force, and every score stored before this migration is marked as
made with it. The leads table gains a column (ALTER TABLE ADD COLUMN, recreate="never": a million-lead table is
not copied).

Revision ID: 0013_lead_definition
Revises: 0012_records
"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa


revision = '0013_lead_definition'
down_revision = '0012_records'
branch_labels = None
depends_on = None

# Version 1 of the lead definition as it was when this migration was written (never import app code here).
SHIPPED_MODEL = {'criteria': [{'key': 'budget',
               'label': 'Budget',
               'question': 'Is there budget set aside for this?',
               'kind': 'choice',
               'required': True,
               'group': '',
               'unit': '',
               'options': [{'value': 'confirmed', 'label': 'Budget confirmed', 'points': 25, 'at_least': None},
                           {'value': 'planned',
                            'label': 'Budget planned for next cycle',
                            'points': 15,
                            'at_least': None},
                           {'value': 'unknown', 'label': 'Budget not known yet', 'points': 0, 'at_least': None},
                           {'value': 'none', 'label': 'No budget', 'points': -10, 'at_least': None}]},
              {'key': 'authority',
               'label': 'Authority',
               'question': 'Who signs off on a purchase like this?',
               'kind': 'choice',
               'required': True,
               'group': '',
               'unit': '',
               'options': [{'value': 'decision_maker',
                            'label': 'Speaking to the decision maker',
                            'points': 25,
                            'at_least': None},
                           {'value': 'influencer',
                            'label': 'Speaking to an influencer',
                            'points': 10,
                            'at_least': None},
                           {'value': 'no_authority',
                            'label': 'No buying authority',
                            'points': 0,
                            'at_least': None}]},
              {'key': 'need',
               'label': 'Need',
               'question': 'What problem would this solve for you?',
               'kind': 'choice',
               'required': True,
               'group': '',
               'unit': '',
               'options': [{'value': 'urgent', 'label': 'Urgent, stated need', 'points': 30, 'at_least': None},
                           {'value': 'some', 'label': 'Some need', 'points': 10, 'at_least': None},
                           {'value': 'none', 'label': 'No need', 'points': -20, 'at_least': None}]},
              {'key': 'timeline',
               'label': 'Timeline',
               'question': 'When do you expect to have a solution in place?',
               'kind': 'choice',
               'required': True,
               'group': '',
               'unit': '',
               'options': [{'value': 'under_3_months',
                            'label': 'Buying within 3 months',
                            'points': 20,
                            'at_least': None},
                           {'value': '3_to_6_months',
                            'label': 'Buying in 3–6 months',
                            'points': 10,
                            'at_least': None},
                           {'value': '6_to_12_months',
                            'label': 'Buying in 6–12 months',
                            'points': 5,
                            'at_least': None},
                           {'value': 'no_timeline', 'label': 'No timeline', 'points': 0, 'at_least': None}]}],
 'thresholds': {'hot': 70, 'warm': 40, 'qualified': 50},
 'caps': [],
 'engagement': {'half_life_days': None, 'cap': None, 'kinds': []}}
SHIPPED_GLOSSARY = {'contact': 'A person at an account we may call: a name, a number and a company, before anyone has worked them.',
 'lead': "A contact in a campaign's queue, worked by teleprospectors until they qualify, nurture or disqualify "
         'them.',
 'mql': 'A lead the call qualified: every required criterion answered and a score at or above the qualified '
        'threshold of the definition in force. Handed to sales with the call record.',
 'sal': 'A marketing-qualified lead a sales member accepted within the SLA: sales now owns the follow-up.',
 'sql': 'A sales-accepted lead sales has qualified further: a meeting held and a real opportunity in the pipeline.',
 'nurture': 'Not ready to buy now (no budget yet, a timeline beyond a year): back to marketing with a recall date, '
            'called again later.',
 'disqualified': 'Not a fit, not interested, a wrong or bad number, or asked not to be called: never called again '
                 'for this campaign.'}


def upgrade():
    settings = op.create_table('definition_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sales_approvals', sa.Integer(), nullable=False),
    sa.Column('marketing_approvals', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_definition_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_definition_settings'))
    )
    versions = op.create_table('definition_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('model', sa.JSON(), nullable=False),
    sa.Column('glossary', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('rebase_conflicts', sa.JSON(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=True),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(), nullable=True),
    sa.Column('rejected_at', sa.DateTime(), nullable=True),
    sa.Column('stale_at', sa.DateTime(), nullable=True),
    sa.Column('impact', sa.JSON(), nullable=True),
    sa.Column('impact_job_id', sa.Integer(), nullable=True),
    sa.Column('rescore_job_id', sa.Integer(), nullable=True),
    sa.Column('rescore_last_id', sa.Integer(), nullable=False),
    sa.Column('rescore_done', sa.Integer(), nullable=False),
    sa.Column('rescore_changed', sa.Integer(), nullable=False),
    sa.Column('rescore_total', sa.Integer(), nullable=True),
    sa.Column('rescore_started_at', sa.DateTime(), nullable=True),
    sa.Column('rescore_finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['base_id'], ['definition_versions.id'], name=op.f('fk_definition_versions_base_id_definition_versions')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_definition_versions_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['impact_job_id'], ['outbox.id'], name=op.f('fk_definition_versions_impact_job_id_outbox')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_definition_versions_proposed_by_id_users')),
    sa.ForeignKeyConstraint(['rescore_job_id'], ['outbox.id'], name=op.f('fk_definition_versions_rescore_job_id_outbox')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_definition_versions'))
    )
    with op.batch_alter_table('definition_versions', schema=None) as batch_op:
        batch_op.create_index('ix_definition_versions_scope_status', ['campaign_id', 'status'], unique=False)

    op.create_table('definition_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=10), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['definition_versions.id'], name=op.f('fk_definition_votes_version_id_definition_versions')),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_definition_votes_voter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_definition_votes')),
    sa.UniqueConstraint('version_id', 'revision', 'voter_id', name='uq_definition_votes_version_revision_voter')
    )
    with op.batch_alter_table('definition_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_definition_votes_version_id'), ['version_id'], unique=False)

    with op.batch_alter_table('leads', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('score_model_version', sa.Integer(), nullable=True))

    now = datetime.utcnow()
    op.bulk_insert(settings, [{"id": 1, "sales_approvals": 2, "marketing_approvals": 1, "updated_at": now}])
    op.bulk_insert(versions, [{
        "id": 1, "campaign_id": None, "status": "active", "model": SHIPPED_MODEL, "glossary": SHIPPED_GLOSSARY,
        "note": "The definition the console shipped with.", "base_id": None, "revision": 1, "rebase_conflicts": [],
        "proposed_by_id": None, "created_at": now, "updated_at": now, "activated_at": now, "rescore_last_id": 0,
        "rescore_done": 0, "rescore_changed": 0, "rescore_finished_at": now}])
    if op.get_bind().dialect.name == "postgresql":  # an id given by hand leaves the sequence behind
        op.execute("SELECT setval(pg_get_serial_sequence('definition_versions', 'id'), 1)")
    op.execute("UPDATE leads SET score_model_version = 1 WHERE score IS NOT NULL")


def downgrade():
    with op.batch_alter_table('leads', schema=None, recreate="never") as batch_op:
        batch_op.drop_column('score_model_version')

    with op.batch_alter_table('definition_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_definition_votes_version_id'))

    op.drop_table('definition_votes')
    with op.batch_alter_table('definition_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_definition_versions_scope_status')

    op.drop_table('definition_versions')
    op.drop_table('definition_settings')
