"""Leads in (issue 14): campaigns' life and own fields, lead lists and their import files and row reports,
remembered column mappings, the lead's external id, alternate phone, country and custom fields, where a
do-not-call entry came from, deactivated users and one-time password links, the audit log page's indexes.

Every change to an existing table is ALTER TABLE ADD COLUMN or an index (recreate="never"): a
million-lead table is not copied. The two new foreign keys are declared on their columns, so SQLite
adds them with the column (REFERENCES) and PostgreSQL as constraints.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_name', sa.String(length=60), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_import_mappings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_mappings')),
    sa.UniqueConstraint('source_name', name=op.f('uq_import_mappings_source_name'))
    )
    op.create_table('password_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_password_tokens_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_tokens_token_hash'))
    )
    with op.batch_alter_table('password_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('lead_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('source_name', sa.String(length=60), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('delimiter', sa.String(length=2), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('duplicates', sa.String(length=10), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('file_bytes', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('imported', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('duplicate', sa.Integer(), nullable=False),
    sa.Column('suppressed', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_lead_lists_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_lead_lists_created_by_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['outbox.id'], name=op.f('fk_lead_lists_job_id_outbox')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_lead_lists_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_lists'))
    )
    with op.batch_alter_table('lead_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_lists_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('import_file_chunks',
    sa.Column('lead_list_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['lead_list_id'], ['lead_lists.id'], name=op.f('fk_import_file_chunks_lead_list_id_lead_lists')),
    sa.PrimaryKeyConstraint('lead_list_id', 'seq', name=op.f('pk_import_file_chunks'))
    )
    op.create_table('import_row_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_list_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['lead_list_id'], ['lead_lists.id'], name=op.f('fk_import_row_issues_lead_list_id_lead_lists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_row_issues'))
    )
    with op.batch_alter_table('import_row_issues', schema=None) as batch_op:
        batch_op.create_index('ix_import_row_issues_list_line', ['lead_list_id', 'line'], unique=False)

    with op.batch_alter_table('accounts', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('domain', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_accounts_domain'), ['domain'], unique=False)

    with op.batch_alter_table('audit_events', schema=None, recreate="never") as batch_op:
        batch_op.create_index('ix_audit_events_actor_at', ['actor_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_events_at', ['at'], unique=False)

    with op.batch_alter_table('campaigns', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('expected_leads', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('custom_fields', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))

    _add_lead_list_column('do_not_call')
    with op.batch_alter_table('do_not_call', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), server_default='manual', nullable=False))

    _add_lead_list_column('leads')
    with op.batch_alter_table('leads', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('alternate_phone', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('custom_fields', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.create_index('ix_leads_campaign_email', ['campaign_id', 'email'], unique=False)
        batch_op.create_index('ix_leads_campaign_external_id', ['campaign_id', 'external_id'], unique=False)
        batch_op.create_index('ix_leads_lead_list', ['lead_list_id'], unique=False)

    with op.batch_alter_table('users', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(), nullable=True))



def _add_lead_list_column(table: str) -> None:
    """A nullable `lead_list_id` referencing lead_lists: inline REFERENCES on SQLite (no table copy), a constraint on PostgreSQL."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN lead_list_id INTEGER REFERENCES lead_lists (id)")
    else:
        op.add_column(table, sa.Column('lead_list_id', sa.Integer(), nullable=True))
        op.create_foreign_key(f'fk_{table}_lead_list_id_lead_lists', table, 'lead_lists', ['lead_list_id'], ['id'])


def downgrade():
    with op.batch_alter_table('users', schema=None, recreate="never") as batch_op:
        batch_op.drop_column('deactivated_at')

    # Dropping a foreign key makes SQLite copy the table (batch "auto"); PostgreSQL drops the constraint.
    with op.batch_alter_table('leads', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':  # SQLite's is unnamed: it goes with its column
            batch_op.drop_constraint('fk_leads_lead_list_id_lead_lists', type_='foreignkey')
        batch_op.drop_index('ix_leads_lead_list')
        batch_op.drop_index('ix_leads_campaign_external_id')
        batch_op.drop_index('ix_leads_campaign_email')
        batch_op.drop_column('lead_list_id')
        batch_op.drop_column('custom_fields')
        batch_op.drop_column('external_id')
        batch_op.drop_column('country')
        batch_op.drop_column('alternate_phone')

    with op.batch_alter_table('do_not_call', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':  # SQLite's is unnamed: it goes with its column
            batch_op.drop_constraint('fk_do_not_call_lead_list_id_lead_lists', type_='foreignkey')
        batch_op.drop_column('lead_list_id')
        batch_op.drop_column('source')

    with op.batch_alter_table('campaigns', schema=None, recreate="never") as batch_op:
        batch_op.drop_column('custom_fields')
        batch_op.drop_column('expected_leads')
        batch_op.drop_column('archived_at')
        batch_op.drop_column('ended_at')

    with op.batch_alter_table('audit_events', schema=None, recreate="never") as batch_op:
        batch_op.drop_index('ix_audit_events_at')
        batch_op.drop_index('ix_audit_events_actor_at')

    with op.batch_alter_table('accounts', schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_domain'))
        batch_op.drop_column('domain')

    with op.batch_alter_table('import_row_issues', schema=None) as batch_op:
        batch_op.drop_index('ix_import_row_issues_list_line')

    op.drop_table('import_row_issues')
    op.drop_table('import_file_chunks')
    with op.batch_alter_table('lead_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_lists_campaign_id'))

    op.drop_table('lead_lists')
    with op.batch_alter_table('password_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_tokens_user_id'))

    op.drop_table('password_tokens')
    op.drop_table('import_mappings')
