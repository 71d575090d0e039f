"""The agent's work on leads: claiming the next one, saving answers and notes, dispositions.

This is the only code that changes a lead's place in the queue. Every function
commits once at the end, or raises a domain error and leaves the database as it was.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from console.audit import services as audit
from console.calls import rules
from console.calls.models import Call, CallStatus, QualificationAnswer
from console.clock import utcnow
from console.extensions import db
from console.handoffs import services as handoffs
from console.leads.models import DoNotCallEntry, Lead, QueueState
from console.scoring import rules as scoring


from console.queue.services import CallError, NotYourCall  # noqa: E402  (shared domain errors)


class QualificationIncomplete(CallError):
    def __init__(self, score: scoring.Score):
        self.score = score
        parts = []
        if score.missing_required:
            parts.append("answer " + ", ".join(score.missing_required))
        if not score.meets_threshold:
            parts.append(f"score {score.points} is below the qualified threshold")
        super().__init__("Cannot qualify yet: " + "; ".join(parts) + ".")


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
