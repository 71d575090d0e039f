"""The claim's plan: which campaigns are running and which of their window keys are open this minute.

Worked out mostly from this process's memory, before any write: the running
campaigns are a one-second snapshot (console/database/snapshots.py), each
campaign's window keys a 30-second one (console.leads.services.window_keys), and
whether a key is open is a memo per minute, since calling windows only change on
whole minutes. A snapshot a second old can at worst offer a lead of a campaign
paused in another process that second; the dial guard re-reads the campaign
before any call is placed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from console.campaigns.models import Campaign
from console.campaigns.rules import CampaignRules
from console.compliance.rules import minute_of, split_window_key
from console.database.snapshots import Memo, Snapshot
from console.extensions import db
from console.leads import services as leads
from console.queue import rules

_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite


@dataclass(frozen=True)
class CampaignPlan:
    """A running campaign as the claim sees it."""

    id: int
    priority: int
    rules: CampaignRules
    name: str
    call_guide_id: int | None


@dataclass
class ClaimPlan:
    """What may be claimed this minute: running campaigns, and for each its open window keys."""

    now: datetime
    campaigns: dict[int, CampaignPlan]
    open_keys: dict[int, tuple[str, ...]] = field(default_factory=dict)  # campaign id → open keys

    @property
    def open_campaigns(self) -> list[CampaignPlan]:
        return [self.campaigns[campaign_id] for campaign_id, keys in self.open_keys.items() if keys]

    def is_open(self, campaign_id: int, key: str) -> bool:
        return key in self.open_keys.get(campaign_id, ())

    def at(self, now: datetime) -> ClaimPlan:
        """The same plan at another moment of the same minute."""
        return ClaimPlan(now=now, campaigns=self.campaigns, open_keys=self.open_keys)

    def spaced_before(self, campaign: CampaignPlan) -> datetime:
        return self.now - timedelta(minutes=campaign.rules.min_retry_minutes)

    def keys_parameter(self, dialect: str) -> str:
        """Every open key as a JSON row: [campaign_id, window_key, priority, max_attempts, spaced_before]."""
        rows = []
        for campaign in self.open_campaigns:
            spaced = self.spaced_before(campaign)
            spaced = spaced.strftime(_SQLITE_TIME) if dialect == "sqlite" else spaced.isoformat()
            rows.extend([campaign.id, key, campaign.priority, campaign.rules.max_attempts, spaced]
                        for key in self.open_keys[campaign.id])
        if dialect == "postgresql":
            names = ("campaign_id", "window_key", "priority", "max_attempts", "spaced_before")
            return json.dumps([dict(zip(names, row)) for row in rows])
        return json.dumps(rows)

    def head_parameters(self) -> dict:
        """The fast path's parameters: per open campaign, its id, priority, limits and open keys."""
        parameters = {}
        for n, campaign in enumerate(self.open_campaigns):
            parameters.update({f"campaign_{n}": campaign.id, f"priority_{n}": campaign.priority,
                               f"max_attempts_{n}": campaign.rules.max_attempts,
                               f"spaced_before_{n}": self.spaced_before(campaign),
                               f"keys_{n}": json.dumps(self.open_keys[campaign.id])})
        return parameters


# Every column of the active campaigns: a campaign's rules are whatever Campaign.calling_rules() reads. Ended and
# archived ones are not even read; of the rest, claim_plan keeps those rules.campaign_running lets run.
ACTIVE_CAMPAIGNS = select(*Campaign.__table__.columns).where(
    Campaign.active.is_(True), Campaign.ended_at.is_(None), Campaign.archived_at.is_(None))

# Read on every claim, changed a few times a day.
_active_campaigns = Snapshot(1.0, Campaign)
_plans_of_rows = Memo()  # a campaign row → its CampaignPlan
_open_keys = Memo()  # (campaign id, rules, keys, minute) → the keys open then
_key_open = Memo()  # (key, rules, minute) → is its window open


def _campaign_plan(row) -> CampaignPlan:
    # JSON columns (holidays, custom fields: lists of dicts) keyed by their JSON text: a list of dicts is unhashable.
    memo_key = tuple(json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else value for value in row)
    plan = _plans_of_rows.get(memo_key)
    if plan is None:
        campaign = Campaign(**row._mapping)  # transient: never added to a session
        plan = _plans_of_rows.remember(memo_key, CampaignPlan(row.id, row.priority or 0, campaign.calling_rules(),
                                                              row.name, row.call_guide_id))
    return plan


def key_open(campaign: CampaignPlan, key: str, now: datetime) -> bool:
    """Does no rule decided per window key stop this key's leads now (rules.key_problems), memo per minute?"""
    memo_key = (key, campaign.rules, minute_of(now))
    answer = _key_open.get(memo_key)
    if answer is None:
        answer = _key_open.remember(memo_key, not rules.key_problems(*split_window_key(key), campaign.rules, now))
    return answer


def _keys_open(campaign: CampaignPlan, keys: tuple[str, ...], now: datetime) -> tuple[str, ...]:
    memo_key = (campaign.id, campaign.rules, keys, minute_of(now))
    answer = _open_keys.get(memo_key)
    if answer is None:
        answer = _open_keys.remember(memo_key, tuple(key for key in keys if key_open(campaign, key, now)))
    return answer


def claim_plan(now: datetime, connection=None) -> ClaimPlan:
    """The running campaigns and their window keys that are open this minute (read on `connection` when given)."""
    rows = _active_campaigns.get(
        str(db.engine.url), lambda: (connection or db.session.connection()).execute(ACTIVE_CAMPAIGNS).all())
    plan = ClaimPlan(now=now, campaigns={})
    for row in rows:
        campaign = _campaign_plan(row)
        if rules.campaign_running(campaign.rules, now.date()) is not None:
            continue
        plan.campaigns[campaign.id] = campaign
        plan.open_keys[campaign.id] = _keys_open(campaign, leads.window_keys(campaign.id, connection), now)
    return plan
