"""Creating hand-offs, routing them to a sales member, and sales' decision on them."""
from __future__ import annotations

from sqlalchemy import func, select

from console.audit import services as audit
from console.auth.models import Role, User
from console.clock import utcnow
from console.extensions import db
from console.handoffs.models import Handoff, HandoffStatus
from console.leads.models import Stage


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


def create_handoff(lead, call, agent, score, answers: dict) -> Handoff:
    handoff = Handoff(
        lead_id=lead.id,
        call_id=call.id,
        campaign_id=lead.campaign_id,
        assigned_to=route_to_sales(),
        qualified_by_id=agent.id,
        score=score.points,
        score_band=score.band,
        score_reasons=[str(reason) for reason in score.reasons],
        answers={key: {"value": answer.value, "detail": answer.detail} for key, answer in answers.items()},
    )
    db.session.add(handoff)
    db.session.flush()
    audit.record("handoff.created", handoff, actor=agent, lead_id=lead.id, assigned_to_id=handoff.assigned_to_id)
    return handoff


def decide(handoff: Handoff, user: User, accept: bool, reason: str = "") -> None:
    """Sales accepts the lead (it becomes a sales-accepted lead) or rejects it with a reason."""
    if handoff.status != HandoffStatus.PENDING:
        raise HandoffError(f"This hand-off was already {handoff.status_label.lower()}.")
    if not accept and not reason.strip():
        raise HandoffError("Say why you reject the lead: marketing and the agent learn from it.")
    handoff.status = HandoffStatus.ACCEPTED if accept else HandoffStatus.REJECTED
    handoff.rejection_reason = None if accept else reason.strip()
    handoff.decided_at = utcnow()
    handoff.lead.stage = Stage.SAL if accept else Stage.NURTURE
    audit.record("handoff.accepted" if accept else "handoff.rejected", handoff, actor=user, reason=reason.strip())
    db.session.commit()
