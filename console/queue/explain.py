"""What is dialable now and why not: counts and explanations for agents and marketing, and the dial guard.

Every answer comes from the one dialability rule (console/queue/rules.py): a single
lead is judged by rules.problems on its facts; a campaign's leads are counted in
one grouped pass whose every group is judged by the rules through their SQL twins
(console/queue/statements.py), so the pages, the claim and the dial guard agree.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select

from console.calls.errors import NotDialable, NotYourCall
from console.calls.models import Call
from console.campaigns.models import Campaign
from console.clock import utcnow
from console.compliance import rules as law
from console.compliance import services as do_not_call_list
from console.extensions import db
from console.leads.models import Lead
from console.leads.queue_columns import TIER_LABELS, LeadState, queue_tier
from console.queue import rules, statements
from console.queue.plan import claim_plan

# Counting past this many is never needed: "1,000+" says all an agent needs.
NO_CAP = 2 ** 62


def count_dialable(agent, now: datetime | None = None, limit: int | None = None) -> int:
    """How many leads this agent could be given now (stops counting at `limit` when given)."""
    now = now or utcnow()
    plan = claim_plan(now)
    if not plan.open_campaigns:
        return 0
    dialect = db.session.get_bind().dialect.name
    return db.session.scalar(statements.statement("count_dialable", dialect), {
        "keys": plan.keys_parameter(dialect), "now": now, "agent_id": agent.id, "cap": limit or NO_CAP}) or 0


def _facts_checked_against_list(lead: Lead) -> LeadState:
    facts = lead.queue_facts()
    if not facts.do_not_call and do_not_call_list.is_listed(lead.phone, lead.campaign_id):
        facts = replace(facts, do_not_call=True)
    return facts


def dialability_problems(lead: Lead, agent, now: datetime | None = None) -> list[str]:
    """Every reason this agent may not dial this lead right now (empty: dialable)."""
    now = now or utcnow()
    found = rules.problems(_facts_checked_against_list(lead), lead.campaign.calling_rules(), now,
                           agent_id=agent.id, for_dialing=True)
    return [problem.text for problem in found]


def assert_dialable(call: Call, agent, now: datetime | None = None) -> None:
    """Raise NotDialable unless the agent may place this call now. Called again at dial time by telephony."""
    if call.agent_id != agent.id:
        raise NotYourCall("This call belongs to another agent.")
    problems = dialability_problems(call.lead, agent, now)
    if problems:
        raise NotDialable("Cannot dial: " + "; ".join(problems) + ".")


@dataclass
class LeadDialability:
    """Why a lead is or is not dialable now, for the explanation page and fragment."""

    lead: Lead
    now: datetime
    problems: list[rules.Problem]
    window: law.WindowCheck
    opens_at: datetime | None
    opens_text: str
    state_rule: law.StateRule | None
    hours: law.CallingHours
    tier_label: str
    local_times: list[tuple[str, str]] = field(default_factory=list)  # (zone, "Tue 14:05")

    @property
    def dialable(self) -> bool:
        return not self.problems

    @property
    def calling_days_text(self) -> str:
        return law.format_calling_days(self.hours.days)

    @property
    def summary(self) -> str:
        if self.dialable:
            return "Dialable now."
        return "Not dialable now: " + "; ".join(problem.text for problem in self.problems) + "."


def explain_lead(lead: Lead, viewer=None, now: datetime | None = None) -> LeadDialability:
    """Why this lead is or is not dialable now, from the point of view of `viewer` (an agent, or anyone)."""
    now = now or utcnow()
    campaign_rules = lead.campaign.calling_rules()
    facts = _facts_checked_against_list(lead)
    agent_id = viewer.id if viewer is not None and viewer.role == "teleprospector" else None
    found = rules.problems(facts, campaign_rules, now, agent_id=agent_id)
    window = law.calling_window(lead.zone_list, lead.state, now, campaign_rules.hours)
    opens_at = None if window.open else law.next_opening(lead.zone_list, lead.state, now, campaign_rules.hours)
    tier = queue_tier(lead.queue_state, lead.inbound, lead.callback_owner_id)
    return LeadDialability(
        lead=lead, now=now, problems=found, window=window, opens_at=opens_at,
        opens_text=law.describe_opening(opens_at, lead.zone_list, now) if not window.open else "",
        state_rule=law.state_rules().get((lead.state or "").upper()), hours=campaign_rules.hours,
        tier_label=TIER_LABELS.get(tier, "not in the queue") if tier is not None else "not in the queue",
        local_times=law.local_times(lead.zone_list, now),
    )


@dataclass
class ReasonCount:
    code: str
    label: str
    count: int
    details: list[str] = field(default_factory=list)


@dataclass
class CampaignDialability:
    """'N of M leads dialable now' for a campaign, with the breakdown by reason."""

    campaign: Campaign
    now: datetime
    total: int
    dialable: int
    reasons: list[ReasonCount]
    window_openings: list[tuple[str, int]]  # ("08:00 Central", leads that wait for it)
    next_retry_at: datetime | None
    not_running: rules.Problem | None = None  # why the campaign serves no lead now ("campaign X is paused")

    @property
    def max_count(self) -> int:
        return max((reason.count for reason in self.reasons), default=0)

    @property
    def blocked(self) -> list[ReasonCount]:
        return [reason for reason in self.reasons if reason.code not in ("dialable", "closed") and reason.count]


def campaign_dialability(campaign: Campaign, now: datetime | None = None, agent=None) -> CampaignDialability:
    """Count a campaign's leads by the one reason each is not dialable now (or as dialable).

    One grouped pass over the campaign's leads, grouped by window key and by which
    rules' SQL twins hold; every group is judged as the claim judges its leads: the
    campaign's own rule, the rules decided per window key, the row rules that fail.
    """
    now = now or utcnow()
    campaign_rules = campaign.calling_rules()
    agent_id = agent.id if agent is not None else None
    rows = db.session.execute(statements.grouped_leads(), {
        "campaign_id": campaign.id, "max_attempts": campaign_rules.max_attempts, "now": now,
        "spaced_before": now - timedelta(minutes=campaign_rules.min_retry_minutes), "agent_id": agent_id}).all()
    paused = rules.campaign_running(campaign_rules, now.date())
    row_codes = [twin.code for twin in statements.TWINS if twin.decided == statements.ROW]
    counts = {code: 0 for code in rules.REASONS if code != "not_claimed"}
    openings: dict[str, int] = {}
    key_memo: dict[str, tuple[list[str], str]] = {}  # window key → (its problems' codes, when it opens)
    next_retry_at = None
    for row in rows:
        if row.window_key not in key_memo:
            zones, state = law.split_window_key(row.window_key)
            found = rules.key_problems(zones, state, campaign_rules, now)
            opens = law.describe_opening(law.next_opening(zones, state, now, campaign_rules.hours), zones, now) \
                if any(problem.code == "window" for problem in found) else ""
            key_memo[row.window_key] = ([problem.code for problem in found], opens)
        key_codes, opens = key_memo[row.window_key]
        codes = ([paused.code] if paused else []) + [code for code in row_codes if not getattr(row, code)] + key_codes
        reason = rules.primary_reason(codes)
        counts[reason] += row.leads
        if reason == "window":
            openings[opens] = openings.get(opens, 0) + row.leads
        if reason in ("waiting_retry", "waiting_callback") and row.next_due is not None:
            next_due = row.next_due if isinstance(row.next_due, datetime) else datetime.fromisoformat(str(row.next_due))
            next_retry_at = next_due if next_retry_at is None else min(next_retry_at, next_due)
    reasons = [ReasonCount(code, rules.REASONS[code], count) for code, count in counts.items()]
    for reason in reasons:
        if reason.code == "window":
            reason.details = [f"{count} open at {when}" for when, count in
                              sorted(openings.items(), key=lambda item: -item[1])]
        elif reason.code == "campaign_paused" and paused:
            reason.details = [paused.text]
    return CampaignDialability(
        campaign=campaign, now=now, total=sum(counts.values()), dialable=counts["dialable"],
        reasons=[reason for reason in reasons if reason.count or reason.code == "dialable"],
        window_openings=sorted(openings.items(), key=lambda item: -item[1]), next_retry_at=next_retry_at,
        not_running=paused)


@dataclass
class QueueExplanation:
    """Why an agent's queue is empty, in a few sentences with numbers."""

    sentences: list[str]
    campaigns: list[CampaignDialability]


# The empty queue names at most this many campaigns that are not running.
NAMED_STOPPED = 4


def explain_empty_queue(agent, now: datetime | None = None) -> QueueExplanation:
    """What the leads of the running campaigns are waiting for, most common reason first, then which campaigns are
    not running and why (paused, ended, not started yet), in the rule's words."""
    now = now or utcnow()
    campaigns = db.session.scalars(select(Campaign).where(Campaign.ended_at.is_(None), Campaign.archived_at.is_(None))
                                   .order_by(Campaign.priority.desc(), Campaign.name)).all()
    if not campaigns:
        return QueueExplanation(["No campaign is active: marketing has not started one yet."], [])
    running, stopped = [], []
    for campaign in campaigns:
        problem = rules.campaign_running(campaign.calling_rules(), now.date())
        if problem is None:
            running.append(campaign)
        else:
            stopped.append(problem.text)
    breakdowns = [campaign_dialability(campaign, now, agent) for campaign in running]
    totals: dict[str, int] = {}
    openings: dict[str, int] = {}
    next_due = None
    for breakdown in breakdowns:
        for reason in breakdown.reasons:
            totals[reason.code] = totals.get(reason.code, 0) + reason.count
        for when, count in breakdown.window_openings:
            openings[when] = openings.get(when, 0) + count
        if breakdown.next_retry_at is not None:
            next_due = breakdown.next_retry_at if next_due is None else min(next_due, breakdown.next_retry_at)
    sentences = []
    for code, count in sorted(totals.items(), key=lambda item: -item[1]):
        if not count or code in ("dialable", "closed"):
            continue
        sentences.append(_sentence(code, count, openings, next_due))
    if running and not sentences:
        finished = totals.get("closed", 0)
        sentences.append(f"All {finished} lead{'s' if finished != 1 else ''} of the running campaigns are finished."
                         if finished else "The running campaigns have no leads yet.")
    sentences = sentences[:5 if not stopped else 4]
    if stopped:
        named = "; ".join(stopped[:NAMED_STOPPED]) + (f"; and {len(stopped) - NAMED_STOPPED} more"
                                                      if len(stopped) > NAMED_STOPPED else "")
        sentences.append(f"No campaign is running: {named}." if not running else f"Not running: {named}.")
    return QueueExplanation(sentences, breakdowns)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _sentence(code: str, count: int, openings: dict[str, int], next_due: datetime | None) -> str:
    leads = _plural(count, "lead", "leads")
    if code == "window":
        top = sorted(openings.items(), key=lambda item: -item[1])
        if top:
            first_when, first_count = top[0]
            text_ = (f"{_plural(first_count, 'lead waits', 'leads wait')} for the calling window to open "
                     f"at {first_when}")
            if len(top) > 1:
                text_ += f"; {count - first_count} more at other times"
            return text_ + "."
        return f"{leads} are outside their calling window."
    if code in ("waiting_retry", "waiting_callback"):
        what = "retry delay" if code == "waiting_retry" else "callback time"
        when = f"; the next is due at {next_due:%H:%M} UTC" if next_due else ""
        return f"{_plural(count, 'lead waits', 'leads wait')} for its {what}{when}." if count == 1 else \
            f"{leads} wait for their {what}{when}."
    return {
        "held": f"{_plural(count, 'lead is', 'leads are')} held by other agents.",
        "do_not_call": f"{_plural(count, 'lead is', 'leads are')} on the do-not-call list.",
        "attempts": f"{_plural(count, 'lead has', 'leads have')} used up the campaign's attempts.",
        "zone_unknown": f"{_plural(count, 'lead has', 'leads have')} no known time zone: set the state to call.",
        "state_not_served": f"{_plural(count, 'lead is', 'leads are')} in states their campaign does not serve.",
        "spacing": f"{_plural(count, 'lead was', 'leads were')} called too recently (campaign retry spacing).",
        "callback_owner": f"{_plural(count, 'callback is', 'callbacks are')} reserved for other agents.",
        "campaign_paused": f"{leads} belong to campaigns that are not running.",
    }.get(code, f"{leads}: {rules.REASONS.get(code, code)}.")
