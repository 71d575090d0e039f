"""The hand-off packet: everything a sales member needs before calling a qualified lead, read in a few statements,
for the packet's page (`build_packet`) and as the JSON document the CRM webhook and the API send (`packet_document`).

Every call on the lead comes with its line (talk time, recordings) from the areas below this one, through the
`CallHistory` port that `create_app` fills (docs/architecture.md, "Ports"); objections and guide versions are read
here (guides is above handoffs).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from console.compliance.rules import is_zone_name
from console.extensions import db
from console.guides import rules as guide_rules
from console.guides.models import CallGuide, CallObjection, GuideVersion
from console.guides.services import merge_values
from console.handoffs.models import Handoff, NextStep
from console.handoffs.packet_schema import PacketDocument
from console.leads.models import Lead
from console.web import absolute_url_for

UTC = ZoneInfo("UTC")


# ---------------------------------------------------------------- the port: calls with their line

@dataclass(frozen=True)
class RecordingFacts:
    id: int
    duration_seconds: int | None
    playable: bool


@dataclass(frozen=True)
class CallFacts:
    """One finished call on the lead as the packet shows it (filled by the CallHistory port)."""

    id: int
    started_at: datetime  # naive UTC
    ended_at: datetime | None
    agent: object  # the agent's User (its names fill the guide's merge fields as the agent read them)
    agent_name: str
    disposition: str | None
    disposition_label: str
    notes: str
    guide_version_id: int | None
    talk_seconds: int | None  # the lead legs' reported durations (telephony's one home for talk time)
    recordings: tuple[RecordingFacts, ...] = ()


class CallHistory(Protocol):
    def calls_of(self, lead_id: int) -> list[CallFacts]:
        """Every finished call on the lead, newest first, with its agent, talk time and kept recordings."""


class _NoCalls:
    def calls_of(self, lead_id: int) -> list[CallFacts]:
        return []


_history: CallHistory = _NoCalls()


def register(history: CallHistory) -> None:
    global _history
    _history = history


# ---------------------------------------------------------------- the packet

@dataclass(frozen=True)
class Moment:
    """A time as the viewer reads it, with the lead's own clock beside it."""

    utc: datetime  # naive UTC, as stored
    viewer: datetime
    lead: datetime | None

    @property
    def iso(self) -> str:
        return iso(self.utc)


@dataclass(frozen=True)
class RaisedObjection:
    objection_id: str
    objection: str  # the prospect's words, as the guide version has them
    response: str  # the response the guide version gave the agent (its Markdown, merge fields filled)
    response_html: str  # the same as the agent read it: rendered and sanitised (guides.rules.render_inline)
    worked: bool | None  # None: raised, outcome not marked

    @property
    def outcome(self) -> str:
        return {True: "worked", False: "did not work", None: "not marked"}[self.worked]


@dataclass(frozen=True)
class PacketCall:
    facts: CallFacts
    started: Moment
    guide: str | None  # "Default B2B guide v3"
    objections: tuple[RaisedObjection, ...]


@dataclass(frozen=True)
class AgreedNextStep:
    kind: str
    label: str
    at: Moment | None
    note: str


@dataclass
class Packet:
    handoff: Handoff
    lead: Lead
    viewer_zone: str
    lead_zone: str | None
    calls: list[PacketCall]
    touches: list
    campaign_fields: list[tuple[str, str]]
    next_step: AgreedNextStep | None
    qualified: Moment
    may_hear: bool = False


def iso(when: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 UTC, as the JSON document gives every time."""
    return when.isoformat(timespec="seconds") + "Z" if when is not None else None


def _zone(name: str | None) -> ZoneInfo | None:
    """The zone of that name, None for no name or one this machine does not know (asked before ZoneInfo opens
    a file by that name: compliance.rules.is_zone_name)."""
    return ZoneInfo(name) if name and is_zone_name(name) else None


def _moment(when: datetime, viewer: ZoneInfo, lead: ZoneInfo | None) -> Moment:
    aware = when.replace(tzinfo=UTC)
    return Moment(when, aware.astimezone(viewer), aware.astimezone(lead) if lead else None)


def _loaded(handoff: Handoff) -> Lead:
    """The lead with its account, campaign and touches, in one statement."""
    return db.session.scalars(select(Lead).where(Lead.id == handoff.lead_id).options(
        selectinload(Lead.account), selectinload(Lead.campaign), selectinload(Lead.touches))).one()


def _objections(call_ids: list[int]) -> dict[int, list[CallObjection]]:
    """The objections raised on these calls, by call, in the order they were marked."""
    marks: dict[int, list[CallObjection]] = {}
    if call_ids:
        for mark in db.session.scalars(select(CallObjection).where(CallObjection.call_id.in_(call_ids))
                                       .order_by(CallObjection.marked_at, CallObjection.id)):
            marks.setdefault(mark.call_id, []).append(mark)
    return marks


def _versions(version_ids: set[int]) -> dict[int, GuideVersion]:
    """The guide versions used, with their guides (their content is what the objections' words are read from)."""
    if not version_ids:
        return {}
    return {version.id: version for version in db.session.scalars(
        select(GuideVersion).where(GuideVersion.id.in_(version_ids)).options(selectinload(GuideVersion.guide)))}


def _raised(marks: list[CallObjection], versions: dict[int, GuideVersion], values: dict[str, str]
            ) -> tuple[RaisedObjection, ...]:
    raised = []
    for mark in marks:
        version = versions.get(mark.guide_version_id)
        # A version's objections are its content's list, by id (console/guides/rules.py _objections).
        item = next((item for item in (version.content.get("objections") or ()) if item.get("id") == mark.objection_id),
                    None) if version is not None else None
        response = item["response"] if item else ""
        raised.append(RaisedObjection(mark.objection_id, item["objection"] if item else mark.objection_id,
                                      guide_rules.fill_merge_fields(response, values).strip(),
                                      guide_rules.render_inline(response, values) if response else "", mark.worked))
    return tuple(raised)


def _guide_name(version: GuideVersion | None) -> str | None:
    if version is None:
        return None
    guide: CallGuide | None = version.guide
    return f"{guide.name} v{version.number}" if guide is not None else f"v{version.number}"


def build_packet(handoff: Handoff, viewer=None, *, may_hear: bool = False) -> Packet:
    """Everything known about the hand-off's lead, its times in `viewer`'s zone (User.time_zone, else UTC) with the
    lead's local time (its first zone) beside them. `may_hear`: whether the viewer may play the recordings
    (telephony.services.can_hear_recordings, which the page asks)."""
    lead = _loaded(handoff)
    viewer_zone = _zone(getattr(viewer, "time_zone", None)) or UTC
    lead_zone = _zone(lead.zone_list[0]) if lead.zone_list else None
    facts = _history.calls_of(lead.id)
    marks = _objections([call.id for call in facts])
    versions = _versions({call.guide_version_id for call in facts if call.guide_version_id}
                         | {mark.guide_version_id for call_marks in marks.values() for mark in call_marks})
    calls = [PacketCall(call, _moment(call.started_at, viewer_zone, lead_zone),
                        _guide_name(versions.get(call.guide_version_id)),
                        _raised(marks.get(call.id, []), versions,
                                merge_values(lead, call.agent, lead.campaign) if call.agent else {}))
             for call in facts]
    next_step = None
    if handoff.next_step:
        next_step = AgreedNextStep(handoff.next_step, NextStep.LABELS.get(handoff.next_step, handoff.next_step),
                                   _moment(handoff.next_step_at, viewer_zone, lead_zone) if handoff.next_step_at
                                   else None, handoff.next_step_note or "")
    return Packet(handoff=handoff, lead=lead, viewer_zone=viewer_zone.key,
                  lead_zone=lead_zone.key if lead_zone else None,
                  calls=calls, touches=sorted(lead.touches, key=lambda touch: touch.occurred_at, reverse=True),
                  campaign_fields=lead.campaign.lead_field_values(lead), next_step=next_step,
                  qualified=_moment(handoff.created_at, viewer_zone, lead_zone), may_hear=may_hear)


# ---------------------------------------------------------------- the JSON document

def packet_document(handoff: Handoff) -> dict:
    """The packet as JSON (docs/handoff.md): what the CRM webhook sends and the API serves, checked against its one
    schema (`packet_schema.PacketDocument`). Every time is ISO 8601 UTC; it keeps every key the first webhook (the
    hand-off summary it replaced) had, so their consumers keep working."""
    return PacketDocument.model_validate(_packet_values(handoff)).model_dump(mode="json")


def _packet_values(handoff: Handoff) -> dict:
    packet = build_packet(handoff)
    lead, account, campaign = packet.lead, packet.lead.account, packet.lead.campaign
    return {
        "handoff_id": handoff.id,
        "status": handoff.status,
        "created_at": iso(handoff.created_at),
        "campaign_id": handoff.campaign_id,
        "assigned_to": handoff.assigned_to.email,
        "qualified_by": handoff.qualified_by.email if handoff.qualified_by else None,
        "score": handoff.score,
        "band": handoff.score_band,
        "scoring_model_version": handoff.score_model_version,
        "answers": handoff.answers,
        "reasons": handoff.score_reasons,
        "lead": {"id": lead.id, "first_name": lead.first_name, "last_name": lead.last_name, "title": lead.title,
                 "email": lead.email, "phone": lead.phone, "company": account.name,
                 "buying_role": lead.buying_role, "state": lead.state, "time_zone": packet.lead_zone,
                 "source": lead.source},
        "account": {"id": account.id, "name": account.name, "industry": account.industry,
                    "employees": account.employees},
        "campaign": {"id": campaign.id, "name": campaign.name, "source": campaign.source,
                     "message": campaign.message, "fields": dict(packet.campaign_fields)},
        "calls": [{
            "id": call.facts.id, "started_at": iso(call.facts.started_at), "ended_at": iso(call.facts.ended_at),
            "agent": call.facts.agent_name, "disposition": call.facts.disposition,
            "disposition_label": call.facts.disposition_label, "talk_seconds": call.facts.talk_seconds,
            "notes": call.facts.notes, "guide_version": call.guide,
            "recordings": [{"id": recording.id, "duration_seconds": recording.duration_seconds,
                            "url": absolute_url_for("telephony.play_recording", recording_id=recording.id)}
                           for recording in call.facts.recordings if recording.playable],
            "objections": [{"id": raised.objection_id, "objection": raised.objection, "response": raised.response,
                            "worked": raised.worked} for raised in call.objections],
        } for call in packet.calls],
        "touches": [{"kind": touch.kind, "description": touch.description, "occurred_at": iso(touch.occurred_at)}
                    for touch in packet.touches],
        "next_step": {"kind": packet.next_step.kind, "label": packet.next_step.label,
                      "at": packet.next_step.at.iso if packet.next_step.at else None,
                      "note": packet.next_step.note} if packet.next_step else None,
        "routing_note": handoff.routing_note,
        "packet_url": absolute_url_for("handoffs.packet", handoff_id=handoff.id),
    }
