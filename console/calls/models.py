"""Call attempts, the qualification answers captured during them, and the settings that shape the agent's work."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.auth.models import Role
from console.calls.rules import CallStatus, work_refusal
from console.clock import utcnow
from console.extensions import db


class Call(db.Model):
    """One attempt to reach a lead, from claim to disposition."""

    __tablename__ = "calls"
    __table_args__ = (
        # Every claim looks up the agent's previous disposition (seconds between calls): one index probe.
        # It also serves every lookup by agent (a separate agent_id index would only slow each claim's insert).
        Index("ix_calls_agent_status_ended", "agent_id", "status", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    guide_version_id: Mapped[int | None] = mapped_column(ForeignKey("guide_versions.id"))
    status: Mapped[str] = mapped_column(String(20), default=CallStatus.OPEN)
    disposition: Mapped[str | None] = mapped_column(String(30))  # reports count it per campaign (ix_calls_campaign_id)
    # The next action applied at disposition time, as the campaign had it set then.
    next_action: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text, default="")
    callback_at: Mapped[datetime | None]
    # Wrong person: the contact the prospect referred us to, created on this call.
    referral_lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    # Seconds from this agent's previous disposition to this claim (None: first call after a break).
    seconds_since_previous_call: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    lead = relationship("Lead", foreign_keys=[lead_id])
    referral_lead = relationship("Lead", foreign_keys=[referral_lead_id])
    agent = relationship("User")
    guide_version = relationship("GuideVersion")

    @property
    def is_open(self) -> bool:
        return self.status == CallStatus.OPEN

    def visible_to(self, user) -> bool:
        """The agent who made the call sees it, and admins."""
        return user.id == self.agent_id or user.role == Role.ADMIN

    def work_refusal(self, agent, now: datetime | None = None) -> str | None:
        """Why this agent may not write to the call now (calls.rules.Refusal), or None."""
        lead = self.lead
        return work_refusal(agent.id, self.agent_id, self.status, lead.claimed_by_id, lead.claim_expires_at,
                            now or utcnow())

    def can_be_worked_by(self, agent, now: datetime | None = None) -> bool:
        """Is it the agent's open call, on a lead they still hold?"""
        return self.work_refusal(agent, now) is None


class QualificationAnswer(db.Model):
    """The current answer to one qualification criterion for a lead (Budget, Authority...)."""

    __tablename__ = "qualification_answers"
    __table_args__ = (UniqueConstraint("lead_id", "criterion", name="uq_qualification_answers_lead_criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    criterion: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text, default="")  # what the prospect actually said
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DispositionSetting(db.Model):
    """A campaign's own next action for one disposition (absent: the default in calls/rules.py applies)."""

    __tablename__ = "disposition_settings"
    __table_args__ = (UniqueConstraint("campaign_id", "code", name="uq_disposition_settings_campaign_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    code: Mapped[str] = mapped_column(String(30))
    next_action: Mapped[str] = mapped_column(String(20))
    retry_minutes: Mapped[int] = mapped_column(default=0)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AgentSettings(db.Model):
    """How one agent likes to work; a row exists only once they changed something."""

    __tablename__ = "agent_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    # After a disposition, claim the next lead at once (True) or go back to the queue page (False).
    auto_advance: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
