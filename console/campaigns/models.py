"""Outbound campaigns: where leads come from, how they may be called, which guide is read."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.clock import utcnow
from console.extensions import db
from console.campaigns import rules
from console.campaigns.rules import DEFAULT_MAX_ATTEMPTS, CampaignRules
from console.compliance.rules import LEGAL_WINDOW, CallingHours, parse_calling_days


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    source: Mapped[str] = mapped_column(String(60))  # channel: webinar, trade show, paid search...
    message: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    priority: Mapped[int] = mapped_column(default=0)  # higher is called first
    call_guide_id: Mapped[int | None] = mapped_column(ForeignKey("call_guides.id"))
    caller_id: Mapped[str | None] = mapped_column(String(20))
    # Campaign calling hours, in the lead's local time; never wider than the legal window.
    calling_start: Mapped[time] = mapped_column(default=time(9, 0))
    calling_end: Mapped[time] = mapped_column(default=time(20, 0))
    # ISO weekdays the campaign calls on, Monday = 1 ("12345": weekdays only).
    calling_days: Mapped[str] = mapped_column(String(7), default="1234567", server_default="1234567")
    # Dates (ISO strings) on which the campaign calls nobody, in the lead's local calendar.
    holidays: Mapped[list] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # State / province codes this campaign does not serve: their leads are never called.
    excluded_states: Mapped[list] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    max_attempts: Mapped[int] = mapped_column(default=DEFAULT_MAX_ATTEMPTS)
    min_retry_minutes: Mapped[int] = mapped_column(default=60)
    # Its life: running or paused (`active`), then ended (serves no leads again), then archived (off the lists).
    ended_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    # How many leads marketing expects the campaign to bring (the campaign calendar shows it to sales).
    expected_leads: Mapped[int | None]
    # What the campaign costs, in cents, when marketing records it: reports show cost per qualified lead and won deal.
    budget_cents: Mapped[int | None] = mapped_column(BigInteger)
    # The campaign's own lead fields, [{"key": "fleet_size", "label": "Fleet size"}, ...]: imports map columns to them.
    custom_fields: Mapped[list] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # A nurtured lead's recall date, in days from the Nurture disposition (or a rejection as not ready): the
    # default the agent or sales member may change; the lead re-enters the queue on that date.
    nurture_recall_days: Mapped[int] = mapped_column(default=90, server_default="90")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    call_guide = relationship("CallGuide")

    def calling_hours(self) -> CallingHours:
        return CallingHours(
            start=self.calling_start or LEGAL_WINDOW[0], end=self.calling_end or LEGAL_WINDOW[1],
            days=parse_calling_days(self.calling_days if self.calling_days is not None else "1234567"),
            holidays=frozenset(_as_date(value) for value in (self.holidays or []) if _as_date(value)))

    def calling_rules(self) -> CampaignRules:
        """What this campaign says about calling its leads, for the pure dialability rules."""
        return CampaignRules(
            name=self.name, active=bool(self.active), start_date=self.start_date, end_date=self.end_date,
            hours=self.calling_hours(),
            max_attempts=self.max_attempts if self.max_attempts is not None else DEFAULT_MAX_ATTEMPTS,
            min_retry_minutes=self.min_retry_minutes or 0,
            excluded_states=frozenset(code.upper() for code in (self.excluded_states or [])),
            ended_on=self.ended_at.date() if self.ended_at is not None else None,
            archived=self.archived_at is not None)

    def status(self, today: date | None = None) -> str:
        """Scheduled, running, paused, ended or archived today (campaigns.rules.campaign_status)."""
        return rules.campaign_status(self.calling_rules(), today or utcnow().date())

    def status_label(self, today: date | None = None) -> str:
        return rules.CampaignStatus.LABELS[self.status(today)]

    def ended_on(self, today: date | None = None) -> date | None:
        return rules.ended_on(self.calling_rules(), today or utcnow().date())

    def possible_actions(self, today: date | None = None) -> tuple[str, ...]:
        """Pause, resume, end, archive, unarchive: those its pages offer now."""
        return rules.possible_actions(self.calling_rules(), today or utcnow().date())

    def lead_field_values(self, lead) -> list[tuple[str, str]]:
        """The lead's values of this campaign's own fields, labelled as the campaign labels them."""
        return rules.labelled_values(self.custom_fields, lead.custom_fields)

    def __repr__(self) -> str:
        return f"<Campaign {self.name}>"


def _as_date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None
