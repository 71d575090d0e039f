"""Creating hand-offs (routed by console/handoffs/routing_services.py), sales' decision on them, and reassigning them.

create_handoff joins the caller's transaction (the qualifying disposition's);
decide and reassign are transactions of their own.
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from console.audit import services as audit
from console.auth.models import Role, User
from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.handoffs import routing, routing_services
from console.handoffs.models import Handoff, HandoffStatus, NextStep
from console.handoffs.packet import packet_document
from console.leads import services as leads
from console.leads.models import Lead
from console.leads.rules import Stage
from console.outbox import services as outbox
from console.web import absolute_url_for, path_for


class HandoffError(Exception):
    pass


def create_handoff(lead, call, agent, score, explained, answers: dict, *, next_step: str | None = None,
                   next_step_at=None, next_step_note: str | None = None) -> Handoff:
    """Hand a qualified lead to sales with its score as made now. Joins the caller's transaction.

    `explained` is scoring.rules.explain_answers for the model that made `score`:
    every criterion's label, answer and points are kept with the hand-off, so the
    packet explains it with that model whatever the model becomes. `answers` are the
    lead's QualificationAnswer rows (for what the prospect said). `next_step` is what the agent agreed with the
    prospect (models.NextStep), `next_step_at` its time (naive UTC) when it has one.
    """
    try:
        member, decision = routing_services.route(lead.campaign_id, routing_services.lead_facts(lead, score.band))
    except routing.NoMember as error:
        raise HandoffError(str(error)) from error
    handoff = Handoff(
        lead_id=lead.id,
        call_id=call.id,
        campaign_id=lead.campaign_id,
        assigned_to=member,
        routing_note=decision.note,
        qualified_by_id=agent.id,
        score=score.points,
        score_band=score.band,
        score_model_version=score.model_version,
        score_reasons=[str(reason) for reason in score.reasons + score.engagement + score.withheld],
        answers={line.criterion: {"label": line.label, "value": line.value, "answer": line.answer,
                                  "points": line.points,
                                  "detail": answers[line.criterion].detail if line.criterion in answers else ""}
                 for line in explained},
        next_step=next_step or None,
        next_step_at=next_step_at if next_step in NextStep.TIMED else None,
        next_step_note=(next_step_note or "").strip() or None,
    )
    db.session.add(handoff)
    db.session.flush()
    audit.record("handoff.created", handoff, actor=agent, lead_id=lead.id, assigned_to_id=handoff.assigned_to_id,
                 routing_rule=decision.rule_name, routing_rule_position=decision.rule_position,
                 routing_fallback=decision.fallback, routing_note=decision.note)
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
    outbox.webhook("handoff.created", packet_document(handoff), dedupe_key=key)


def handoff_summary(handoff: Handoff, lead) -> dict:
    """What the CRM is told of a hand-off: its whole packet (console/handoffs/packet.py, docs/handoff.md), which
    keeps the keys this summary first had."""
    return packet_document(handoff)


def visible_to(user, query):
    """`query` of hand-offs narrowed to those `user` may see: the SQL twin of Handoff.visible_to (their own; a
    sales manager's team's; an admin's: all)."""
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.SALES and user.sales_manager and user.sales_team:
        team = select(User.id).where(User.sales_team == user.sales_team)
        return query.where(or_(Handoff.assigned_to_id == user.id, Handoff.assigned_to_id.in_(team)))
    return query.where(Handoff.assigned_to_id == user.id)


def inbox(user) -> list[Handoff]:
    """The hand-offs a sales member sees (an admin: all), pending first, with what the inbox shows loaded."""
    query = (select(Handoff).options(selectinload(Handoff.lead).selectinload(Lead.account),
                                     selectinload(Handoff.campaign), selectinload(Handoff.qualified_by))
             .order_by(Handoff.status != HandoffStatus.PENDING, Handoff.created_at.desc()))
    return list(db.session.scalars(visible_to(user, query)))


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


def pending_for(user_id: int) -> list[Handoff]:
    """The hand-offs waiting for this sales member's decision, oldest first, with what a list of them shows."""
    return list(db.session.scalars(
        select(Handoff).where(Handoff.assigned_to_id == user_id, Handoff.status == HandoffStatus.PENDING)
        .options(selectinload(Handoff.lead).selectinload(Lead.account), selectinload(Handoff.campaign))
        .order_by(Handoff.created_at, Handoff.id)))


def active_sales_members() -> list[User]:
    """Who a hand-off may be given to: every active sales member, by name."""
    return list(db.session.scalars(select(User).where(User.role == Role.SALES, User.active.is_(True))
                                   .order_by(User.full_name, User.id)))


def reassign(handoff_ids: list[int], from_user_id: int, to_user_id: int, actor) -> list[Handoff]:
    """Give these pending hand-offs of one sales member (a deactivated one's) to another active sales member.

    Each is audited, and the new assignee is told in the console (a notification through the outbox, in this
    transaction). Raises HandoffError, changing nothing, when the assignee cannot take them or a hand-off is
    no longer that member's pending one (decided or moved in the meantime).
    """
    with writers.write_transaction(db.session):
        assignee = db.session.get(User, to_user_id)
        if assignee is None or assignee.role != Role.SALES or not assignee.active:
            raise HandoffError("Choose an active sales member to give the hand-offs to.")
        if to_user_id == from_user_id:
            raise HandoffError("Choose another sales member: these hand-offs are already theirs.")
        wanted = sorted(set(handoff_ids))
        if not wanted:
            raise HandoffError("Choose at least one hand-off to reassign.")
        query = select(Handoff).where(Handoff.id.in_(wanted)).options(
            selectinload(Handoff.lead).selectinload(Lead.account)).order_by(Handoff.id)
        if db.engine.dialect.name != "sqlite":
            query = query.with_for_update(of=Handoff)
        handoffs = list(db.session.scalars(query))
        moved_on = [handoff for handoff in handoffs
                    if handoff.status != HandoffStatus.PENDING or handoff.assigned_to_id != from_user_id]
        if len(handoffs) != len(wanted) or moved_on:
            raise HandoffError("Some of these hand-offs were decided or reassigned in the meantime: "
                               "nothing was changed. Look at the list again.")
        for handoff in handoffs:
            handoff.assigned_to_id = assignee.id
            event = audit.record("handoff.reassigned", handoff, actor=actor, lead_id=handoff.lead_id,
                                 from_user_id=from_user_id, to_user_id=assignee.id)
            db.session.flush()  # the event's id names this reassignment in the notification's dedupe key
            lead = handoff.lead
            outbox.notify([assignee.id], f"Hand-off reassigned to you: {lead.full_name}, {lead.account.name}",
                          body=f"Score {handoff.score} ({handoff.score_band}). Accept or reject it.",
                          url=path_for("handoffs.packet", handoff_id=handoff.id),
                          dedupe_key=f"handoff.reassigned:{handoff.id}:{event.id}")
        return handoffs
