"""Accounts (companies), their contacts worked as leads, marketing touches and the do-not-call list.

Three lead columns exist only so that *Next lead* stays fast on millions of
leads: `window_key` (what decides the calling window: zones and state),
`queue_rank` (tier, band and score as one sortable number, see
console/queue/rules.py) and `do_not_call` (the number is on a do-not-call list
that covers this lead). They are derived data, kept right by the flush hooks at
the end of this module whatever code changes a lead or the do-not-call list, and
the claim re-checks the facts they are derived from, so a stale value can delay
a lead but never lets a lead be called that may not be.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey, Index, String, Text, UniqueConstraint, event, exists, false, or_, select, text, update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.clock import utcnow
from console.extensions import db
from console.leads.rules import stored_zones
from console.queue import rules as queue_rules
from console.queue.models import window_keys_changed


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


WAITING_PREDICATE = f"queue_rank >= {queue_rules.WAITING_LOW} AND queue_rank < {queue_rules.WAITING_HIGH}"
HELD_PREDICATE = f"queue_rank >= {queue_rules.HELD_LOW}"


class Lead(db.Model):
    """A contact at an account, worked in one campaign."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_queue", "campaign_id", "queue_state", "next_call_at"),
        Index("ix_leads_claimed_by_id", "claimed_by_id"),
        Index("ix_leads_phone", "phone"),
        # The claim reads a campaign's due leads in queue order from the first, without
        # touching the table; when few windows are open it probes the second once per open window.
        Index("ix_leads_claim_head", "campaign_id", "queue_rank", "id", "window_key"),
        Index("ix_leads_claim_order", "campaign_id", "window_key", "queue_rank", "id"),
        Index("ix_leads_callback_owner", "callback_owner_id", "queue_rank"),
        # Leads waiting for their retry/callback time, and leads held by an agent:
        # small partial indexes that let the queue promote and release them cheaply.
        Index("ix_leads_waiting", "campaign_id", "next_call_at",
              sqlite_where=text(WAITING_PREDICATE), postgresql_where=text(WAITING_PREDICATE)),
        Index("ix_leads_held", "claim_expires_at",
              sqlite_where=text(HELD_PREDICATE), postgresql_where=text(HELD_PREDICATE)),
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
    # Derived, for the queue (see the module docstring).
    do_not_call: Mapped[bool] = mapped_column(default=False, server_default=false())
    window_key: Mapped[str] = mapped_column(String(210), default="", server_default="")
    queue_rank: Mapped[int | None]

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
        return stored_zones(self.time_zones)

    @property
    def stage_label(self) -> str:
        return Stage.LABELS.get(self.stage, self.stage)

    def queue_facts(self) -> queue_rules.LeadState:
        """The facts the pure queue rules decide on."""
        return queue_rules.LeadState(
            queue_state=self.queue_state or QueueState.NEW, zones=tuple(self.zone_list), state=self.state,
            do_not_call=bool(self.do_not_call), attempts=self.attempts or 0, last_called_at=self.last_called_at,
            next_call_at=self.next_call_at, callback_owner_id=self.callback_owner_id,
            claimed_by_id=self.claimed_by_id, claim_expires_at=self.claim_expires_at,
            inbound=bool(self.inbound), score=self.score)

    def refresh_queue_fields(self, now: datetime | None = None) -> None:
        """Recompute the derived queue columns from the lead's own facts."""
        fields = lead_queue_fields(self.queue_facts(), now or utcnow(), self.window_key)
        self.window_key, self.queue_rank = fields["window_key"], fields["queue_rank"]


def lead_queue_fields(facts: queue_rules.LeadState, now: datetime, stored_window_key: str | None) -> dict:
    """The derived queue columns (window_key, queue_rank) of a lead with these facts.

    For code that writes a lead with SQL rather than through the ORM (the disposition):
    it must keep them right exactly as the flush hook below does.
    """
    key = queue_rules.window_key(facts.zones, facts.state)
    if key != stored_window_key:
        window_keys_changed()
    return {"window_key": key, "queue_rank": queue_rules.queue_rank(facts, now)}


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


# ---------------------------------------------------------------- derived queue columns

def _covering_entry(phone_column, campaign_column):
    """A do-not-call entry for this number, global or for this lead's campaign."""
    return exists().where(DoNotCallEntry.phone == phone_column,
                          or_(DoNotCallEntry.campaign_id.is_(None), DoNotCallEntry.campaign_id == campaign_column))


def flag_do_not_call(connection, phone: str, campaign_id: int | None = None) -> int:
    """Mark the leads a new do-not-call entry covers and take them out of the queue; returns how many."""
    statement = update(Lead).where(Lead.phone == phone).values(do_not_call=True, queue_rank=None)
    if campaign_id is not None:
        statement = statement.where(Lead.campaign_id == campaign_id)
    return connection.execute(statement.execution_options(synchronize_session=False)).rowcount


def reflag_do_not_call(connection, phone: str) -> None:
    """After an entry is removed: recompute the flag and rank of every lead with this number."""
    now = utcnow()
    for lead in connection.execute(select(Lead.__table__).where(Lead.phone == phone)).mappings():
        covered = bool(connection.scalar(select(_covering_entry(phone, lead["campaign_id"]))))
        facts = queue_rules.LeadState(
            queue_state=lead["queue_state"], zones=tuple(stored_zones(lead["time_zones"])),
            state=lead["state"], do_not_call=covered, attempts=lead["attempts"],
            last_called_at=lead["last_called_at"], next_call_at=lead["next_call_at"],
            callback_owner_id=lead["callback_owner_id"], claimed_by_id=lead["claimed_by_id"],
            claim_expires_at=lead["claim_expires_at"], inbound=lead["inbound"], score=lead["score"])
        connection.execute(update(Lead.__table__).where(Lead.__table__.c.id == lead["id"])
                           .values(do_not_call=covered, queue_rank=queue_rules.queue_rank(facts, now)))


@event.listens_for(Lead, "before_insert")
def _lead_before_insert(_mapper, connection, lead: Lead) -> None:
    # Suppression at import, whoever imports: a number already on a list never enters the queue.
    if not lead.do_not_call and lead.phone:
        campaign_id = lead.campaign_id if lead.campaign_id is not None else getattr(lead.campaign, "id", None)
        lead.do_not_call = bool(connection.scalar(select(_covering_entry(lead.phone, campaign_id))))
    lead.refresh_queue_fields()


@event.listens_for(Lead, "before_update")
def _lead_before_update(_mapper, _connection, lead: Lead) -> None:
    lead.refresh_queue_fields()


@event.listens_for(DoNotCallEntry, "after_insert")
def _entry_added(_mapper, connection, entry: DoNotCallEntry) -> None:
    # An opt-out takes effect at once, in the same transaction that records it.
    flag_do_not_call(connection, entry.phone, entry.campaign_id)


@event.listens_for(DoNotCallEntry, "after_delete")
def _entry_removed(_mapper, connection, entry: DoNotCallEntry) -> None:
    reflag_do_not_call(connection, entry.phone)
