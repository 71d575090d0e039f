"""Queue: claim lease, dialability and calling rules.

Campaign calling days and holidays; the derived lead columns that keep *Next lead*
fast (window_key, queue_rank, do_not_call) with their indexes, filled for existing leads.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from datetime import UTC, datetime

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Frozen copies of console/queue/rules.py constants: a migration must not change when the app does.
SPAN = 10_000_000
WAITING_PREDICATE = "queue_rank >= 100000000 AND queue_rank < 200000000"
HELD_PREDICATE = "queue_rank >= 200000000"


def upgrade():
    # recreate="never": every change here is a plain ALTER TABLE ADD COLUMN or an index, and
    # rebuilding `campaigns` on SQLite would fail once leads refer to it (foreign keys are on).
    with op.batch_alter_table('campaigns', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('calling_days', sa.String(length=7), nullable=False, server_default='1234567'))
        batch_op.add_column(sa.Column('holidays', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))

    with op.batch_alter_table('leads', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('do_not_call', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('window_key', sa.String(length=210), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('queue_rank', sa.Integer(), nullable=True))
        batch_op.drop_index('ix_leads_campaign_zones')
        batch_op.create_index('ix_leads_claim_head', ['campaign_id', 'queue_rank', 'id', 'window_key'], unique=False)
        batch_op.create_index('ix_leads_claim_order', ['campaign_id', 'window_key', 'queue_rank', 'id'], unique=False)
        batch_op.create_index('ix_leads_callback_owner', ['callback_owner_id', 'queue_rank'], unique=False)
        batch_op.create_index('ix_leads_waiting', ['campaign_id', 'next_call_at'], unique=False,
                              sqlite_where=sa.text(WAITING_PREDICATE), postgresql_where=sa.text(WAITING_PREDICATE))
        batch_op.create_index('ix_leads_held', ['claim_expires_at'], unique=False,
                              sqlite_where=sa.text(HELD_PREDICATE), postgresql_where=sa.text(HELD_PREDICATE))

    _fill_derived_lead_columns()


def _fill_derived_lead_columns():
    """Existing leads: the same values console/queue/rules.py computes, in SQL."""
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    # The application's clock (naive UTC from Python), not the database's: the two agree on
    # what "now" is, as the app's own rank computation does.
    now = ":now"
    clamp = "GREATEST(-999999, LEAST(999999, score))" if postgres else "MAX(-999999, MIN(999999, score))"
    op.execute("UPDATE leads SET window_key = time_zones || '|' || UPPER(COALESCE(state, ''))")
    op.execute(
        "UPDATE leads SET do_not_call = EXISTS (SELECT 1 FROM do_not_call d WHERE d.phone = leads.phone "
        "AND (d.campaign_id IS NULL OR d.campaign_id = leads.campaign_id))"
    )
    tier = ("CASE WHEN queue_state = 'callback' AND callback_owner_id IS NOT NULL THEN 0 "
            "WHEN queue_state = 'callback' THEN 1 WHEN queue_state = 'new' AND inbound THEN 2 "
            "WHEN queue_state = 'retry' THEN 3 WHEN queue_state = 'new' THEN 4 END")
    band = (f"CASE WHEN claimed_by_id IS NOT NULL AND claim_expires_at > {now} THEN 20 "
            f"WHEN next_call_at IS NOT NULL AND next_call_at > {now} THEN 10 ELSE 0 END")
    score = f"CASE WHEN score IS NULL THEN 2000000 ELSE 1000000 - {clamp} END"
    bind.execute(sa.text(f"UPDATE leads SET queue_rank = CASE WHEN do_not_call OR ({tier}) IS NULL THEN NULL "
                         f"ELSE (({band}) + ({tier})) * {SPAN} + ({score}) END")
                 .bindparams(sa.bindparam("now", type_=sa.DateTime())),
                 {"now": datetime.now(UTC).replace(tzinfo=None)})


def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_held')
        batch_op.drop_index('ix_leads_waiting')
        batch_op.drop_index('ix_leads_callback_owner')
        batch_op.drop_index('ix_leads_claim_order')
        batch_op.drop_index('ix_leads_claim_head')
        batch_op.create_index('ix_leads_campaign_zones', ['campaign_id', 'time_zones'], unique=False)
        batch_op.drop_column('queue_rank')
        batch_op.drop_column('window_key')
        batch_op.drop_column('do_not_call')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('holidays')
        batch_op.drop_column('calling_days')
