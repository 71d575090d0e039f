"""Fewer indexes on the rows every claim and disposition writes.

Each claim inserts a call and an audit row; each index on them is another page
written per claim. `ix_calls_agent_id` repeats the first column of
`ix_calls_agent_status_ended`; `ix_calls_disposition` is never searched on its own
(reports count dispositions per campaign). Sign-in throttling looks audit rows up
by address typed and by client IP, but only failed sign-ins: those two indexes
now hold only those rows.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

FAILED_SIGN_IN = "action = 'auth.login_failed'"


def upgrade():
    with op.batch_alter_table('calls', schema=None, recreate="never") as batch_op:
        batch_op.drop_index('ix_calls_agent_id')
        batch_op.drop_index('ix_calls_disposition')
    with op.batch_alter_table('audit_events', schema=None, recreate="never") as batch_op:
        batch_op.drop_index('ix_audit_events_actor_email')
        batch_op.drop_index('ix_audit_events_ip_address')
        batch_op.create_index('ix_audit_events_failed_sign_in_email', ['actor_email', 'at'], unique=False,
                              sqlite_where=sa.text(FAILED_SIGN_IN), postgresql_where=sa.text(FAILED_SIGN_IN))
        batch_op.create_index('ix_audit_events_failed_sign_in_ip', ['ip_address', 'at'], unique=False,
                              sqlite_where=sa.text(FAILED_SIGN_IN), postgresql_where=sa.text(FAILED_SIGN_IN))


def downgrade():
    with op.batch_alter_table('audit_events', schema=None, recreate="never") as batch_op:
        batch_op.drop_index('ix_audit_events_failed_sign_in_ip')
        batch_op.drop_index('ix_audit_events_failed_sign_in_email')
        batch_op.create_index('ix_audit_events_ip_address', ['ip_address'], unique=False)
        batch_op.create_index('ix_audit_events_actor_email', ['actor_email'], unique=False)
    with op.batch_alter_table('calls', schema=None, recreate="never") as batch_op:
        batch_op.create_index('ix_calls_disposition', ['disposition'], unique=False)
        batch_op.create_index('ix_calls_agent_id', ['agent_id'], unique=False)
