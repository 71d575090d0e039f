"""Whether a lead may be called now, and if not every reason why: the dialability rule, stated once.

Pure functions over plain values (no Flask, no database), tested in milliseconds
(tests/unit/test_queue_rules.py). Each rule returns a Problem (a code and the
reason in words) or None, and `problems()` asks them all. The claim and the
counts cannot ask Python about a million leads, so every code has an SQL twin
in console/queue/statements.py, and tests/integration/test_dialability_twins.py
holds each twin to its rule on generated leads. A rule is decided in one of four
places, which its twin says:

* per campaign: is the campaign running (not paused, ended, archived or outside its dates; the claim's
  plan holds running campaigns only);
* per window key, this minute: the calling window and the zone (a lead's window key
  holds its zones and state, so one answer serves every lead with that key);
* per lead row: everything else, as a predicate in the claim's SQL;
* at dial time only: the agent dialling holds the lead.

Adding a rule: write its function here with its reason text, put it in ROW_RULES
or KEY_RULES and REASONS, and give it its twin in statements.TWINS.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from console.campaigns.rules import CampaignRules, CampaignStatus, campaign_status, ended_on
from console.compliance.rules import calling_window
from console.leads.queue_columns import LeadState, hold_runs
from console.leads.rules import QueueState


@dataclass(frozen=True)
class Problem:
    """One reason a lead may not be called now. `code` groups leads in the campaign breakdown."""

    code: str
    text: str


# Display order of the breakdown, and the precedence when a lead has several problems.
REASONS = {
    "dialable": "Dialable now",
    "campaign_paused": "Campaign not running (paused, ended or outside its dates)",
    "closed": "Finished: no further call planned",
    "do_not_call": "On the do-not-call list",
    "state_not_served": "State not served by this campaign",
    "attempts": "Attempts used up",
    "held": "Held by an agent",
    "zone_unknown": "Time zone unknown",
    "waiting_callback": "Callback not due yet",
    "waiting_retry": "Waiting for the retry delay",
    "spacing": "Too soon after the last attempt",
    "callback_owner": "Callback reserved for the agent who set it",
    "window": "Outside the calling window",
    "not_claimed": "Not claimed by you",
}


def _naive_utc(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now


# ---------------------------------------------------------------- per campaign

def campaign_running(campaign: CampaignRules, today: date) -> Problem | None:
    """Only a running campaign serves leads (campaigns.rules.campaign_status); the others say why not."""
    status = campaign_status(campaign, today)
    if status == CampaignStatus.RUNNING:
        return None
    name = campaign.name
    text = {
        CampaignStatus.ARCHIVED: f"campaign {name} is archived",
        CampaignStatus.ENDED: f"campaign {name} ended on {ended_on(campaign, today) or today:%Y-%m-%d}",
        CampaignStatus.PAUSED: f"campaign {name} is paused",
        CampaignStatus.SCHEDULED: f"campaign {name} starts on {campaign.start_date or today:%Y-%m-%d}",
    }[status]
    return Problem("campaign_paused", text)


# ---------------------------------------------------------------- per lead row
# Each takes (lead, campaign, now, agent_id): `agent_id` is the agent who would get the
# lead, or None when the question is whether anyone could.

def still_in_queue(lead: LeadState, campaign: CampaignRules, now: datetime, agent_id: int | None) -> Problem | None:
    if lead.queue_state not in QueueState.WORKABLE:
        return Problem("closed", "no longer in the queue: its last disposition closed it")
    return None


def not_on_do_not_call_list(lead: LeadState, campaign: CampaignRules, now: datetime,
                            agent_id: int | None) -> Problem | None:
    if lead.do_not_call:
        return Problem("do_not_call", "on the do-not-call list")
    return None


def attempts_left(lead: LeadState, campaign: CampaignRules, now: datetime, agent_id: int | None) -> Problem | None:
    if lead.attempts >= campaign.max_attempts:
        return Problem("attempts", f"attempts used up ({lead.attempts} of {campaign.max_attempts})")
    return None


def not_held_by_another_agent(lead: LeadState, campaign: CampaignRules, now: datetime,
                              agent_id: int | None) -> Problem | None:
    if hold_runs(lead, now) and lead.claimed_by_id != agent_id:
        return Problem("held", f"held by an agent until {lead.claim_expires_at:%H:%M} UTC")
    return None


def callback_due(lead: LeadState, campaign: CampaignRules, now: datetime, agent_id: int | None) -> Problem | None:
    if lead.queue_state == QueueState.CALLBACK and lead.next_call_at is not None and lead.next_call_at > now:
        return Problem("waiting_callback", f"callback due at {lead.next_call_at:%Y-%m-%d %H:%M} UTC")
    return None


def retry_due(lead: LeadState, campaign: CampaignRules, now: datetime, agent_id: int | None) -> Problem | None:
    if lead.queue_state in (QueueState.NEW, QueueState.RETRY) and lead.next_call_at is not None \
            and lead.next_call_at > now:
        return Problem("waiting_retry", f"next attempt due at {lead.next_call_at:%Y-%m-%d %H:%M} UTC")
    return None


def spacing_ends(lead: LeadState, campaign: CampaignRules) -> datetime | None:
    """When the campaign's minimum spacing since the last attempt ends (callbacks are appointments: exempt)."""
    if lead.queue_state == QueueState.CALLBACK or lead.last_called_at is None:
        return None
    return lead.last_called_at + timedelta(minutes=campaign.min_retry_minutes)


def spaced_from_last_attempt(lead: LeadState, campaign: CampaignRules, now: datetime,
                             agent_id: int | None) -> Problem | None:
    spaced_until = spacing_ends(lead, campaign)
    if spaced_until is None or spaced_until <= now:
        return None
    minutes_ago = int((now - lead.last_called_at).total_seconds() // 60)
    return Problem("spacing", f"last attempt {minutes_ago} min ago; this campaign spaces attempts "
                              f"{campaign.min_retry_minutes} min apart (next from {spaced_until:%H:%M} UTC)")


def not_reserved_for_another_agent(lead: LeadState, campaign: CampaignRules, now: datetime,
                                   agent_id: int | None) -> Problem | None:
    if (lead.queue_state == QueueState.CALLBACK and lead.callback_owner_id is not None and agent_id is not None
            and lead.callback_owner_id != agent_id):
        return Problem("callback_owner", "callback reserved for the agent who set it")
    return None


ROW_RULES = (still_in_queue, not_on_do_not_call_list, attempts_left, not_held_by_another_agent, callback_due,
             retry_due, spaced_from_last_attempt, not_reserved_for_another_agent)


# ---------------------------------------------------------------- per window key
# Each takes (zones, state, campaign, now): everything a lead's window key holds.

def inside_calling_window(zones, state: str | None, campaign: CampaignRules, now: datetime) -> Problem | None:
    window = calling_window(zones, state, now, campaign.hours)
    if window.open:
        return None
    unknown = not [zone for zone in zones if zone] or "unknown time zone" in window.reason
    return Problem("zone_unknown" if unknown else "window", window.reason)


def state_served(zones, state: str | None, campaign: CampaignRules, now: datetime) -> Problem | None:
    if state and state.upper() in campaign.excluded_states:
        return Problem("state_not_served", "state not served by this campaign")
    return None


KEY_RULES = (state_served, inside_calling_window)


def key_problems(zones, state: str | None, campaign: CampaignRules, now: datetime) -> list[Problem]:
    """The problems every lead with these zones and this state has now (empty: their window key is open)."""
    return [problem for rule in KEY_RULES if (problem := rule(zones, state, campaign, now)) is not None]


# ---------------------------------------------------------------- at dial time

def held_by_dialling_agent(lead: LeadState, now: datetime, agent_id: int | None) -> Problem | None:
    if agent_id is None or lead.claimed_by_id != agent_id or not hold_runs(lead, now):
        return Problem("not_claimed", "not claimed by you: press Next lead to get a lead")
    return None


# ---------------------------------------------------------------- all of them

def problems(lead: LeadState, campaign: CampaignRules, now: datetime, *, agent_id: int | None = None,
             for_dialing: bool = False) -> list[Problem]:
    """Every reason the lead may not be called now, in REASONS order (empty: dialable).

    At claim time (`for_dialing=False`) a lead held by another agent is not
    dialable; at dial time (`for_dialing=True`) only the agent holding the claim
    may dial, and a reserved callback is theirs already.
    """
    now = _naive_utc(now)
    found = [campaign_running(campaign, now.date())]
    for rule in ROW_RULES:
        if for_dialing and rule is not_held_by_another_agent:
            found.append(held_by_dialling_agent(lead, now, agent_id))
        elif not (for_dialing and rule is not_reserved_for_another_agent):
            found.append(rule(lead, campaign, now, agent_id))
    found.extend(key_problems(lead.zones, lead.state, campaign, now))
    return [problem for problem in found if problem is not None]


def primary_reason(codes) -> str:
    """The one reason a lead is counted under in a breakdown (the first in REASONS order)."""
    codes = [getattr(code, "code", code) for code in codes]
    if not codes:
        return "dialable"
    order = list(REASONS)
    return min(codes, key=order.index)
