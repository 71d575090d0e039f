"""Accounts (companies), their contacts worked as leads, marketing touches and the do-not-call list."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.clock import utcnow
from console.extensions import db


class QueueState:
    """Where a lead stands in the calling queue (not its marketing stage)."""

    NEW = "new"
    RETRY = "retry"
    CALLBACK = "callback"
    CLOSED = "closed"
    WORKABLE = (NEW, RETRY, CALLBACK)


class Stage:
    """The shared glossary: the only words screens and reports use for a lead's stage."""

    LEAD = "lead"
    MQL = "mql"
    SAL = "sal"
    SQL = "sql"
    NURTURE = "nurture"
    DISQUALIFIED = "disqualified"
    LABELS = {
        LEAD: "Lead",
        MQL: "Marketing-qualified lead (MQL)",
        SAL: "Sales-accepted lead (SAL)",
        SQL: "Sales-qualified lead / opportunity",
        NURTURE: "Nurture",
        DISQUALIFIED: "Disqualified",
    }


class Account(db.Model):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), index=True)
    industry: Mapped[str | None] = mapped_column(String(80))
    employees: Mapped[int | None]
    website: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    leads: Mapped[list[Lead]] = relationship(back_populates="account")


class Lead(db.Model):
    """A contact at an account, worked in one campaign."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_queue", "campaign_id", "queue_state", "next_call_at"),
        Index("ix_leads_claimed_by_id", "claimed_by_id"),
        Index("ix_leads_campaign_zones", "campaign_id", "time_zones"),
        Index("ix_leads_phone", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    title: Mapped[str | None] = mapped_column(String(120))
    buying_role: Mapped[str | None] = mapped_column(String(40))  # decision maker, champion, user...
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    state: Mapped[str | None] = mapped_column(String(2))  # US state / CA province code
    # IANA zones the number may be in, comma-separated; empty means unknown (not dialable).
    time_zones: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str | None] = mapped_column(String(60))
    inbound: Mapped[bool] = mapped_column(default=False)  # fresh web/inbound lead: called first

    stage: Mapped[str] = mapped_column(String(20), default=Stage.LEAD)
    queue_state: Mapped[str] = mapped_column(String(20), default=QueueState.NEW)
    next_call_at: Mapped[datetime | None]
    callback_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    attempts: Mapped[int] = mapped_column(default=0)
    last_called_at: Mapped[datetime | None]
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claim_expires_at: Mapped[datetime | None]

    score: Mapped[int | None]
    score_band: Mapped[str | None] = mapped_column(String(10))
    # Bumped on every change so that a save made against an old page can be refused.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign = relationship("Campaign")
    account: Mapped[Account] = relationship(back_populates="leads")
    claimed_by = relationship("User", foreign_keys=[claimed_by_id])
    callback_owner = relationship("User", foreign_keys=[callback_owner_id])
    touches: Mapped[list[Touch]] = relationship(back_populates="lead", order_by="Touch.occurred_at.desc()")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def zone_list(self) -> list[str]:
        return [zone for zone in self.time_zones.split(",") if zone]

    @property
    def stage_label(self) -> str:
        return Stage.LABELS.get(self.stage, self.stage)


class Touch(db.Model):
    """A prior marketing interaction: email open, download, webinar, site visit."""

    __tablename__ = "touches"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime]

    lead: Mapped[Lead] = relationship(back_populates="touches")


class DoNotCallEntry(db.Model):
    """A number nobody may call: globally (no campaign) or for one campaign."""

    __tablename__ = "do_not_call"
    __table_args__ = (UniqueConstraint("phone", "campaign_id", name="uq_do_not_call_phone_campaign"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
