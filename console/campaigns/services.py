"""Changing a campaign: its settings and its dispositions' next actions. The only code that writes them."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from console.audit import services as audit
from console.calls import rules as disposition_rules
from console.calls.models import DispositionSetting
from console.campaigns.models import Campaign
from console.extensions import db

EDITABLE_FIELDS = ("name", "source", "message", "start_date", "end_date", "priority", "calling_start", "calling_end",
                   "calling_days", "holidays", "max_attempts", "min_retry_minutes", "call_guide_id", "active")


class CampaignInvalid(Exception):
    """The change cannot be saved; `field_errors` maps each field to what is wrong with it."""

    def __init__(self, field_errors: dict[str, str]):
        self.field_errors = field_errors
        super().__init__("; ".join(field_errors.values()))


def _display(value) -> str | int | bool | None:
    return value.isoformat() if hasattr(value, "isoformat") else value


def update_campaign(campaign: Campaign, actor, changes: dict) -> dict[str, tuple]:
    """Apply the settings marketing changed; returns {field: (old, new)} for what actually changed."""
    changes = dict(changes)
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
    db.session.commit()
    return changed


@dataclass(frozen=True)
class DispositionChoice:
    code: str
    next_action: str
    retry_minutes: int | None


def save_disposition_settings(campaign: Campaign, actor, choices: list[DispositionChoice]) -> dict[str, list]:
    """Store the campaign's next action per disposition; a choice equal to the default removes the override.

    Returns {code: [old description, new description]} for the dispositions that changed (audited).
    """
    errors = {}
    for choice in choices:
        problems = disposition_rules.setting_errors(choice.code, choice.next_action, choice.retry_minutes)
        if problems:
            errors[choice.code] = problems[0]
    if errors:
        raise CampaignInvalid(errors)

    existing = {setting.code: setting for setting in
                db.session.scalars(select(DispositionSetting).where(DispositionSetting.campaign_id == campaign.id))}
    before = {d.code: d for d in _effective(existing)}
    for choice in choices:
        default = disposition_rules.BY_CODE[choice.code]
        minutes = choice.retry_minutes if choice.next_action == disposition_rules.NextAction.RETRY_IN else 0
        setting = existing.get(choice.code)
        if choice.next_action == default.next_action and minutes == default.retry_minutes:
            if setting is not None:
                db.session.delete(setting)
                del existing[choice.code]
            continue
        if setting is None:
            setting = existing[choice.code] = DispositionSetting(campaign_id=campaign.id, code=choice.code)
        setting.next_action, setting.retry_minutes, setting.updated_by_id = choice.next_action, minutes, actor.id
        db.session.add(setting)
    after = {d.code: d for d in _effective(existing)}
    changed = {code: [before[code].next_action_label, after[code].next_action_label]
               for code in after if before[code] != after[code]}
    if changed:
        audit.record("campaign.dispositions_changed", campaign, actor=actor, changes=changed)
    db.session.commit()
    return changed


def _effective(settings: dict[str, DispositionSetting]):
    return disposition_rules.for_campaign({
        code: disposition_rules.SettingOverride(setting.next_action, setting.retry_minutes)
        for code, setting in settings.items()})
