"""Rows for the report tests, written as they are (times, statuses, breaches), not through the services: a report
reads what was recorded, so its tests record exactly what they count."""
from __future__ import annotations

from datetime import datetime, timedelta

from console.calls.models import Call
from console.calls.rules import CallStatus
from console.extensions import db
from console.handoffs.models import Handoff, HandoffStatus, SlaBreach
from console.handoffs.sla import Clock
from console.leads.models import Touch
from console.telephony.models import PhoneCall


def add_call(lead, agent, disposition: str | None, started_at: datetime, *, seconds: int = 60,
             since_previous: int | None = None, answered: bool = False, talk: int | None = None,
             status: str = CallStatus.COMPLETED) -> Call:
    call = Call(lead_id=lead.id, campaign_id=lead.campaign_id, agent_id=agent.id, status=status,
                disposition=disposition, started_at=started_at,
                ended_at=started_at + timedelta(seconds=seconds) if status == CallStatus.COMPLETED else None,
                seconds_since_previous_call=since_previous)
    db.session.add(call)
    db.session.flush()
    if answered or talk is not None:
        db.session.add(PhoneCall(call_id=call.id, placed_by_id=agent.id, mode="browser", status="completed",
                                 to_number=lead.phone, placed_at=started_at,
                                 answered_at=started_at + timedelta(seconds=5) if answered else None,
                                 duration_seconds=talk))
    db.session.commit()
    return call


def add_handoff(call: Call, sales, created_at: datetime, *, status: str = HandoffStatus.PENDING,
                breaches: tuple[str, ...] = (), **facts) -> Handoff:
    values = dict(lead_id=call.lead_id, call_id=call.id, campaign_id=call.campaign_id, assigned_to_id=sales.id,
                  qualified_by_id=call.agent_id, status=status, score=70, score_band="hot", created_at=created_at,
                  released_at=None if status == HandoffStatus.REVIEW else created_at)
    values.update(facts)
    handoff = Handoff(**values)
    db.session.add(handoff)
    db.session.flush()
    for clock in breaches:
        db.session.add(SlaBreach(handoff_id=handoff.id, clock=clock, side=Clock.SIDES[clock],
                                 due_at=created_at + timedelta(hours=4), breached_at=created_at + timedelta(hours=4),
                                 campaign_id=handoff.campaign_id, assigned_to_id=sales.id))
    db.session.commit()
    return handoff


def add_touch(lead, occurred_at: datetime, campaign_id: int | None, kind: str = "webinar") -> Touch:
    touch = Touch(lead_id=lead.id, kind=kind, description=f"{kind} touch", occurred_at=occurred_at,
                  campaign_id=campaign_id)
    db.session.add(touch)
    db.session.commit()
    return touch
