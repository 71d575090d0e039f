"""Campaigns: the only code that writes them (their dispositions' next actions: console.calls.services), and what
the campaign list and the campaign calendar show."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from console.audit import services as audit
from console.campaigns import rules
from console.campaigns.models import Campaign
from console.campaigns.rules import CampaignStatus, LifeAction
from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.leads.models import Lead
from console.leads.rules import InvalidPhoneNumber, normalise_phone

EDITABLE_FIELDS = ("name", "source", "message", "start_date", "end_date", "priority", "calling_start", "calling_end",
                   "calling_days", "holidays", "excluded_states", "max_attempts", "min_retry_minutes",
                   "nurture_recall_days", "call_guide_id",
                   "caller_id", "expected_leads", "budget_cents", "custom_fields")

# What the new-campaign form proposes: B2B prospects are called on weekdays, within the model's default hours.
NEW_CAMPAIGN_SETTINGS = {"priority": 0, "calling_start": time(9, 0), "calling_end": time(20, 0),
                         "calling_days": ["1", "2", "3", "4", "5"], "max_attempts": rules.DEFAULT_MAX_ATTEMPTS,
                         "min_retry_minutes": 60, "nurture_recall_days": rules.DEFAULT_NURTURE_RECALL_DAYS}


class CampaignInvalid(Exception):
    """The change cannot be saved; `field_errors` maps each field to what is wrong with it."""

    def __init__(self, field_errors: dict[str, str]):
        self.field_errors = field_errors
        super().__init__("; ".join(field_errors.values()))


class LifeRefused(Exception):
    """The campaign cannot be paused, resumed, ended, archived or unarchived now; the message says why."""


def _display(value) -> str | int | bool | None:
    return value.isoformat() if hasattr(value, "isoformat") else value


# ---------------------------------------------------------------- settings

def create_campaign(actor, values: dict, *, running: bool) -> Campaign:
    """A new campaign with these settings (EDITABLE_FIELDS), running or paused as marketing chose."""
    try:
        with writers.write_transaction(db.session):
            campaign = Campaign(active=running, custom_fields=[], holidays=[], excluded_states=[])
            checked = _checked(campaign, dict(values))
            for field in EDITABLE_FIELDS:
                if field in checked:
                    setattr(campaign, field, checked[field])
            db.session.add(campaign)
            db.session.flush()
            audit.record("campaign.created", campaign, actor=actor, running=running,
                         settings={field: _display(getattr(campaign, field)) for field in EDITABLE_FIELDS})
    except IntegrityError as error:  # another request took the name between our check and our insert
        raise CampaignInvalid({"name": "Another campaign already has this name."}) from error
    return campaign


def update_campaign(campaign: Campaign, actor, changes: dict) -> dict[str, tuple]:
    """Apply the settings marketing changed; returns {field: (old, new)} for what actually changed."""
    with writers.write_transaction(db.session):
        return _update_campaign(campaign, actor, dict(changes))


def _update_campaign(campaign: Campaign, actor, changes: dict) -> dict[str, tuple]:
    changes = _checked(campaign, changes)
    changed = {}
    for field in EDITABLE_FIELDS:
        if field in changes and getattr(campaign, field) != changes[field]:
            changed[field] = (getattr(campaign, field), changes[field])
            setattr(campaign, field, changes[field])
    if changed:
        audit.record("campaign.updated", campaign, actor=actor,
                     changes={field: [_display(old), _display(new)] for field, (old, new) in changed.items()})
    return changed


def _checked(campaign: Campaign, changes: dict) -> dict:
    """The changes as stored, or CampaignInvalid naming every field that cannot be (the form checked the rest).
    Joins the caller's transaction (it reads the other campaigns' names)."""
    errors = {}
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        clash = select(Campaign.id).where(Campaign.name == changes["name"])
        if campaign.id is not None:
            clash = clash.where(Campaign.id != campaign.id)
        if db.session.scalar(clash) is not None:
            errors["name"] = "Another campaign already has this name."
    if "nurture_recall_days" in changes and changes["nurture_recall_days"] is None:
        del changes["nurture_recall_days"]  # left blank: the delay stays as it is (a new campaign's: the default)
    if "calling_days" in changes and not isinstance(changes["calling_days"], str):
        changes["calling_days"] = "".join(sorted(set(changes["calling_days"])))  # {"1", "5"} → "15"
    if "call_guide_id" in changes:
        changes["call_guide_id"] = changes["call_guide_id"] or None  # the form's "no guide" is 0
    if "caller_id" in changes:
        raw = (changes["caller_id"] or "").strip()
        try:
            changes["caller_id"] = normalise_phone(raw) if raw else None
        except InvalidPhoneNumber as error:
            errors["caller_id"] = f"The caller ID is {error}. Write it with its country code, as +12125550100."
    if "custom_fields" in changes:
        try:
            changes["custom_fields"] = rules.custom_field_keys(
                campaign.custom_fields or [], [(row.get("key") or None, row.get("label") or "")
                                               for row in changes["custom_fields"] or []])
        except rules.CustomFieldsInvalid as error:
            errors["custom_fields"] = str(error)
    if errors:
        raise CampaignInvalid(errors)
    return changes


# ---------------------------------------------------------------- life

def change_life(campaign: Campaign, actor, action: str) -> Campaign:
    """Pause, resume, end, archive or unarchive the campaign (LifeAction), or LifeRefused saying why not.

    Ending is final: the campaign stops and can never run again (campaigns.rules.life_refusal).
    """
    with writers.write_transaction(db.session):
        now = utcnow()
        refusal = rules.life_refusal(action, campaign.calling_rules(), now.date())
        if refusal:
            raise LifeRefused(refusal)
        before = campaign.status(now.date())
        if action == LifeAction.PAUSE:
            campaign.active = False
        elif action == LifeAction.RESUME:
            campaign.active = True
        elif action == LifeAction.END:
            campaign.active, campaign.ended_at = False, now
        elif action == LifeAction.ARCHIVE:
            campaign.archived_at = now
        elif action == LifeAction.UNARCHIVE:
            campaign.archived_at = None
        audit.record(f"campaign.{LifeAction.DONE[action]}", campaign, actor=actor, status_before=before,
                     status_after=campaign.status(now.date()))
    return campaign


# ---------------------------------------------------------------- the campaign list

@dataclass(frozen=True)
class CampaignListing:
    campaigns: list[tuple[Campaign, int]]  # (campaign, its leads)
    archived: int  # archived campaigns, shown or not


def campaign_names_by_id() -> dict[int, str]:
    """Every campaign's name by id, in name order: what a page offers as a choice of campaign."""
    return dict(db.session.execute(select(Campaign.id, Campaign.name).order_by(Campaign.name, Campaign.id)).tuples().all())


def campaign_list(*, with_archived: bool) -> CampaignListing:
    """Every campaign (archived ones only when asked), highest priority first, with how many leads each has."""
    query = (select(Campaign, func.count(Lead.id)).outerjoin(Lead, Lead.campaign_id == Campaign.id)
             .group_by(Campaign.id).order_by(Campaign.priority.desc(), Campaign.name))
    if not with_archived:
        query = query.where(Campaign.archived_at.is_(None))
    archived = db.session.scalar(select(func.count(Campaign.id)).where(Campaign.archived_at.is_not(None))) or 0
    return CampaignListing(list(db.session.execute(query).tuples()), archived)


# ---------------------------------------------------------------- the campaign calendar

CALENDAR_WEEKS = 12
WEEKS_BEFORE_TODAY = 4
CALENDAR_STEP_WEEKS = 4  # how far "Earlier" and "Later" move


@dataclass(frozen=True)
class CalendarRow:
    campaign: Campaign
    status: str
    starts: date | None
    ends: date | None  # its end date, or the day it was ended when that came first
    leads: int
    span: rules.CalendarSpan | None  # None: not in the weeks shown

    @property
    def status_label(self) -> str:
        return CampaignStatus.LABELS[self.status]

    @property
    def undated(self) -> bool:
        return self.starts is None and self.ends is None


@dataclass(frozen=True)
class CampaignCalendar:
    start: date  # a Monday
    weeks: int
    today: date
    rows: list[CalendarRow]  # the campaigns in these weeks, by start date

    @property
    def days(self) -> int:
        return self.weeks * 7

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    @property
    def week_starts(self) -> list[date]:
        return [self.start + timedelta(weeks=week) for week in range(self.weeks)]

    @property
    def today_index(self) -> int | None:
        index = (self.today - self.start).days
        return index if 0 <= index < self.days else None

    @property
    def earlier(self) -> date:
        return self.start - timedelta(weeks=CALENDAR_STEP_WEEKS)

    @property
    def later(self) -> date:
        return self.start + timedelta(weeks=CALENDAR_STEP_WEEKS)

    @property
    def undated(self) -> list[CalendarRow]:
        return [row for row in self.rows if row.undated]


def calendar_start(today: date, first_day: date | None = None) -> date:
    """The Monday the calendar opens on: the week of `first_day`, else WEEKS_BEFORE_TODAY weeks before today's."""
    day = first_day if first_day is not None else today - timedelta(weeks=WEEKS_BEFORE_TODAY)
    return day - timedelta(days=day.weekday())


def campaign_calendar(first_day: date | None = None, today: date | None = None,
                      weeks: int = CALENDAR_WEEKS) -> CampaignCalendar:
    """The campaigns that are not archived and run some day in the `weeks` weeks from the Monday of `first_day`'s
    week (default: WEEKS_BEFORE_TODAY weeks back), with their dates, status, priority, expected and actual leads."""
    today = today or utcnow().date()
    start = calendar_start(today, first_day)
    leads = {campaign_id: count for campaign_id, count in
             db.session.execute(select(Lead.campaign_id, func.count(Lead.id)).group_by(Lead.campaign_id))}
    rows = []
    for campaign in db.session.scalars(select(Campaign).where(Campaign.archived_at.is_(None))):
        facts = campaign.calling_rules()
        ends = min(day for day in (campaign.end_date, facts.ended_on) if day is not None) \
            if (campaign.end_date or facts.ended_on) else None
        span = rules.calendar_span(campaign.start_date, ends, start, weeks * 7)
        if span is None:
            continue
        rows.append(CalendarRow(campaign, rules.campaign_status(facts, today), campaign.start_date, ends,
                                leads.get(campaign.id, 0), span))
    rows.sort(key=lambda row: (row.starts or date.min, -(row.campaign.priority or 0), row.campaign.name))
    return CampaignCalendar(start, weeks, today, rows)
