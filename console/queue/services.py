"""Claiming leads: the only code that hands a lead to an agent, and says what is dialable now."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, false, func, or_, select, update

from console.audit import services as audit
from console.calls.models import Call, CallStatus
from console.campaigns.models import Campaign
from console.clock import utcnow
from console.extensions import db
from console.leads.models import DoNotCallEntry, Lead, QueueState
from console.leads.rules import open_zone_keys


class CallError(Exception):
    """Something the agent asked for that cannot be done; the message says why."""


class NotYourCall(CallError):
    pass


def _dialable_condition(now: datetime, agent_id: int):
    """SQL condition for leads that may be called right now by this agent.

    The calling window is a rule about local clocks, which SQL cannot evaluate
    portably; instead we ask Python which of the (few) distinct zone sets are open
    now for each campaign and filter on those.
    """
    campaigns = db.session.scalars(select(Campaign).where(Campaign.active.is_(True))).all()
    zone_rows = db.session.execute(
        select(Lead.campaign_id, Lead.time_zones)
        .where(Lead.queue_state.in_(QueueState.WORKABLE))
        .distinct()
    ).all()
    zones_by_campaign: dict[int, set[str]] = {}
    for campaign_id, zones in zone_rows:
        zones_by_campaign.setdefault(campaign_id, set()).add(zones)
    per_campaign = []
    for campaign in campaigns:
        open_keys = open_zone_keys(zones_by_campaign.get(campaign.id, set()), now,
                                   campaign.calling_start, campaign.calling_end)
        if open_keys:
            per_campaign.append(and_(Lead.campaign_id == campaign.id, Lead.time_zones.in_(open_keys),
                                     Lead.attempts < campaign.max_attempts))
    on_do_not_call = (
        select(DoNotCallEntry.id)
        .where(DoNotCallEntry.phone == Lead.phone,
               or_(DoNotCallEntry.campaign_id.is_(None), DoNotCallEntry.campaign_id == Lead.campaign_id))
        .exists()
    )
    return and_(
        or_(*per_campaign) if per_campaign else false(),
        Lead.queue_state.in_(QueueState.WORKABLE),
        or_(Lead.next_call_at.is_(None), Lead.next_call_at <= now),
        or_(Lead.queue_state != QueueState.CALLBACK, Lead.callback_owner_id.is_(None),
            Lead.callback_owner_id == agent_id),
        or_(Lead.claimed_by_id.is_(None), Lead.claim_expires_at < now),
        ~on_do_not_call,
    )


def _queue_order(agent_id: int):
    """Due callbacks (mine, then anyone's) → fresh inbound → due retries → new; then priority, score, age."""
    tier = case(
        (and_(Lead.queue_state == QueueState.CALLBACK, Lead.callback_owner_id == agent_id), 0),
        (Lead.queue_state == QueueState.CALLBACK, 1),
        (and_(Lead.queue_state == QueueState.NEW, Lead.inbound.is_(True)), 2),
        (Lead.queue_state == QueueState.RETRY, 3),
        else_=4,
    )
    priority = select(Campaign.priority).where(Campaign.id == Lead.campaign_id).scalar_subquery()
    return (tier, priority.desc(), Lead.score.desc().nulls_last(), Lead.created_at, Lead.id)


def current_call(agent) -> Call | None:
    """The open call on the lead this agent holds, if the claim has not lapsed."""
    return db.session.scalar(
        select(Call)
        .join(Lead, Lead.id == Call.lead_id)
        .where(Call.agent_id == agent.id, Call.status == CallStatus.OPEN,
               Lead.claimed_by_id == agent.id, Lead.claim_expires_at >= utcnow())
        .order_by(Call.id.desc())
        .limit(1)
    )


def count_dialable(agent) -> int:
    return db.session.scalar(select(func.count(Lead.id)).where(_dialable_condition(utcnow(), agent.id)))


def claim_next_lead(agent) -> Call | None:
    """Give the agent exactly one lead nobody else holds, and open a call on it.

    An agent holds at most one lead: asking again returns the same call. The
    claim is one UPDATE whose WHERE re-checks that the lead is free, so two
    agents can never both win it (SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite).
    """
    existing = current_call(agent)
    if existing is not None:
        return existing
    db.session.commit()  # end any read transaction so the claim starts its own (IMMEDIATE on SQLite)
    db.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})

    now = utcnow()
    lease = timedelta(minutes=current_app.config["CLAIM_LEASE_MINUTES"])
    candidate = select(Lead.id).where(_dialable_condition(now, agent.id)).order_by(*_queue_order(agent.id)).limit(1)
    if db.session.get_bind().dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True, of=Lead)
    lead_id = db.session.scalar(
        update(Lead)
        .where(Lead.id == candidate.scalar_subquery())
        .where(or_(Lead.claimed_by_id.is_(None), Lead.claim_expires_at < now))
        .values(claimed_by_id=agent.id, claim_expires_at=now + lease, version=Lead.version + 1)
        .returning(Lead.id)
        .execution_options(synchronize_session=False)
    )
    if lead_id is None:
        db.session.commit()
        return None

    lead = db.session.get(Lead, lead_id, populate_existing=True)
    # A previous holder whose lease lapsed leaves an open call behind: close it honestly.
    db.session.execute(
        update(Call).where(Call.lead_id == lead_id, Call.status == CallStatus.OPEN)
        .values(status=CallStatus.ABANDONED, ended_at=now)
    )
    guide = lead.campaign.call_guide
    call = Call(lead=lead, campaign_id=lead.campaign_id, agent=agent, started_at=now,
                guide_version_id=guide.published_version_id if guide else None)
    db.session.add(call)
    db.session.flush()
    audit.record("lead.claimed", lead, actor=agent, call_id=call.id)
    db.session.commit()
    return call


class NotDialable(CallError):
    """The lead may not be called now; the message says why."""


def dialability_problems(lead: Lead, agent, now: datetime | None = None) -> list[str]:
    """Every reason this agent may not dial this lead right now (empty: dialable)."""
    from console.leads.rules import check_calling_window

    now = now or utcnow()
    campaign = lead.campaign
    problems = []
    if lead.claimed_by_id != agent.id or (lead.claim_expires_at and lead.claim_expires_at < now):
        problems.append("not claimed by you: press Next lead to get a lead")
    on_list = db.session.scalar(
        select(DoNotCallEntry.id).where(
            DoNotCallEntry.phone == lead.phone,
            or_(DoNotCallEntry.campaign_id.is_(None), DoNotCallEntry.campaign_id == lead.campaign_id),
        ).limit(1)
    )
    if on_list is not None:
        problems.append("on the do-not-call list")
    window = check_calling_window(lead.zone_list, now, campaign.calling_start, campaign.calling_end)
    if not window.open:
        problems.append(window.reason)
    if lead.attempts >= campaign.max_attempts:
        problems.append(f"attempts used up ({lead.attempts} of {campaign.max_attempts})")
    return problems


def assert_dialable(call: Call, agent, now: datetime | None = None) -> None:
    """Raise NotDialable unless the agent may place this call now. Called again at dial time by telephony."""
    if call.agent_id != agent.id:
        raise NotYourCall("This call belongs to another agent.")
    problems = dialability_problems(call.lead, agent, now)
    if problems:
        raise NotDialable("Cannot dial: " + "; ".join(problems) + ".")
