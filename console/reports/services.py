"""Read-only figures for marketing: each campaign's funnel down to revenue, its trends, breakdowns and agents.

Every figure is an aggregate statement (GROUP BY with conditional counts) over the range's UTC bounds
(console/reports/rules.py `utc_bounds`); no report loads calls or hand-offs into Python. The indexes they read by
are in console/reports/models.py. What each term means is in rules.GLOSSARY; the comment above each expression
names the rule it implements.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import aliased
from sqlalchemy import and_, case, func, literal, or_, select

from console.auth.models import User
from console.calls.models import Call, CallStatus
from console.campaigns.models import Campaign
from console.clock import utcnow
from console.compliance.rules import is_zone_name
from console.extensions import db
from console.handoffs.models import Handoff, HandoffStatus, Outcome, RejectionKind, SlaBreach
from console.handoffs.sla import Clock
from console.leads.models import Lead, LeadList, Touch
from console.reports import models as _indexes  # noqa: F401  (the indexes these statements read by)
from console.reports import rollups, rules
from console.reports.rules import Attribution, rate
from console.telephony.models import PhoneCall


@dataclass(frozen=True)
class ReportRange:
    """The local days [first, last] in `zone` (the viewer's), with their UTC bounds."""

    first: date
    last: date
    zone: str

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return rules.utc_bounds(self.first, self.last, self.zone)


def viewer_zone(user) -> str:
    """The zone a report is read in: the viewer's own (User.time_zone, as the hand-off packet reads it), else the
    console's default."""
    name = getattr(user, "time_zone", None)
    return rules.zone_or_default(name, bool(name) and is_zone_name(name))


# ---------------------------------------------------------------- figures

@dataclass
class ClockCompliance:
    clock: str
    applies: int = 0  # hand-offs this clock runs for
    breached: int = 0  # of those, with a breach recorded

    @property
    def label(self) -> str:
        return Clock.LABELS[self.clock]

    @property
    def side(self) -> str:
        return Clock.SIDES[self.clock]

    @property
    def compliance(self) -> float | None:
        return rate(self.applies - self.breached, self.applies)


@dataclass
class Figures:
    """One campaign's figures over a range (or the totals of several: `add`). Counts only; rates are properties."""

    campaign_id: int | None = None
    name: str = "All campaigns"
    budget_cents: int | None = None
    dials: int = 0
    connects: int = 0
    conversations: int = 0
    qualified: int = 0
    handed_over: int = 0
    accepted: int = 0
    rejected: int = 0
    rejected_by_kind: dict[str, int] = field(default_factory=lambda: {kind: 0 for kind in RejectionKind.LABELS})
    followed_up: int = 0  # hand-offs with a first contact recorded and no first-contact breach
    clocks: dict[str, ClockCompliance] = field(
        default_factory=lambda: {clock: ClockCompliance(clock) for clock in Clock.ALL})
    meetings: int = 0
    opportunities: int = 0
    won: int = 0  # the campaign's own hand-offs won (the funnel's last step)
    won_cents: int = 0
    attributed_won: int = 0  # won deals credited to the campaign by the chosen attribution
    attributed_won_cents: int = 0
    rated: int = 0
    rating_total: int = 0

    @property
    def connect_rate(self) -> float | None:
        return rate(self.connects, self.dials)

    @property
    def conversation_rate(self) -> float | None:
        return rate(self.conversations, self.dials)

    @property
    def qualification_rate(self) -> float | None:
        return rate(self.qualified, self.conversations)

    @property
    def acceptance_rate(self) -> float | None:
        return rate(self.accepted, self.handed_over)

    @property
    def follow_up_rate(self) -> float | None:
        return rate(self.followed_up, self.handed_over)

    @property
    def follow_up_verdict(self) -> str:
        return rules.follow_up_verdict(self.follow_up_rate)

    @property
    def average_rating(self) -> float | None:
        return rate(self.rating_total, self.rated)

    @property
    def cost_per_qualified_cents(self) -> int | None:
        return rules.per(self.budget_cents, self.qualified)

    @property
    def cost_per_won_cents(self) -> int | None:
        return rules.per(self.budget_cents, self.attributed_won)

    @property
    def funnel(self) -> list[tuple[str, int]]:
        return [("Dials", self.dials), ("Connects", self.connects), ("Conversations", self.conversations),
                ("Qualified", self.qualified), ("Accepted", self.accepted), ("Opportunity", self.opportunities),
                ("Won", self.won)]

    def add(self, other: Figures) -> None:
        """Add another campaign's counts to these (totals)."""
        for name in ("dials", "connects", "conversations", "qualified", "handed_over", "accepted", "rejected",
                     "followed_up", "meetings", "opportunities", "won", "won_cents", "attributed_won",
                     "attributed_won_cents", "rated", "rating_total"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, count in other.rejected_by_kind.items():
            self.rejected_by_kind[kind] = self.rejected_by_kind.get(kind, 0) + count
        for clock, reading in other.clocks.items():
            self.clocks[clock].applies += reading.applies
            self.clocks[clock].breached += reading.breached
        if other.budget_cents is not None:
            self.budget_cents = (self.budget_cents or 0) + other.budget_cents


# The SQL twins of rules.is_connect / is_conversation and of the qualified disposition.
def _line_answered():
    return select(PhoneCall.id).where(PhoneCall.call_id == Call.id, PhoneCall.answered_at.is_not(None)).exists()


def _count_if(condition):
    return func.count(case((condition, 1)))


def _call_counts():
    """dials, connects, conversations, qualified: the columns every call statement reports."""
    return (func.count(Call.id),
            _count_if(or_(Call.disposition.in_(rules.CONNECT_DISPOSITIONS), _line_answered())),
            _count_if(Call.disposition.in_(rules.CONVERSATION_DISPOSITIONS)),
            _count_if(Call.disposition == rules.QUALIFIED))


def _dialled(lo: datetime, hi: datetime):
    return (Call.status == CallStatus.COMPLETED, Call.started_at >= lo, Call.started_at < hi)


# Each hand-off's recorded breaches as one row of flags, joined once by the hand-off statement: one hash join over
# the breaches instead of a lookup per hand-off and clock (the side-by-side report reads every hand-off of a range).
_MISSED = (select(SlaBreach.handoff_id, *(func.max(case((SlaBreach.clock == clock, 1), else_=0)).label(clock)
                                          for clock in Clock.ALL))
           .group_by(SlaBreach.handoff_id).subquery("missed"))


def _breach(clock: str):
    """The hand-off recorded a breach of this clock (in a statement joined by `_with_breaches`)."""
    return func.coalesce(_MISSED.c[clock], 0) == 1


def _with_breaches(statement):
    return statement.outerjoin(_MISSED, _MISSED.c.handoff_id == Handoff.id)


# Which clocks run for a hand-off (handoffs/sla.py `clocks`), read from what the hand-off recorded: marketing's only
# for one that went through review; sales' once it was released; first contact not for one rejected uncontacted.
_CLOCK_APPLIES = {
    Clock.HANDOVER: or_(Handoff.reviewed_by_id.is_not(None), Handoff.status == HandoffStatus.REVIEW),
    Clock.ACCEPT: Handoff.released_at.is_not(None),
    Clock.FIRST_CONTACT: and_(Handoff.released_at.is_not(None),
                              or_(Handoff.status != HandoffStatus.REJECTED, Handoff.first_contact_at.is_not(None))),
}


def _handoff_counts():
    """The columns every hand-off statement reports, in `_HANDOFF_FIELDS`' order."""
    return (func.count(Handoff.id),
            _count_if(Handoff.status == HandoffStatus.ACCEPTED),
            _count_if(Handoff.status == HandoffStatus.REJECTED),
            *(_count_if(and_(Handoff.status == HandoffStatus.REJECTED, Handoff.rejection_kind == kind))
              for kind in RejectionKind.LABELS),
            _count_if(and_(Handoff.first_contact_at.is_not(None), ~_breach(Clock.FIRST_CONTACT))),
            *(column for clock in Clock.ALL
              for column in (_count_if(_CLOCK_APPLIES[clock]), _count_if(and_(_CLOCK_APPLIES[clock], _breach(clock))))),
            _count_if(Handoff.meeting_held_at.is_not(None)),
            _count_if(Handoff.opportunity_at.is_not(None)),
            _count_if(Handoff.outcome == Outcome.WON),
            func.coalesce(func.sum(case((Handoff.outcome == Outcome.WON, Handoff.won_cents))), 0),
            func.count(Handoff.rating),
            func.coalesce(func.sum(Handoff.rating), 0))


def _apply_handoff_counts(figures: Figures, values) -> None:
    values = list(values)
    figures.handed_over, figures.accepted, figures.rejected = values[:3]
    position = 3
    for kind in RejectionKind.LABELS:
        figures.rejected_by_kind[kind] = values[position]
        position += 1
    figures.followed_up = values[position]
    position += 1
    for clock in Clock.ALL:
        figures.clocks[clock].applies, figures.clocks[clock].breached = values[position:position + 2]
        position += 2
    (figures.meetings, figures.opportunities, figures.won, figures.won_cents, figures.rated,
     figures.rating_total) = (int(value or 0) for value in values[position:position + 6])


def _handed_over(lo: datetime, hi: datetime):
    return (Handoff.created_at >= lo, Handoff.created_at < hi)


def _attributed_wins(lo: datetime, hi: datetime, model: str,
                     campaign_ids: list[int] | None) -> dict[int, tuple[int, int]]:
    """{campaign id: (won deals, won cents)} credited by rules.attributed_campaign: every candidate touch of each
    won hand-off of the range (the lead's creation in its own campaign, order 0; each touch with a campaign up to
    the win, ordered by its id), ranked by a window function, the first row kept."""
    won = (Handoff.outcome == Outcome.WON, *_handed_over(lo, hi))
    if campaign_ids is not None:  # only the wins these campaigns could be credited for: their own leads, or touched
        own, touch = aliased(Lead), aliased(Touch)  # not the candidates' own Lead and Touch
        won = (*won, or_(
            select(own.id).where(own.id == Handoff.lead_id, own.campaign_id.in_(campaign_ids)).exists(),
            select(touch.id).where(touch.lead_id == Handoff.lead_id, touch.campaign_id.in_(campaign_ids)).exists()))
    creation = (select(Handoff.id.label("handoff_id"), Handoff.won_cents.label("won_cents"),
                       Lead.campaign_id.label("campaign_id"), Lead.created_at.label("at"), literal(0).label("ord"))
                .join(Lead, Lead.id == Handoff.lead_id).where(*won))
    touched = (select(Handoff.id, Handoff.won_cents, Touch.campaign_id, Touch.occurred_at, Touch.id + 1)
               .join(Touch, Touch.lead_id == Handoff.lead_id)
               .where(*won, Touch.campaign_id.is_not(None), Touch.occurred_at <= Handoff.outcome_at))
    candidates = creation.union_all(touched).subquery()
    order = (candidates.c.at, candidates.c.ord) if model == Attribution.FIRST else (
        candidates.c.at.desc(), candidates.c.ord.desc())
    ranked = select(candidates.c.campaign_id, candidates.c.won_cents, func.row_number().over(
        partition_by=candidates.c.handoff_id, order_by=order).label("place")).subquery()
    query = (select(ranked.c.campaign_id, func.count(), func.coalesce(func.sum(ranked.c.won_cents), 0))
             .where(ranked.c.place == 1).group_by(ranked.c.campaign_id))
    if campaign_ids is not None:
        query = query.where(ranked.c.campaign_id.in_(campaign_ids))
    return {campaign_id: (count, int(cents)) for campaign_id, count, cents in db.session.execute(query)}


def _figures(campaigns: list[Campaign], period: ReportRange, attribution: str,
             only_these: bool) -> dict[int, Figures]:
    """Each campaign's figures in three statements (calls, hand-offs, attributed wins), grouped by campaign."""
    lo, hi = period.bounds
    ids = [campaign.id for campaign in campaigns]
    result = {campaign.id: Figures(campaign.id, campaign.name, campaign.budget_cents) for campaign in campaigns}
    handoffs = _with_breaches(select(Handoff.campaign_id, *_handoff_counts()).select_from(Handoff)).where(
        *_handed_over(lo, hi)).group_by(Handoff.campaign_id)
    if only_these:
        handoffs = handoffs.where(Handoff.campaign_id.in_(ids))
    # The calls' counts: hourly rollups for whole hours the worker has counted, the raw rows for the rest.
    calls = rollups.campaign_calls(lo, hi, ids if only_these else None)
    for campaign_id, (dials, connects, conversations, qualified) in calls.items():
        if campaign_id in result:
            figures = result[campaign_id]
            figures.dials, figures.connects, figures.conversations, figures.qualified = (
                dials, connects, conversations, qualified)
    for campaign_id, *values in db.session.execute(handoffs):
        if campaign_id in result:
            _apply_handoff_counts(result[campaign_id], values)
    for campaign_id, (count, cents) in _attributed_wins(lo, hi, attribution, ids if only_these else None).items():
        if campaign_id in result:
            result[campaign_id].attributed_won, result[campaign_id].attributed_won_cents = count, cents
    return result


def campaign_report(campaign: Campaign, first: date, last: date, zone: str,
                    attribution: str = Attribution.FIRST) -> Figures:
    """One campaign's figures over the local days [first, last] in `zone` (the page's and the JSON API's)."""
    return _figures([campaign], ReportRange(first, last, zone), attribution, only_these=True)[campaign.id]


@dataclass
class SideBySide:
    rows: list[Figures]
    totals: Figures


def all_campaigns_report(first: date, last: date, zone: str, attribution: str = Attribution.FIRST) -> SideBySide:
    """Every campaign's figures over the range side by side (highest priority first), with their totals."""
    campaigns = list(db.session.scalars(select(Campaign).order_by(Campaign.priority.desc(), Campaign.name)))
    by_id = _figures(campaigns, ReportRange(first, last, zone), attribution, only_these=False)
    rows = [by_id[campaign.id] for campaign in campaigns]
    totals = Figures()
    for row in rows:
        totals.add(row)
    return SideBySide(rows, totals)


# ---------------------------------------------------------------- trends

@dataclass(frozen=True)
class TrendPoint:
    period: rules.Period
    dials: int
    connects: int
    conversations: int
    qualified: int
    handed_over: int
    accepted: int
    won: int


def _period_of(column, periods: list[rules.Period]):
    """The index of the period a time falls in: a CASE over the periods' upper bounds (they are in order)."""
    return case(*((column < period.hi, index) for index, period in enumerate(periods)), else_=len(periods))


def trend(campaign: Campaign, first: date, last: date, zone: str, grouping: str) -> list[TrendPoint]:
    """Per day or week (rules.periods) in the viewer's zone: dials, connects, conversations, qualified (calls) and
    hand-offs made, accepted, won. Two statements, each grouped by a CASE over the periods' bounds."""
    periods = rules.periods(first, last, zone, grouping)
    lo, hi = periods[0].lo, periods[-1].hi
    # The calls' counts from the hourly rollups where they answer exactly (rollups.py), else from the calls.
    calls = rollups.campaign_calls_by_period(campaign.id, periods, lambda column: _period_of(column, periods))
    if calls is None:
        call_period = _period_of(Call.started_at, periods).label("period")
        calls = {row[0]: row[1:] for row in db.session.execute(
            select(call_period, *_call_counts()).where(Call.campaign_id == campaign.id, *_dialled(lo, hi))
            .group_by(call_period))}
    handoff_period = _period_of(Handoff.created_at, periods).label("period")
    handoffs = {row[0]: row[1:] for row in db.session.execute(
        select(handoff_period, func.count(Handoff.id), _count_if(Handoff.status == HandoffStatus.ACCEPTED),
               _count_if(Handoff.outcome == Outcome.WON))
        .where(Handoff.campaign_id == campaign.id, *_handed_over(lo, hi)).group_by(handoff_period))}
    return [TrendPoint(period, *calls.get(index, (0, 0, 0, 0)), *handoffs.get(index, (0, 0, 0)))
            for index, period in enumerate(periods)]


# ---------------------------------------------------------------- breakdowns

class Breakdown:
    AGENT = "agent"
    SOURCE = "source"
    LIST = "list"
    BAND = "band"
    PERSONA = "persona"
    LABELS = {AGENT: "Agent", SOURCE: "Lead source", LIST: "Imported list", BAND: "Score band",
              PERSONA: "Persona (buying role)"}


@dataclass(frozen=True)
class BreakdownRow:
    label: str
    dials: int
    connects: int
    conversations: int
    qualified: int
    handed_over: int
    accepted: int
    won: int
    won_cents: int

    @property
    def connect_rate(self) -> float | None:
        return rate(self.connects, self.dials)

    @property
    def qualification_rate(self) -> float | None:
        return rate(self.qualified, self.conversations)

    @property
    def acceptance_rate(self) -> float | None:
        return rate(self.accepted, self.handed_over)


def breakdown(campaign: Campaign, first: date, last: date, zone: str, by: str) -> list[BreakdownRow]:
    """The campaign's calls and hand-offs of the range grouped by agent (who made the call, who qualified the
    hand-off), or by the lead's source, imported list, score band (the lead's band now) or persona (buying role):
    two statements, then the names of the groups."""
    lo, hi = ReportRange(first, last, zone).bounds
    if by == Breakdown.AGENT:
        call_key, handoff_key, joined = Call.agent_id, Handoff.qualified_by_id, False
    else:
        column = {Breakdown.SOURCE: Lead.source, Breakdown.LIST: Lead.lead_list_id, Breakdown.BAND: Lead.score_band,
                  Breakdown.PERSONA: Lead.buying_role}[by]
        call_key = handoff_key = column
        joined = True
    calls = select(call_key, *_call_counts()).where(Call.campaign_id == campaign.id, *_dialled(lo, hi))
    handoffs = select(handoff_key, func.count(Handoff.id), _count_if(Handoff.status == HandoffStatus.ACCEPTED),
                      _count_if(Handoff.outcome == Outcome.WON),
                      func.coalesce(func.sum(case((Handoff.outcome == Outcome.WON, Handoff.won_cents))), 0)).where(
        Handoff.campaign_id == campaign.id, *_handed_over(lo, hi))
    if joined:
        calls = calls.join(Lead, Lead.id == Call.lead_id)
        handoffs = handoffs.join(Lead, Lead.id == Handoff.lead_id)
    by_key_calls = {row[0]: tuple(row[1:]) for row in db.session.execute(calls.group_by(call_key))}
    by_key_handoffs = {row[0]: tuple(row[1:]) for row in db.session.execute(handoffs.group_by(handoff_key))}
    keys = set(by_key_calls) | set(by_key_handoffs)
    names = _group_names(by, [key for key in keys if key is not None])
    rows = [BreakdownRow(names.get(key, str(key)) if key is not None else "(none)",
                         *by_key_calls.get(key, (0, 0, 0, 0)),
                         *(int(value) for value in by_key_handoffs.get(key, (0, 0, 0, 0))))
            for key in keys]
    return sorted(rows, key=lambda row: (-row.dials, -row.handed_over, row.label))


def _group_names(by: str, keys: list) -> dict:
    if by == Breakdown.AGENT and keys:
        return dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(keys))).all())
    if by == Breakdown.LIST and keys:
        return dict(db.session.execute(select(LeadList.id, LeadList.file_name).where(LeadList.id.in_(keys))).all())
    return {key: str(key) for key in keys}


# ---------------------------------------------------------------- the agent view

@dataclass(frozen=True)
class AgentRow:
    agent_id: int
    name: str
    dials: int
    connects: int
    conversations: int
    qualified: int
    logged_seconds: int  # from each claim to its disposition, plus the wait before it (seconds between calls)
    talk_seconds: int  # the lead legs' reported durations (telephony's CallDuration)
    gaps: int  # calls with a previous call before them (not the first after a break)
    gap_seconds: int
    handed_over: int
    accepted: int
    rejected: int
    rated: int
    rating_total: int

    @property
    def calls_per_hour(self) -> float | None:
        return rate(self.dials * 3600, self.logged_seconds)

    @property
    def seconds_between_calls(self) -> float | None:
        return rate(self.gap_seconds, self.gaps)

    @property
    def connect_rate(self) -> float | None:
        return rate(self.connects, self.dials)

    @property
    def qualification_rate(self) -> float | None:
        return rate(self.qualified, self.conversations)

    @property
    def acceptance_rate(self) -> float | None:
        return rate(self.accepted, self.handed_over)

    @property
    def rejection_rate(self) -> float | None:
        return rate(self.rejected, self.handed_over)

    @property
    def average_rating(self) -> float | None:
        return rate(self.rating_total, self.rated)


def _seconds_between(start, end):
    """end − start in seconds, in each database's own date arithmetic."""
    if db.session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def _agent_calls_in(campaign_id: int, lo: datetime, hi: datetime) -> tuple[dict, dict]:
    """One campaign's calls of [lo, hi) grouped by agent, and their lines' talk time (two statements over the
    campaign's own calls, by ix_calls_campaign_started)."""
    in_campaign = (Call.campaign_id == campaign_id,)
    calls = {row[0]: row[1:] for row in db.session.execute(
        select(Call.agent_id, *_call_counts(),
               func.coalesce(func.sum(_seconds_between(Call.started_at, Call.ended_at)), 0),
               func.count(Call.seconds_since_previous_call),
               func.coalesce(func.sum(Call.seconds_since_previous_call), 0))
        .where(*_dialled(lo, hi), *in_campaign).group_by(Call.agent_id))}
    talk = dict(db.session.execute(
        select(Call.agent_id, func.coalesce(func.sum(PhoneCall.duration_seconds), 0))
        .join(PhoneCall, PhoneCall.call_id == Call.id).where(*_dialled(lo, hi), *in_campaign)
        .group_by(Call.agent_id)).all())
    return calls, talk


def agent_view(first: date, last: date, zone: str, campaign_id: int | None = None) -> list[AgentRow]:
    """Every agent who called in the range (in one campaign, or all): three statements grouped by agent (their
    calls, their lines' talk time, the hand-offs they qualified), then their names."""
    lo, hi = ReportRange(first, last, zone).bounds
    if campaign_id is None:  # every campaign: hourly rollups where the worker has counted, raw rows elsewhere
        sums = rollups.agent_calls(lo, hi)
        calls = {agent_id: tuple(values[name] for name in rollups.AGENT_SUMS[:-1]) for agent_id, values in sums.items()}
        talk = {agent_id: values["talk_seconds"] for agent_id, values in sums.items()}
    else:
        calls, talk = _agent_calls_in(campaign_id, lo, hi)
    handoff_scope = (Handoff.campaign_id == campaign_id,) if campaign_id is not None else ()
    handoffs = {row[0]: row[1:] for row in db.session.execute(
        select(Handoff.qualified_by_id, func.count(Handoff.id), _count_if(Handoff.status == HandoffStatus.ACCEPTED),
               _count_if(Handoff.status == HandoffStatus.REJECTED), func.count(Handoff.rating),
               func.coalesce(func.sum(Handoff.rating), 0))
        .where(*_handed_over(lo, hi), *handoff_scope).group_by(Handoff.qualified_by_id))}
    agent_ids = set(calls) | set(handoffs)
    names = _group_names(Breakdown.AGENT, list(agent_ids))
    rows = []
    for agent_id in agent_ids:
        dials, connects, conversations, qualified, call_seconds, gaps, gap_seconds = calls.get(
            agent_id, (0, 0, 0, 0, 0, 0, 0))
        rows.append(AgentRow(agent_id, names.get(agent_id, f"User {agent_id}"), dials, connects, conversations,
                             qualified, round(float(call_seconds)) + int(gap_seconds), int(talk.get(agent_id, 0)),
                             gaps, int(gap_seconds),
                             *(int(value) for value in handoffs.get(agent_id, (0, 0, 0, 0, 0)))))
    return sorted(rows, key=lambda row: (row.name.lower(), row.agent_id))


def campaign_choices() -> list[tuple[int, str]]:
    """Every campaign as (id, name), for the agent view's campaign filter."""
    return list(db.session.execute(select(Campaign.id, Campaign.name).order_by(Campaign.name)).all())



# ---------------------------------------------------------------- the pages

def today_in(zone: str) -> date:
    """The viewer's today (presets end on it)."""
    return utcnow().replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()


@dataclass(frozen=True)
class CampaignPage:
    range: ReportRange
    figures: Figures
    trend: list[TrendPoint]
    breakdown_by: str
    breakdown: list[BreakdownRow]


def campaign_page(campaign: Campaign, first: date, last: date, zone: str, *, grouping: str, attribution: str,
                  by: str) -> CampaignPage:
    """What the campaign's report page shows: its figures, its trend and the breakdown chosen."""
    return CampaignPage(ReportRange(first, last, zone), campaign_report(campaign, first, last, zone, attribution),
                        trend(campaign, first, last, zone, grouping), by, breakdown(campaign, first, last, zone, by))
