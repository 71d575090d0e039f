"""The reports' own tables (alignment meetings; hourly rollups kept by the worker) and the indexes the
reports read by (migrations 0018, 0019, 0021).

Alignment meetings: the regular marketing and sales feedback session, its participants and its decisions.

The indexes (migration 0018): each report statement reads one campaign's (or every campaign's) rows of a range of
time:
- calls by campaign and start, with the status and disposition in the index, so a campaign's dials, connects,
  conversations and qualified calls over a range are counted from the index alone (the line's answer is read
  by its own index, ix_phone_calls_call_id, only for the dispositions that do not say);
- calls by start, for the agent view and the side-by-side report over every campaign;
- hand-offs by campaign and creation, and by creation, for the hand-off figures (each breach is found by
  uq_sla_breaches_handoff_clock, each touch by ix_touches_lead_id).
Over many campaigns or agents the call figures come from the hourly rollups below (console/reports/rollups.py);
calls by end and legs by update find what changed since the rollups' watermark.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.calls.models import Call
from console.clock import utcnow
from console.extensions import db
from console.handoffs.models import Handoff
from console.telephony.models import PhoneCall

meeting_participants = Table(
    "alignment_meeting_participants", db.metadata,
    Column("meeting_id", Integer, ForeignKey("alignment_meetings.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
)


class AlignmentMeeting(db.Model):
    """One meeting (seed 000: "a regularly occurring conference call ... a specific agenda for each meeting,
    communicated in advance"): when it is held, the period its agenda covers, and who takes part, with the one
    sales manager taking the rotating seat this time."""

    __tablename__ = "alignment_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]  # inclusive: the agenda's figures cover period_start..period_end
    sales_participant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]  # the agenda last sent to the participants
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    sales_participant = relationship("User", foreign_keys=[sales_participant_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    participants = relationship("User", secondary=meeting_participants, order_by="User.full_name")
    decisions = relationship("AlignmentDecision", back_populates="meeting", order_by="AlignmentDecision.id")


class AlignmentDecision(db.Model):
    """A decision recorded during a meeting: what, who owns it, by when. Open ones are carried into every later
    agenda until marked done."""

    __tablename__ = "alignment_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("alignment_meetings.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(index=True)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    meeting = relationship("AlignmentMeeting", back_populates="decisions")
    owner = relationship("User", foreign_keys=[owner_id])

    @property
    def is_open(self) -> bool:
        return self.done_at is None


CALLS_BY_CAMPAIGN_AND_START = Index("ix_calls_campaign_started", Call.campaign_id, Call.started_at, Call.status,
                                    Call.disposition)
CALLS_BY_START = Index("ix_calls_started", Call.started_at)
HANDOFFS_BY_CAMPAIGN_AND_CREATION = Index("ix_handoffs_campaign_created", Handoff.campaign_id, Handoff.created_at)
HANDOFFS_BY_CREATION = Index("ix_handoffs_created", Handoff.created_at)
# The won hand-offs of a range (attribution) without reading every hand-off of it; the hand-offs each agent
# qualified (the agent view) from the index alone.
HANDOFFS_BY_OUTCOME_AND_CREATION = Index("ix_handoffs_outcome_created", Handoff.outcome, Handoff.created_at)
# Every column the hand-off figures read (services._handoff_counts), by campaign and creation: the statement over
# every campaign reads the index alone, not the wide hand-off rows (their answers and reasons).
HANDOFF_FIGURES_BY_CAMPAIGN = Index("ix_handoffs_campaign_figures", Handoff.campaign_id, Handoff.created_at,
                                    Handoff.status, Handoff.rejection_kind, Handoff.first_contact_at,
                                    Handoff.reviewed_by_id, Handoff.released_at, Handoff.meeting_held_at,
                                    Handoff.opportunity_at, Handoff.outcome, Handoff.won_cents, Handoff.rating)
HANDOFFS_BY_CREATION_AND_AGENT = Index("ix_handoffs_created_agent", Handoff.created_at, Handoff.qualified_by_id,
                                       Handoff.status, Handoff.rating)
# What changed since the rollups' watermark: the calls that ended, the legs the line reported on.
CALLS_BY_END = Index("ix_calls_ended", Call.ended_at)
LEGS_BY_UPDATE = Index("ix_phone_calls_updated", PhoneCall.updated_at)


class CampaignHour(db.Model):
    """A campaign's dials of one UTC hour (by their start), counted as services._call_counts counts them."""

    __tablename__ = "report_campaign_hours"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    dials: Mapped[int]
    connects: Mapped[int]
    conversations: Mapped[int]
    qualified: Mapped[int]


class AgentHour(db.Model):
    """An agent's dials of one UTC hour (every campaign): what the agent view sums from calls and their legs."""

    __tablename__ = "report_agent_hours"

    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    dials: Mapped[int]
    connects: Mapped[int]
    conversations: Mapped[int]
    qualified: Mapped[int]
    call_seconds: Mapped[float] = mapped_column(Float)  # claim to disposition, summed
    gaps: Mapped[int]  # dials with a previous call before them
    gap_seconds: Mapped[int]
    talk_seconds: Mapped[int]  # the legs' reported durations


class CampaignDay(db.Model):
    """A campaign's CampaignHour rows of one UTC day added up: long ranges read a row a day, not 24."""

    __tablename__ = "report_campaign_days"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    day: Mapped[datetime] = mapped_column(primary_key=True)  # its UTC midnight
    dials: Mapped[int]
    connects: Mapped[int]
    conversations: Mapped[int]
    qualified: Mapped[int]


class AgentDay(db.Model):
    """An agent's AgentHour rows of one UTC day added up."""

    __tablename__ = "report_agent_days"

    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    day: Mapped[datetime] = mapped_column(primary_key=True)
    dials: Mapped[int]
    connects: Mapped[int]
    conversations: Mapped[int]
    qualified: Mapped[int]
    call_seconds: Mapped[float] = mapped_column(Float)
    gaps: Mapped[int]
    gap_seconds: Mapped[int]
    talk_seconds: Mapped[int]


class RollupState(db.Model):
    """The one row saying how far the rollups go: every change to a call or leg before `watermark` is in them."""

    __tablename__ = "report_rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    watermark: Mapped[datetime]
    refreshed_at: Mapped[datetime]
    hours_refreshed: Mapped[int] = mapped_column(default=0)  # by the last run
