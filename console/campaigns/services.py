"""Campaigns: the only code that writes them (their dispositions' next actions: console.calls.services),
and what the campaign list shows."""
from __future__ import annotations

from sqlalchemy import func, select

from console.audit import services as audit
from console.campaigns.models import Campaign
from console.database import writers
from console.extensions import db
from console.leads.models import Lead

EDITABLE_FIELDS = ("name", "source", "message", "start_date", "end_date", "priority", "calling_start", "calling_end",
                   "calling_days", "holidays", "excluded_states", "max_attempts", "min_retry_minutes", "call_guide_id", "active")


class CampaignInvalid(Exception):
    """The change cannot be saved; `field_errors` maps each field to what is wrong with it."""

    def __init__(self, field_errors: dict[str, str]):
        self.field_errors = field_errors
        super().__init__("; ".join(field_errors.values()))


def _display(value) -> str | int | bool | None:
    return value.isoformat() if hasattr(value, "isoformat") else value


def update_campaign(campaign: Campaign, actor, changes: dict) -> dict[str, tuple]:
    """Apply the settings marketing changed; returns {field: (old, new)} for what actually changed."""
    with writers.write_transaction(db.session):
        return _update_campaign(campaign, actor, dict(changes))


def _update_campaign(campaign: Campaign, actor, changes: dict) -> dict[str, tuple]:
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        clash = db.session.scalar(select(Campaign.id).where(Campaign.name == changes["name"], Campaign.id != campaign.id))
        if clash is not None:
            raise CampaignInvalid({"name": "Another campaign already has this name."})
    if "calling_days" in changes and not isinstance(changes["calling_days"], str):
        changes["calling_days"] = "".join(sorted(set(changes["calling_days"])))  # {"1", "5"} → "15"
    if "call_guide_id" in changes:
        changes["call_guide_id"] = changes["call_guide_id"] or None  # the form's "no guide" is 0
    changed = {}
    for field in EDITABLE_FIELDS:
        if field in changes and getattr(campaign, field) != changes[field]:
            changed[field] = (getattr(campaign, field), changes[field])
            setattr(campaign, field, changes[field])
    if changed:
        audit.record("campaign.updated", campaign, actor=actor,
                     changes={field: [_display(old), _display(new)] for field, (old, new) in changed.items()})
    return changed


def campaigns_with_lead_counts() -> list[tuple[Campaign, int]]:
    """Every campaign, highest priority first, with how many leads it has."""
    return list(db.session.execute(
        select(Campaign, func.count(Lead.id)).outerjoin(Lead, Lead.campaign_id == Campaign.id)
        .group_by(Campaign.id).order_by(Campaign.priority.desc(), Campaign.name)).tuples())
