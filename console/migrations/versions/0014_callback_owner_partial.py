"""Only reserved callbacks in the callback owners' index.

`ix_leads_callback_owner` (owner, queue rank) serves one question: an agent's own callbacks, in queue order.
Every lead was in it, under a null owner, so every change of a lead's queue rank (a claim, a disposition, a
rescoring after a new lead definition, an imported lead) wrote a page of it at a random place: a third of the
index pages a rescoring wrote. It now holds only the leads whose callback is reserved for an agent; the
queries name an owner (`callback_owner_id = :agent_id`), which both databases read as implying it.

Revision ID: 0014_callback_owner_partial
Revises: 0013_lead_definition
"""
from alembic import op
import sqlalchemy as sa

revision = '0014_callback_owner_partial'
down_revision = '0013_lead_definition'
branch_labels = None
depends_on = None

RESERVED = "callback_owner_id IS NOT NULL"


def upgrade():
    with op.batch_alter_table('leads', schema=None, recreate="never") as batch_op:
        batch_op.drop_index('ix_leads_callback_owner')
        batch_op.create_index('ix_leads_callback_owner', ['callback_owner_id', 'queue_rank'], unique=False,
                              sqlite_where=sa.text(RESERVED), postgresql_where=sa.text(RESERVED))


def downgrade():
    with op.batch_alter_table('leads', schema=None, recreate="never") as batch_op:
        batch_op.drop_index('ix_leads_callback_owner')
        batch_op.create_index('ix_leads_callback_owner', ['callback_owner_id', 'queue_rank'], unique=False)
