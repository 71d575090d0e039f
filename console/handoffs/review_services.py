"""Marketing's review of a qualified lead before sales gets it, for campaigns whose SLA policy asks for one.

The hand-off is made in review (routed provisionally, nobody told but marketing); marketing's clock runs from
qualification until a marketing manager releases it to sales (routed again then: the member's availability
is the release's) or sends it back to the agent who qualified it. Each is a transaction of its own.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from console.audit import services as audit
from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.handoffs import routing, routing_services, services
from console.handoffs.models import Handoff, HandoffStatus, RejectionKind, RejectionResult
from console.leads import services as leads
from console.leads.models import Lead
from console.outbox import services as outbox


class ReviewRefused(Exception):
    """The hand-off is no longer in review, or the reason is missing."""


class NoSuchHandoff(LookupError):
    pass


def awaiting_review() -> list[Handoff]:
    """The hand-offs waiting for marketing's review, oldest first (the longest-running clock first)."""
    return list(db.session.scalars(
        select(Handoff).where(Handoff.status == HandoffStatus.REVIEW)
        .options(selectinload(Handoff.lead).selectinload(Lead.account), selectinload(Handoff.campaign),
                 selectinload(Handoff.qualified_by), selectinload(Handoff.assigned_to))
        .order_by(Handoff.created_at, Handoff.id)))


def _in_review(handoff_id: int) -> Handoff:
    query = select(Handoff).where(Handoff.id == handoff_id)
    if db.engine.dialect.name != "sqlite":
        query = query.with_for_update()
    handoff = db.session.scalars(query).first()
    if handoff is None:
        raise NoSuchHandoff(handoff_id)
    if handoff.status != HandoffStatus.REVIEW:
        raise ReviewRefused(f"This hand-off is no longer in review: it is {handoff.status_label.lower()}.")
    return handoff


def release(handoff_id: int, actor) -> Handoff:
    """Hand the reviewed lead to sales: routed now (who is available now decides), the member told, sales'
    clocks started."""
    with writers.write_transaction(db.session):
        handoff = _in_review(handoff_id)
        lead = handoff.lead
        try:
            member, decision = routing_services.route(handoff.campaign_id,
                                                      routing_services.lead_facts(lead, handoff.score_band))
        except routing.NoMember as error:
            raise ReviewRefused(str(error)) from error
        handoff.assigned_to, handoff.routing_note = member, decision.note
        handoff.status, handoff.released_at, handoff.reviewed_by_id = HandoffStatus.PENDING, utcnow(), actor.id
        db.session.flush()
        audit.record("handoff.released", handoff, actor=actor, lead_id=lead.id, assigned_to_id=member.id,
                     routing_rule=decision.rule_name, routing_note=decision.note)
        services.announce(handoff, lead)
        return handoff


def send_back(handoff_id: int, actor, reason: str) -> Handoff:
    """Return the lead to the agent who qualified it, with what to fix (the review found its data wrong)."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewRefused("Say what the agent should fix: they read it on their next call to the lead.")
    with writers.write_transaction(db.session):
        handoff = _in_review(handoff_id)
        now = utcnow()
        handoff.status, handoff.decided_at, handoff.reviewed_by_id = HandoffStatus.REJECTED, now, actor.id
        handoff.rejection_kind, handoff.rejection_result = RejectionKind.CLERICAL, RejectionResult.CALLBACK
        handoff.rejection_reason, handoff.feedback_at = reason, now
        leads.return_to_agent(handoff.lead, handoff.qualified_by_id, reason=reason, actor_id=actor.id,
                              handoff_id=handoff.id)
        audit.record("handoff.sent_back", handoff, actor=actor, lead_id=handoff.lead_id, reason=reason)
        lead = handoff.lead
        outbox.notify([handoff.qualified_by_id], f"Sent back by marketing: {lead.full_name}, {lead.account.name}",
                      body=reason, url=None, dedupe_key=f"handoff.sent_back:{handoff.id}")
        return handoff
