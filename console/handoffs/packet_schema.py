"""The hand-off packet's JSON document as one pydantic model: what the CRM webhook sends and the JSON API serves
(`packet.packet_document` fills it; the API's OpenAPI document describes it from this same model)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PacketLead(_Document):
    id: int
    first_name: str
    last_name: str
    title: str | None
    email: str | None
    phone: str
    company: str
    buying_role: str | None
    state: str | None
    time_zone: str | None
    source: str | None


class PacketAccount(_Document):
    id: int
    name: str
    industry: str | None
    employees: int | None


class PacketCampaign(_Document):
    id: int
    name: str
    source: str | None
    message: str | None
    fields: dict[str, str]


class PacketRecording(_Document):
    id: int
    duration_seconds: int | None
    url: str


class PacketObjection(_Document):
    id: str
    objection: str
    response: str
    worked: bool | None


class PacketCall(_Document):
    id: int
    started_at: str
    ended_at: str | None
    agent: str
    disposition: str | None
    disposition_label: str
    talk_seconds: int | None
    notes: str
    guide_version: str | None
    recordings: list[PacketRecording]
    objections: list[PacketObjection]


class PacketTouch(_Document):
    kind: str
    description: str
    occurred_at: str


class PacketNextStep(_Document):
    kind: str
    label: str
    at: str | None
    note: str


class PacketDocument(_Document):
    """Every time is ISO 8601 UTC ("2026-05-04T14:03:00Z")."""

    handoff_id: int
    status: str
    created_at: str
    campaign_id: int
    assigned_to: str
    qualified_by: str | None
    score: int
    band: str
    scoring_model_version: int | None
    answers: dict[str, Any]
    reasons: list[Any]
    lead: PacketLead
    account: PacketAccount
    campaign: PacketCampaign
    calls: list[PacketCall]
    touches: list[PacketTouch]
    next_step: PacketNextStep | None
    routing_note: str | None
    packet_url: str
