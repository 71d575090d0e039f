"""Call guides: drafts, publishing, guide selection by persona and campaign, objection use on calls.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (with inline REFERENCES), so SQLite alters the tables in place
    # instead of copying tables that other tables point at.
    with op.batch_alter_table('call_guides', schema=None) as batch_op:
        batch_op.add_column(sa.Column('persona', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('campaign_name', sa.String(length=120), server_default='', nullable=False))

    with op.batch_alter_table('guide_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_number', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column(
            'published_by_id', sa.Integer(),
            sa.ForeignKey('users.id', name='fk_guide_versions_published_by_id_users'), nullable=True))

    # Versions published before drafts existed: their publication time is the best we know.
    op.execute(
        "UPDATE guide_versions SET published_at = created_at "
        "WHERE id IN (SELECT published_version_id FROM call_guides WHERE published_version_id IS NOT NULL)"
    )

    op.create_table('call_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('guide_version_id', sa.Integer(), nullable=False),
    sa.Column('objection_id', sa.String(length=48), nullable=False),
    sa.Column('worked', sa.Boolean(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('marked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_call_objections_agent_id_users')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_objections_call_id_calls')),
    sa.ForeignKeyConstraint(['guide_version_id'], ['guide_versions.id'],
                            name=op.f('fk_call_objections_guide_version_id_guide_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_objections')),
    sa.UniqueConstraint('call_id', 'objection_id', name='uq_call_objections_call_objection')
    )
    with op.batch_alter_table('call_objections', schema=None) as batch_op:
        batch_op.create_index('ix_call_objections_version_objection', ['guide_version_id', 'objection_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_call_objections_marked_at'), ['marked_at'], unique=False)


def downgrade():
    with op.batch_alter_table('call_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_objections_marked_at'))
        batch_op.drop_index('ix_call_objections_version_objection')
    op.drop_table('call_objections')

    with op.batch_alter_table('guide_versions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_guide_versions_published_by_id_users', type_='foreignkey')
        batch_op.drop_column('published_by_id')
        batch_op.drop_column('published_at')
        batch_op.drop_column('base_number')

    with op.batch_alter_table('call_guides', schema=None) as batch_op:
        batch_op.drop_column('campaign_name')
        batch_op.drop_column('persona')
