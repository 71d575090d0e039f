"""The outbox: every message the console must deliver and every job it must run, as rows written in the
transaction of the business change that causes them (one table for both families: see rules.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.clock import utcnow
from console.extensions import db
from console.outbox.rules import MAX_ATTEMPTS, Family, Status


class OutboxEntry(db.Model):
    """One message to deliver or one job to run, with its delivery record."""

    __tablename__ = "outbox"
    __table_args__ = (
        # A worker's claim: the due rows, oldest first.
        Index("ix_outbox_status_available_at", "status", "available_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family: Mapped[str] = mapped_column(String(10))  # rules.Family
    kind: Mapped[str] = mapped_column(String(60))  # "email", "webhook", "notification", "job.queue_rebuild"…
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    # The same business action enqueues nothing new: "handoff.created:42:email:7".
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=Status.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)  # counted when a worker takes it
    max_attempts: Mapped[int] = mapped_column(default=MAX_ATTEMPTS)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    leased_until: Mapped[datetime | None]
    leased_by: Mapped[str | None] = mapped_column(String(80))
    last_error: Mapped[str | None] = mapped_column(Text)
    response_status: Mapped[int | None]  # a webhook's HTTP status, an SMTP reply code
    response_excerpt: Mapped[str | None] = mapped_column(Text)  # the first bytes of the answer
    # Jobs: how far they are, in words and numbers (pages poll these), and what they found.
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    stage: Mapped[str] = mapped_column(String(200), default="")
    result: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def status_label(self) -> str:
        if self.lease_lapsed:
            return "lease lapsed: taken again next"
        return Status.label(self.status, self.family)

    @property
    def lease_lapsed(self) -> bool:
        """Leased by a worker that did not settle it in time (it died): the next claim takes it again."""
        return self.status == Status.LEASED and self.leased_until is not None and self.leased_until < utcnow()

    @property
    def is_job(self) -> bool:
        return self.family == Family.JOB

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))


class WebhookEndpoint(db.Model):
    """Where the CRM hears of the console's events: a URL and the secret its messages are signed with."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))  # "whsec_…" (Standard Webhooks)
    active: Mapped[bool] = mapped_column(default=True)
    # An admin may allow plain http and private or loopback addresses (a CRM inside the network).
    allow_private_network: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
