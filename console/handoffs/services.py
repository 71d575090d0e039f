"""Creating hand-offs, routing them to a sales member, and sales' decision on them.

create_handoff joins the caller's transaction (the qualifying disposition's);
decide is a transaction of its own.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from console.audit import services as audit
from console.auth.models import Role, User
from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.handoffs.models import Handoff, HandoffStatus
from console.leads import services as leads
from console.leads.models import Lead
from console.leads.rules import Stage
from console.outbox import services as outbox
from console.web import absolute_url_for, path_for


class HandoffError(Exception):
    pass


def route_to_sales() -> User:
    """Workload routing: the active sales member with the fewest pending hand-offs (then the longest idle)."""
    pending = (
        select(Handoff.assigned_to_id, func.count(Handoff.id).label("pending"))
        .where(Handoff.status == HandoffStatus.PENDING)
        .group_by(Handoff.assigned_to_id)
        .subquery()
    )
    last_assigned = (
        select(Handoff.assigned_to_id, func.max(Handoff.id).label("last_id")).group_by(Handoff.assigned_to_id).subquery()
    )
    user = db.session.scalar(
        select(User)
        .outerjoin(pending, pending.c.assigned_to_id == User.id)
        .outerjoin(last_assigned, last_assigned.c.assigned_to_id == User.id)
        .where(User.role == Role.SALES, User.active.is_(True))
        .order_by(func.coalesce(pending.c.pending, 0), func.coalesce(last_assigned.c.last_id, 0), User.id)
        .limit(1)
    )
    if user is None:
        raise HandoffError("No active sales member to hand the lead to. Ask an admin to add one.")
    return user


def create_handoff(lead, call, agent, score, explained, answers: dict) -> Handoff:
    """Hand a qualified lead to sales with its score as made now. Joins the caller's transaction.

    `explained` is scoring.rules.explain_answers for the model that made `score`:
    every criterion's label, answer and points are kept with the hand-off, so the
    packet explains it with that model whatever the model becomes. `answers` are the
    lead's QualificationAnswer rows (for what the prospect said).
    """
    handoff = Handoff(
        lead_id=lead.id,
        call_id=call.id,
        campaign_id=lead.campaign_id,
        assigned_to=route_to_sales(),
        qualified_by_id=agent.id,
        score=score.points,
        score_band=score.band,
        score_model_version=score.model_version,
        score_reasons=[str(reason) for reason in score.reasons],
        answers={line.criterion: {"label": line.label, "value": line.value, "answer": line.answer,
                                  "points": line.points,
                                  "detail": answers[line.criterion].detail if line.criterion in answers else ""}
                 for line in explained},
    )
    db.session.add(handoff)
    db.session.flush()
    audit.record("handoff.created", handoff, actor=agent, lead_id=lead.id, assigned_to_id=handoff.assigned_to_id)
    _announce(handoff, lead)
    return handoff


def _announce(handoff: Handoff, lead) -> None:
    """The sales member hears of the hand-off (in the console and by email) and the CRM gets it, all through
    the outbox, in the hand-off's own transaction: sent if and only if the hand-off is made."""
    member = handoff.assigned_to
    packet_url = path_for("handoffs.packet", handoff_id=handoff.id)
    title = f"New hand-off: {lead.full_name}, {lead.account.name}"
    key = f"handoff.created:{handoff.id}"
    outbox.notify([member.id], title, body=f"Score {handoff.score} ({handoff.score_band}). Accept or reject it.",
                  url=packet_url, dedupe_key=f"{key}:notification")
    outbox.email(member.email, title, "handoff_created", {
        "member": member, "lead": lead, "handoff": handoff,
        "packet_url": absolute_url_for("handoffs.packet", handoff_id=handoff.id)},
        dedupe_key=f"{key}:email")
    outbox.webhook("handoff.created", handoff_summary(handoff, lead), dedupe_key=key)


def handoff_summary(handoff: Handoff, lead) -> dict:
    """What the CRM is told of a hand-off (the full packet schema comes with the JSON API)."""
    return {
        "handoff_id": handoff.id, "status": handoff.status, "created_at": handoff.created_at.isoformat() + "Z",
        "campaign_id": handoff.campaign_id, "assigned_to": handoff.assigned_to.email,
        "score": handoff.score, "band": handoff.score_band, "scoring_model_version": handoff.score_model_version,
        "answers": handoff.answers, "reasons": handoff.score_reasons,
        "lead": {"id": lead.id, "first_name": lead.first_name, "last_name": lead.last_name, "title": lead.title,
                 "email": lead.email, "phone": lead.phone, "company": lead.account.name},
    }


def inbox(user) -> list[Handoff]:
    """The hand-offs a sales member sees (an admin: all), pending first, with what the inbox shows loaded."""
    query = (select(Handoff).options(selectinload(Handoff.lead).selectinload(Lead.account),
                                     selectinload(Handoff.campaign), selectinload(Handoff.qualified_by))
             .order_by(Handoff.status != HandoffStatus.PENDING, Handoff.created_at.desc()))
    if user.role != Role.ADMIN:
        query = query.where(Handoff.assigned_to_id == user.id)
    return list(db.session.scalars(query))


def decide(handoff: Handoff, user: User, accept: bool, reason: str = "") -> None:
    """Sales accepts the lead (it becomes a sales-accepted lead) or rejects it with a reason."""
    with writers.write_transaction(db.session):
        if handoff.status != HandoffStatus.PENDING:
            raise HandoffError(f"This hand-off was already {handoff.status_label.lower()}.")
        if not accept and not reason.strip():
            raise HandoffError("Say why you reject the lead: marketing and the agent learn from it.")
        handoff.status = HandoffStatus.ACCEPTED if accept else HandoffStatus.REJECTED
        handoff.rejection_reason = None if accept else reason.strip()
        handoff.decided_at = utcnow()
        leads.set_stage(handoff.lead, Stage.SAL if accept else Stage.NURTURE)
        audit.record("handoff.accepted" if accept else "handoff.rejected", handoff, actor=user,
                     reason=reason.strip())
