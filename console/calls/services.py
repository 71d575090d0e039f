"""The agent's work on leads: claiming the next one, saving answers and notes, dispositions.

This is the only code that changes a lead's place in the queue. Every function
commits once at the end, or raises a domain error and leaves the database as it was.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, false, or_, select, update

from console.audit import services as audit
from console.calls import rules
from console.calls.models import Call, CallStatus, QualificationAnswer
from console.campaigns.models import Campaign
from console.clock import utcnow
from console.extensions import db
from console.handoffs import services as handoffs
from console.leads.models import DoNotCallEntry, Lead, QueueState
from console.leads.rules import open_zone_keys
from console.scoring import rules as scoring


class CallError(Exception):
    """Something the agent asked for that cannot be done; the message says why."""


class NotYourCall(CallError):
    pass


class QualificationIncomplete(CallError):
    def __init__(self, score: scoring.Score):
        self.score = score
        parts = []
        if score.missing_required:
            parts.append("answer " + ", ".join(score.missing_required))
        if not score.meets_threshold:
            parts.append(f"score {score.points} is below the qualified threshold")
        super().__init__("Cannot qualify yet: " + "; ".join(parts) + ".")


@dataclass(frozen=True)
class ClaimResult:
    call: Call | None
    dialable_now: int = 0


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
    from sqlalchemy import func

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


def _own_open_call(call: Call, agent) -> None:
    if call.agent_id != agent.id:
        raise NotYourCall("This call belongs to another agent.")
    if call.status != CallStatus.OPEN:
        raise CallError("This call is already closed.")
    lead = call.lead
    if lead.claimed_by_id != agent.id or (lead.claim_expires_at and lead.claim_expires_at < utcnow()):
        raise CallError("Your hold on this lead lapsed; it went back to the queue. Press Next lead.")


def answers_for(lead: Lead) -> dict[str, QualificationAnswer]:
    return {answer.criterion: answer for answer in
            db.session.scalars(select(QualificationAnswer).where(QualificationAnswer.lead_id == lead.id))}


def score_lead(lead: Lead) -> scoring.Score:
    return scoring.score({key: answer.value for key, answer in answers_for(lead).items()})


def save_answer(call: Call, agent, criterion_key: str, value: str) -> scoring.Score:
    """Save one qualification answer and rescore the lead; an empty value clears the answer."""
    _own_open_call(call, agent)
    criterion = scoring.DEFAULT_MODEL.criterion(criterion_key)
    if criterion is None:
        raise CallError(f"Unknown qualification field {criterion_key!r}.")
    if value and criterion.option(value) is None:
        raise CallError(f"{value!r} is not an answer to {criterion.label}.")
    lead = call.lead
    answer = answers_for(lead).get(criterion_key)
    if not value:
        if answer is not None:
            db.session.delete(answer)
    elif answer is None:
        db.session.add(QualificationAnswer(lead_id=lead.id, criterion=criterion_key, value=value,
                                           call_id=call.id, answered_by_id=agent.id))
    else:
        answer.value, answer.call_id, answer.answered_by_id = value, call.id, agent.id
    db.session.flush()
    result = score_lead(lead)
    lead.score, lead.score_band = result.points, result.band
    lead.version += 1
    audit.record("lead.answer_saved", lead, actor=agent, criterion=criterion_key, value=value, call_id=call.id)
    db.session.commit()
    return result


def save_notes(call: Call, agent, notes: str) -> None:
    _own_open_call(call, agent)
    if notes != call.notes:
        call.notes = notes
        audit.record("call.notes_saved", call, actor=agent, lead_id=call.lead_id, length=len(notes))
    db.session.commit()


def callback_time_utc(local_value: datetime, lead: Lead) -> datetime:
    """A callback time typed in the lead's local time, as naive UTC."""
    zone = ZoneInfo(lead.zone_list[0]) if lead.zone_list else ZoneInfo("UTC")
    return local_value.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def record_disposition(call: Call, agent, code: str, *, notes: str | None = None,
                       callback_at: datetime | None = None, callback_anyone: bool = False):
    """Close the call with a disposition and move the lead on; returns the hand-off for *Qualified*."""
    _own_open_call(call, agent)
    disposition = rules.BY_CODE.get(code)
    if disposition is None:
        raise CallError(f"Unknown disposition {code!r}.")
    lead = call.lead
    now = utcnow()
    if disposition.next_action == rules.NextAction.CALLBACK:
        if callback_at is None:
            raise CallError("Call back needs a date and time.")
        if callback_at <= now:
            raise CallError("Call back time must be in the future.")
    score = score_lead(lead)
    if disposition.next_action == rules.NextAction.HANDOFF and not score.can_qualify:
        raise QualificationIncomplete(score)

    if notes is not None:
        call.notes = notes
    call.disposition, call.status, call.ended_at = code, CallStatus.COMPLETED, now
    call.callback_at = callback_at
    lead.attempts += 1
    lead.last_called_at = now
    lead.claimed_by_id = lead.claim_expires_at = None
    lead.version += 1
    lead.score, lead.score_band = score.points, score.band
    if disposition.stage:
        lead.stage = disposition.stage

    handoff = None
    action = disposition.next_action
    if action == rules.NextAction.RETRY_IN:
        if lead.attempts >= lead.campaign.max_attempts:
            lead.queue_state, lead.next_call_at = QueueState.CLOSED, None
        else:
            lead.queue_state = QueueState.RETRY
            lead.next_call_at = rules.next_call_time(disposition, now, None)
    elif action == rules.NextAction.CALLBACK:
        lead.queue_state, lead.next_call_at = QueueState.CALLBACK, callback_at
        lead.callback_owner_id = None if callback_anyone else agent.id
    else:
        lead.queue_state, lead.next_call_at = QueueState.CLOSED, None
    if action == rules.NextAction.HANDOFF:
        handoff = handoffs.create_handoff(lead, call, agent, score, answers_for(lead))
    if code == "do_not_call":
        db.session.add(DoNotCallEntry(phone=lead.phone, reason="Opted out on a call", added_by_id=agent.id,
                                      call_id=call.id))
        audit.record("lead.do_not_call", lead, actor=agent, phone=lead.phone, call_id=call.id)
    audit.record("call.dispositioned", call, actor=agent, lead_id=lead.id, disposition=code)
    db.session.commit()
    return handoff
