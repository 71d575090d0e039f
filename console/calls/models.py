"""Call attempts and the qualification answers captured during them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.clock import utcnow
from console.extensions import db


class CallStatus:
    OPEN = "open"  # the agent holds the lead and is on (or about to be on) the call
    COMPLETED = "completed"  # dispositioned
    ABANDONED = "abandoned"  # the claim lapsed without a disposition


class Call(db.Model):
    """One attempt to reach a lead, from claim to disposition."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    guide_version_id: Mapped[int | None] = mapped_column(ForeignKey("guide_versions.id"))
    status: Mapped[str] = mapped_column(String(20), default=CallStatus.OPEN)
    disposition: Mapped[str | None] = mapped_column(String(30), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    callback_at: Mapped[datetime | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    lead = relationship("Lead")
    agent = relationship("User")
    guide_version = relationship("GuideVersion")


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
