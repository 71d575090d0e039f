"""Accounts (companies), their contacts worked as leads, and the marketing touches on them.

Three lead columns exist only so that *Next lead* stays fast on millions of
leads: `window_key`, `queue_rank` and `do_not_call`. They are derived data,
computed by console/leads/queue_columns.py and written, like every lead column,
by console/leads/services.py (docs/architecture.md: one writer per record).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, false, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.clock import utcnow
from console.compliance.rules import stored_zones
from console.extensions import db
from console.leads.queue_columns import HELD_PREDICATE, WAITING_PREDICATE, LeadState
from console.leads.rules import QueueState, Stage

# The leads whose stage moved on from the first (ix_leads_stage_moved); a query names it to use that index.
STAGE_MOVED = f"stage <> '{Stage.LEAD}'"
CALLBACK_RESERVED = "callback_owner_id IS NOT NULL"  # ix_leads_callback_owner holds only these


class Account(db.Model):
    __tablename__ = "accounts"
    # The lead search (console/lead_record): companies beginning with what was typed, in any case.
    __table_args__ = (Index("ix_accounts_name_lower", func.lower(text("name"))),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), index=True)
    industry: Mapped[str | None] = mapped_column(String(80))
    employees: Mapped[int | None]
    website: Mapped[str | None] = mapped_column(String(200))
    # The company's web domain, lower case ("example.com"): how imports match an account first (then by name).
    domain: Mapped[str | None] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    leads: Mapped[list[Lead]] = relationship(back_populates="account")


class Lead(db.Model):
    """A contact at an account, worked in one campaign."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_queue", "campaign_id", "queue_state", "next_call_at"),
        Index("ix_leads_claimed_by_id", "claimed_by_id"),
        Index("ix_leads_phone", "phone"),
        Index("ix_leads_account", "account_id", "last_name"),  # the call screen's others at the account
        # Imports and the API find a campaign's existing lead by its external id, its number or its email.
        Index("ix_leads_campaign_external_id", "campaign_id", "external_id"),
        Index("ix_leads_campaign_email", "campaign_id", "email"),
        Index("ix_leads_lead_list", "lead_list_id"),
        # The lead search (console/lead_record): last names beginning with what was typed, in any case; a
        # campaign's leads newest first.
        Index("ix_leads_last_name_lower", func.lower(text("last_name"))),
        Index("ix_leads_campaign_newest", "campaign_id", "id"),
        # ... and the leads of a stage past the first (MQL, SAL, nurture...), newest first: a lead enters as a
        # lead, so an import writes nothing to this index.
        Index("ix_leads_stage_moved", "stage", "id",
              sqlite_where=text(STAGE_MOVED), postgresql_where=text(STAGE_MOVED)),
        # The claim reads a campaign's due leads in queue order from the first, without
        # touching the table; when few windows are open it probes the second once per open window.
        Index("ix_leads_claim_head", "campaign_id", "queue_rank", "id", "window_key"),
        Index("ix_leads_claim_order", "campaign_id", "window_key", "queue_rank", "id"),
        # An agent's own callbacks in queue order; only reserved ones (migration 0014): a lead's rank moves
        # write no page of it otherwise.
        Index("ix_leads_callback_owner", "callback_owner_id", "queue_rank",
              sqlite_where=text(CALLBACK_RESERVED), postgresql_where=text(CALLBACK_RESERVED)),
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
    alternate_phone: Mapped[str | None] = mapped_column(String(20))  # E.164; never dialled by the queue
    state: Mapped[str | None] = mapped_column(String(2))  # US state / CA province code
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166 alpha-2
    # IANA zones the number may be in, comma-separated; empty means unknown (not dialable).
    time_zones: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str | None] = mapped_column(String(60))
    inbound: Mapped[bool] = mapped_column(default=False)  # fresh web/inbound lead: called first
    external_id: Mapped[str | None] = mapped_column(String(100))  # the id marketing's system knows it by
    # Values of the campaign's own fields (Campaign.custom_fields), by key.
    custom_fields: Mapped[dict] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    lead_list_id: Mapped[int | None] = mapped_column(ForeignKey("lead_lists.id"))  # the import that brought it

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
    # The version of the lead definition (console/scoring) the score was made with, or last checked against.
    score_model_version: Mapped[int | None]
    # Bumped on every change so that a save made against an old page can be refused.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign = relationship("Campaign")
    account: Mapped[Account] = relationship(back_populates="leads")
    claimed_by = relationship("User", foreign_keys=[claimed_by_id])
    callback_owner = relationship("User", foreign_keys=[callback_owner_id])
    touches: Mapped[list[Touch]] = relationship(back_populates="lead", order_by="Touch.occurred_at.desc()")
    lead_list = relationship("LeadList")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def zone_list(self) -> list[str]:
        return stored_zones(self.time_zones)

    @property
    def stage_label(self) -> str:
        return Stage.LABELS.get(self.stage, self.stage)

    def queue_facts(self) -> LeadState:
        """The facts the pure queue rules decide on."""
        return LeadState(
            queue_state=self.queue_state or QueueState.NEW, zones=tuple(self.zone_list), state=self.state,
            do_not_call=bool(self.do_not_call), attempts=self.attempts or 0, last_called_at=self.last_called_at,
            next_call_at=self.next_call_at, callback_owner_id=self.callback_owner_id,
            claimed_by_id=self.claimed_by_id, claim_expires_at=self.claim_expires_at,
            inbound=bool(self.inbound), score=self.score)


class Touch(db.Model):
    """A prior marketing interaction: email open, download, webinar, site visit."""

    __tablename__ = "touches"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    # The campaign the touch came from, when known: reports attribute a lead's revenue by first or last touch.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    url: Mapped[str | None] = mapped_column(String(500))

    lead: Mapped[Lead] = relationship(back_populates="touches")


class LeadList(db.Model):
    """One list of leads loaded into a campaign (a CSV import): who, when, which file, and what became of its rows.

    Reports break down by list; withdrawing a list takes its untouched leads out of the queue.
    The import machinery (reading the file, the job, the row report) is console/imports/.
    """

    __tablename__ = "lead_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    source_name: Mapped[str] = mapped_column(String(60), default="")  # the mapping is remembered under it
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # uploaded → queued → running → done | failed | interrupted; withdrawn afterwards (console/imports/rules.py)
    status: Mapped[str] = mapped_column(String(20), default="uploaded")
    encoding: Mapped[str] = mapped_column(String(20), default="")
    delimiter: Mapped[str] = mapped_column(String(2), default=",")
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)  # field key -> column header
    duplicates: Mapped[str] = mapped_column(String(10), default="skip")  # skip | update
    job_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    file_bytes: Mapped[int] = mapped_column(default=0)
    # Progress and outcome, written in the same transaction as each batch of rows (so a resume knows
    # exactly what was written): data lines done, and what became of them.
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int | None]
    imported: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    duplicate: Mapped[int] = mapped_column(default=0)
    suppressed: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    campaign = relationship("Campaign")
    created_by = relationship("User", foreign_keys=[created_by_id])


class Recall(db.Model):
    """A lead sent to nurture with the date it re-enters the call queue, and why: shown to the next agent.

    Made by the Nurture disposition, a rejection as not ready (definitional) or a deal lost with the reason
    "recycle"; the lead's history stays as it was.
    """

    __tablename__ = "recalls"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    recall_on: Mapped[date]
    cause: Mapped[str] = mapped_column(String(20))  # nurture (disposition), rejected, lost
    reason: Mapped[str] = mapped_column(Text, default="")
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by = relationship("User")
