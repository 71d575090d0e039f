"""The API's request and response bodies as pydantic models: the views read and answer with them, and the
OpenAPI document (spectree) is generated from them."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from console.api.rules import MAX_BATCH, MAX_PAGE_SIZE, PAGE_SIZE
from console.handoffs.models import HandoffStatus, RejectionKind
from console.handoffs.packet_schema import PacketDocument
from console.handoffs.rules import ContactKind, LostReason
from console.imports.rules import FIELD_BY_KEY

Id = Annotated[int, Field(ge=1, le=2 ** 31 - 1)]
Cents = Annotated[int, Field(ge=1, le=10 ** 12)]


def _text(key: str, default_limit: int = 60):
    limit = FIELD_BY_KEY[key].max_length or default_limit
    return Annotated[str | None, Field(default=None, max_length=limit, description=FIELD_BY_KEY[key].hint or None)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _naive_utc(value: datetime) -> datetime:
    """A time as stored: naive UTC (a time without a zone is read as UTC)."""
    if value.tzinfo is not None:
        try:
            value = value.astimezone(UTC).replace(tzinfo=None)
        except OverflowError as error:
            raise ValueError("The time is out of range.") from error
    if not 1900 <= value.year <= 2200:
        raise ValueError("The time must fall between the years 1900 and 2200.")
    return value


# ---------------------------------------------------------------- errors

class ErrorDetail(BaseModel):
    code: str = Field(description="bad_json, unauthorized, forbidden, not_found, method_not_allowed, conflict, "
                                  "too_large, unsupported_media_type, invalid, rate_limited, internal_error")
    message: str
    fields: dict[str, str] = Field(default_factory=dict, description="field (dotted path) → what is wrong with it")


class ErrorResponse(BaseModel):
    error: ErrorDetail


# ---------------------------------------------------------------- leads

class TouchIn(_Body):
    kind: str = Field(min_length=1, max_length=30, description="email_open, download, webinar, site_visit...")
    occurred_at: datetime = Field(description="ISO 8601; without a zone it is read as UTC")
    detail: str = Field(default="", max_length=200)
    url: str | None = Field(default=None, max_length=500)
    campaign_id: Id | None = Field(default=None, description="the campaign the touch came from (attribution)")

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _naive_utc(value)


class LeadIn(_Body):
    campaign_id: Id
    external_id: str = Field(min_length=1, max_length=100, description="the id your system knows the lead by")
    phone: str = Field(min_length=1, max_length=40, description="any format; read into E.164 like an import")
    first_name: _text("first_name")
    last_name: _text("last_name")
    full_name: _text("full_name")
    title: _text("title")
    company: _text("company")
    company_domain: _text("company_domain")
    email: _text("email")
    alternate_phone: Annotated[str | None, Field(default=None, max_length=40)]
    state: _text("state")
    country: _text("country")
    time_zone: _text("time_zone")
    source: _text("source")
    buying_role: _text("buying_role")
    fields: dict[Annotated[str, Field(max_length=60)], Annotated[str, Field(max_length=500)]] = Field(
        default_factory=dict, max_length=50, description="the campaign's own lead fields, by key")
    touches: list[TouchIn] = Field(default_factory=list, max_length=100)


class LeadOut(BaseModel):
    id: int
    campaign_id: int
    external_id: str | None
    first_name: str
    last_name: str
    title: str | None
    email: str | None
    phone: str = Field(description="E.164")
    alternate_phone: str | None
    company: str
    company_domain: str | None
    state: str | None
    country: str | None
    time_zones: list[str]
    source: str | None
    buying_role: str | None
    fields: dict[str, str]
    stage: str = Field(description="lead, mql, sal, sql, nurture, disqualified...")
    do_not_call: bool
    score: int | None
    band: str | None
    scoring_model_version: int | None
    answers: dict[str, str] = Field(description="criterion → the lead's current answer")
    created_at: str
    updated_at: str


class LeadUpsertOut(BaseModel):
    outcome: Literal["created", "updated", "unchanged"]
    suppressed: bool = Field(description="the number is on a do-not-call list covering the campaign: never dialled")
    lead: LeadOut


class LeadBatchIn(_Body):
    leads: list[LeadIn] = Field(min_length=1, max_length=MAX_BATCH)


class BatchItemOut(BaseModel):
    index: int
    status: int = Field(description="201 created, 200 updated or unchanged, 409 repeats an earlier item, 422 refused")
    outcome: Literal["created", "updated", "unchanged", "duplicate", "rejected"]
    lead_id: int | None
    error: ErrorDetail | None = None


class LeadBatchOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    refused: int
    results: list[BatchItemOut]


class _Query(BaseModel):
    """A query string: a name it does not know is refused (422), as the document's closed parameter list says."""

    model_config = ConfigDict(extra="forbid")


class LeadQuery(_Query):
    external_id: str = Field(min_length=1, max_length=100)
    campaign_id: Id


class TouchesIn(_Body):
    touches: list[TouchIn] = Field(min_length=1, max_length=100)


class TouchesOut(BaseModel):
    added: int
    lead: LeadOut


# ---------------------------------------------------------------- hand-offs

class HandoffQuery(_Query):
    status: Literal[HandoffStatus.PENDING, HandoffStatus.ACCEPTED, HandoffStatus.REJECTED,
                    HandoffStatus.REVIEW] | None = None
    since: datetime | None = Field(default=None, description="hand-offs created at or after this time")
    cursor: str | None = Field(default=None, max_length=200, description="next_cursor of the page before")
    limit: int = Field(default=PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    @field_validator("since")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return _naive_utc(value) if value is not None else None


class HandoffPage(BaseModel):
    handoffs: list[PacketDocument]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last")


OUTCOMES = ("accepted", "rejected", "first_contact", "meeting", "opportunity", "won", "lost", "rating")


class OutcomeIn(_Body):
    """What each outcome needs: rejected: rejection_kind and comment (definitional: recall_on or disqualify);
    first_contact: contact_kind; opportunity: amount_cents and expected_close_on; won: amount_cents and won_on;
    lost: lost_reason (recycle: recall_on); rating: rating (1-5)."""

    outcome: Literal[OUTCOMES]
    rejection_kind: Literal[RejectionKind.PROCEDURAL, RejectionKind.CLERICAL, RejectionKind.DEFINITIONAL] | None = None
    comment: str = Field(default="", max_length=2000)
    recall_on: date | None = None
    disqualify: bool = False
    contact_kind: Literal[ContactKind.CALL, ContactKind.EMAIL, ContactKind.MEETING] | None = None
    amount_cents: Cents | None = None
    expected_close_on: date | None = None
    won_on: date | None = None
    lost_reason: Literal[tuple(LostReason.LABELS)] | None = None
    rating: int | None = Field(default=None, ge=1, le=5)

    def missing(self) -> dict[str, str]:
        """The fields this outcome needs and was not given, each with why."""
        needed = {"rejected": ("rejection_kind", "comment"), "first_contact": ("contact_kind",),
                  "opportunity": ("amount_cents", "expected_close_on"), "won": ("amount_cents", "won_on"),
                  "lost": ("lost_reason",), "rating": ("rating",)}.get(self.outcome, ())
        missing = [name for name in needed if getattr(self, name) is None
                   or (isinstance(getattr(self, name), str) and not getattr(self, name).strip())]
        if self.outcome == "rejected" and self.rejection_kind == RejectionKind.DEFINITIONAL \
                and not self.disqualify and self.recall_on is None:
            missing.append("recall_on")
        if self.outcome == "lost" and self.lost_reason == LostReason.RECYCLE and self.recall_on is None:
            missing.append("recall_on")
        return {name: f"Required for a {self.outcome.replace('_', ' ')} outcome." for name in missing}


class OutcomeOut(BaseModel):
    handoff: PacketDocument
    new_handoff_id: int | None = Field(description="a wrongly routed hand-off's successor, routed again")


# ---------------------------------------------------------------- campaigns and their report

class CampaignOut(BaseModel):
    id: int
    name: str
    status: str = Field(description="scheduled, running, paused, ended or archived")
    source: str
    start_date: date | None
    end_date: date | None
    budget_cents: int | None


class CampaignList(BaseModel):
    campaigns: list[CampaignOut]


class ReportQuery(_Query):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date | None = Field(default=None, alias="from",
                               description="first day (YYYY-MM-DD), in the token user's time zone; default: 29 days"
                                           " before `to`")
    to: date | None = Field(default=None, description="last day, on or after from; default: today")
    attribution: Literal["first", "last"] = Field(
        default="first", description="which campaign a won deal counts for when several touched its lead")


class ClockFigures(BaseModel):
    clock: str
    side: str
    applies: int = Field(description="hand-offs this SLA clock ran for")
    breached: int
    compliance: float | None = Field(description="(applies - breached) / applies; null without hand-offs")


class CampaignReport(BaseModel):
    """The campaign report's figures (console/reports, docs/reports.md: the same terms as the page)."""

    campaign_id: int
    from_: date = Field(serialization_alias="from")
    to: date
    time_zone: str = Field(description="the zone the days are read in")
    attribution: str
    dials: int
    connects: int
    conversations: int
    qualified: int
    handed_over: int
    accepted: int
    rejected: int
    rejected_by_kind: dict[str, int]
    follow_up_rate: float | None = Field(description="hand-offs first contacted within the SLA / hand-offs")
    sla: list[ClockFigures]
    meetings: int
    opportunities: int
    won: int = Field(description="the campaign's own hand-offs won")
    won_cents: int
    attributed_won: int = Field(description="won deals credited to the campaign by the attribution")
    attributed_won_cents: int
    average_rating: float | None
    budget_cents: int | None
    cost_per_qualified_cents: int | None
    cost_per_won_cents: int | None


# ---------------------------------------------------------------- the do-not-call list

class DoNotCallIn(_Body):
    phone: str = Field(min_length=1, max_length=40)
    campaign_id: Id | None = Field(default=None, description="only this campaign's leads; none: every campaign")
    reason: str = Field(default="", max_length=200)


class DoNotCallOut(BaseModel):
    id: int
    phone: str
    campaign_id: int | None
    reason: str
    added_at: str
    already_listed: bool


class DoNotCallRemoval(_Query):
    reason: str = Field(min_length=1, max_length=200)
    campaign_id: Id | None = None


class Removed(BaseModel):
    removed: bool
    phone: str


class Pong(BaseModel):
    status: Literal["ok"]
