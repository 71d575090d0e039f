"""Telephony: carrier call legs, recordings, consent, campaign and agent calling settings.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "phone_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("placed_by_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("agent_leg_status", sa.String(length=20), nullable=True),
        sa.Column("twilio_sid", sa.String(length=64), nullable=True),
        sa.Column("lead_call_sid", sa.String(length=64), nullable=True),
        sa.Column("to_number", sa.String(length=20), nullable=False),
        sa.Column("caller_id", sa.String(length=20), nullable=True),
        sa.Column("agent_number", sa.String(length=20), nullable=True),
        sa.Column("recording_mode", sa.String(length=12), nullable=False),
        sa.Column("machine_detection", sa.Boolean(), nullable=False),
        sa.Column("consent_required", sa.Boolean(), nullable=False),
        sa.Column("consent_method", sa.String(length=20), nullable=True),
        sa.Column("consent_at", sa.DateTime(), nullable=True),
        sa.Column("answered_by", sa.String(length=30), nullable=True),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("initiated_at", sa.DateTime(), nullable=True),
        sa.Column("ringing_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("hangup_requested_at", sa.DateTime(), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("simulated_outcome", sa.String(length=20), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_phone_calls_call_id_calls")),
        sa.ForeignKeyConstraint(["placed_by_id"], ["users.id"], name=op.f("fk_phone_calls_placed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_calls")),
        sa.UniqueConstraint("twilio_sid", name=op.f("uq_phone_calls_twilio_sid")),
        sa.UniqueConstraint("lead_call_sid", name=op.f("uq_phone_calls_lead_call_sid")),
    )
    with op.batch_alter_table("phone_calls") as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_calls_call_id"), ["call_id"], unique=False)

    op.create_table(
        "call_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_call_id", sa.Integer(), nullable=False),
        sa.Column("recording_sid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("media_url", sa.String(length=400), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["phone_call_id"], ["phone_calls.id"],
                                name=op.f("fk_call_recordings_phone_call_id_phone_calls")),
        sa.ForeignKeyConstraint(["started_by_id"], ["users.id"], name=op.f("fk_call_recordings_started_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_recordings")),
        sa.UniqueConstraint("recording_sid", name=op.f("uq_call_recordings_recording_sid")),
    )
    with op.batch_alter_table("call_recordings") as batch_op:
        batch_op.create_index(batch_op.f("ix_call_recordings_phone_call_id"), ["phone_call_id"], unique=False)

    op.create_table(
        "campaign_telephony",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("recording_mode", sa.String(length=12), nullable=False),
        sa.Column("machine_detection", sa.Boolean(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_campaign_telephony_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_campaign_telephony_updated_by_id_users")),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaign_telephony")),
    )

    op.create_table(
        "agent_telephony",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("calling_mode", sa.String(length=12), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_agent_telephony_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_agent_telephony")),
    )


def downgrade():
    op.drop_table("agent_telephony")
    op.drop_table("campaign_telephony")
    with op.batch_alter_table("call_recordings") as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_recordings_phone_call_id"))
    op.drop_table("call_recordings")
    with op.batch_alter_table("phone_calls") as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_calls_call_id"))
    op.drop_table("phone_calls")
