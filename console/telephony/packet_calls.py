"""The hand-off packet's calls (console/handoffs/packet.py `CallHistory`): each finished call on a lead with its
agent, disposition, the talk time of its lead legs and its kept recordings, in four statements."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from console.calls.models import Call, CallStatus
from console.calls.rules import BY_CODE
from console.extensions import db
from console.handoffs.packet import CallFacts, RecordingFacts
from console.telephony import rules
from console.telephony.models import PhoneCall


class CallsWithTheirLine:
    def calls_of(self, lead_id: int) -> list[CallFacts]:
        calls = list(db.session.scalars(
            select(Call).options(selectinload(Call.agent))
            .where(Call.lead_id == lead_id, Call.status == CallStatus.COMPLETED)
            .order_by(Call.started_at.desc(), Call.id.desc())))
        phone_calls: dict[int, list[PhoneCall]] = {}
        if calls:
            for phone_call in db.session.scalars(
                    select(PhoneCall).options(selectinload(PhoneCall.recordings))
                    .where(PhoneCall.call_id.in_([call.id for call in calls])).order_by(PhoneCall.id)):
                phone_calls.setdefault(phone_call.call_id, []).append(phone_call)
        return [self._facts(call, phone_calls.get(call.id, [])) for call in calls]

    @staticmethod
    def _facts(call: Call, phone_calls: list[PhoneCall]) -> CallFacts:
        # A console call may be dialled more than once: its talk time is what its lead legs reported, together
        # (telephony.services._apply_lead_leg is the one home of a leg's duration).
        durations = [phone_call.duration_seconds for phone_call in phone_calls
                     if phone_call.duration_seconds is not None]
        disposition = BY_CODE.get(call.disposition or "")
        return CallFacts(
            id=call.id, started_at=call.started_at, ended_at=call.ended_at, agent=call.agent,
            agent_name=call.agent.full_name if call.agent else "", disposition=call.disposition,
            disposition_label=disposition.label if disposition else (call.disposition or ""), notes=call.notes or "",
            guide_version_id=call.guide_version_id, talk_seconds=sum(durations) if durations else None,
            recordings=tuple(RecordingFacts(recording.id, recording.duration_seconds, recording.playable)
                             for phone_call in phone_calls for recording in phone_call.recordings
                             if recording.status != rules.RecordingStatus.DELETED))
