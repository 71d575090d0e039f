"""The alignment meeting (issue 17): meetings with their period, participants and rotating sales seat, and the
decisions recorded during them.

Revision ID: 0019_alignment_meetings
Revises: 0018_report_indexes
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_alignment_meetings'
down_revision = '0018_report_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alignment_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('sales_participant_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_alignment_meetings_created_by_id_users')),
    sa.ForeignKeyConstraint(['sales_participant_id'], ['users.id'],
                            name=op.f('fk_alignment_meetings_sales_participant_id_users')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_alignment_meetings_sent_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alignment_meetings'))
    )
    with op.batch_alter_table('alignment_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alignment_meetings_held_on'), ['held_on'], unique=False)

    op.create_table('alignment_meeting_participants',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['alignment_meetings.id'],
                            name=op.f('fk_alignment_meeting_participants_meeting_id_alignment_meetings'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alignment_meeting_participants_user_id_users')),
    sa.PrimaryKeyConstraint('meeting_id', 'user_id', name=op.f('pk_alignment_meeting_participants'))
    )
    op.create_table('alignment_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_alignment_decisions_created_by_id_users')),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_alignment_decisions_done_by_id_users')),
    sa.ForeignKeyConstraint(['meeting_id'], ['alignment_meetings.id'],
                            name=op.f('fk_alignment_decisions_meeting_id_alignment_meetings')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_alignment_decisions_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alignment_decisions'))
    )
    with op.batch_alter_table('alignment_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alignment_decisions_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alignment_decisions_done_at'), ['done_at'], unique=False)


def downgrade():
    with op.batch_alter_table('alignment_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alignment_decisions_done_at'))
        batch_op.drop_index(batch_op.f('ix_alignment_decisions_meeting_id'))
    op.drop_table('alignment_decisions')
    op.drop_table('alignment_meeting_participants')
    with op.batch_alter_table('alignment_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alignment_meetings_held_on'))
    op.drop_table('alignment_meetings')
