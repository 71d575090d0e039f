"""Creating hand-offs (routed by console/handoffs/routing_services.py), sales' decision on them (accept; reject by
kind: re-routed, back to the agent, nurture or disqualified), reassigning them, their progress to an outcome, and
the feedback the agent and marketing read.

create_handoff joins the caller's transaction (the qualifying disposition's); accept, reject, reassign,
reassign_handoff, record_progress and open_feedback are transactions of their own.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from console.audit import services as audit
from console.auth import services as accounts
from console.auth.models import Role, User
from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.handoffs import routing, routing_services, rules, sla_services
from console.handoffs.models import Handoff, HandoffStatus, NextStep, Outcome, RejectionKind, RejectionResult
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
    terms = sla_services.snapshot(lead.campaign_id)
    in_review = bool(terms.get("requires_review"))
    facts = routing_services.lead_facts(lead, score.band)
    try:
        # A lead marketing reviews first is routed for real when released (review_services.release): who is
        # available then decides. Until then it names who would get it now, moving no round-robin turn.
        if in_review:
            decision = routing_services.preview(lead.campaign_id, facts)
            member = db.session.get(User, decision.member_id)
        else:
            member, decision = routing_services.route(lead.campaign_id, facts)
    except routing.NoMember as error:
        raise HandoffError(str(error)) from error
    handoff = Handoff(
        lead_id=lead.id,
        call_id=call.id,
        campaign_id=lead.campaign_id,
        assigned_to=member,
        routing_note=decision.note,
        sla=terms,
        status=HandoffStatus.REVIEW if in_review else HandoffStatus.PENDING,
        released_at=None if in_review else utcnow(),
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
                 routing_fallback=decision.fallback, routing_note=decision.note, in_review=in_review)
    if in_review:
        announce_review(handoff, lead)
    else:
        announce(handoff, lead)
    return handoff


def announce_review(handoff: Handoff, lead) -> None:
    """Marketing hears that a qualified lead waits for their review (sales hears when it is released).
    Joins the caller's transaction."""
    outbox.notify(accounts.active_ids_of(Role.MARKETING),
                  f"To review before sales: {lead.full_name}, {lead.account.name}",
                  body=f"Score {handoff.score} ({handoff.score_band}), qualified in {lead.campaign.name}.",
                  url=path_for("handoff_review.index"), dedupe_key=f"handoff.review:{handoff.id}")


def announce(handoff: Handoff, lead) -> None:
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
    outbox.webhook("handoff.created", lambda: packet_document(handoff), dedupe_key=key)


def visible_to(user, query):
    """`query` of hand-offs narrowed to those `user` may see: the SQL twin of Handoff.visible_to (their own; a
    sales manager's team's; an admin's: all)."""
    if user.role == Role.ADMIN:
        return query
    query = query.where(Handoff.status != HandoffStatus.REVIEW)
    if user.role == Role.SALES and user.sales_manager and user.sales_team:
        team = select(User.id).where(User.sales_team == user.sales_team)
        return query.where(or_(Handoff.assigned_to_id == user.id, Handoff.assigned_to_id.in_(team)))
    return query.where(Handoff.assigned_to_id == user.id)


def _locked(handoff: Handoff) -> Handoff:
    """The hand-off read afresh inside the write, its row locked on PostgreSQL (SQLite's writer turn already
    serialises writers), so two decisions on it never both pass their checks."""
    if db.engine.dialect.name != "sqlite":
        db.session.refresh(handoff, with_for_update={"of": Handoff})
    else:
        db.session.refresh(handoff)
    return handoff


class HandoffConflict(HandoffError):
    """The hand-off is not where the action needs it (decided already, or a step out of order): the JSON API
    answers 409 for it, 422 for the other refusals (what was sent)."""


def _check_pending(handoff: Handoff) -> None:
    if handoff.status != HandoffStatus.PENDING:
        raise HandoffConflict(f"This hand-off is no longer awaiting a decision: {handoff.status_label.lower()}.")


def _tell_the_crm(handoff: Handoff, event) -> None:
    """The CRM hears of every change sales makes (`handoff.updated`), named by the audit event that records it.
    Joins the caller's transaction."""
    db.session.flush()
    outbox.webhook("handoff.updated", lambda: {**packet_document(handoff), **_progress_summary(handoff)},
                   dedupe_key=f"handoff.updated:{handoff.id}:{event.id}")


def _progress_summary(handoff: Handoff) -> dict:
    def stamp(value):
        return value.isoformat() + ("Z" if hasattr(value, "hour") else "") if value is not None else None
    return {"rejection_kind": handoff.rejection_kind, "rejection_result": handoff.rejection_result,
            "rejection_comment": handoff.rejection_reason, "recall_on": stamp(handoff.recall_on),
            "decided_at": stamp(handoff.decided_at), "first_contact_at": stamp(handoff.first_contact_at),
            "first_contact_kind": handoff.first_contact_kind, "meeting_held_at": stamp(handoff.meeting_held_at),
            "opportunity_cents": handoff.opportunity_cents, "expected_close_on": stamp(handoff.expected_close_on),
            "outcome": handoff.outcome, "won_cents": handoff.won_cents, "won_on": stamp(handoff.won_on),
            "lost_reason": handoff.lost_reason, "rating": handoff.rating, "rating_comment": handoff.rating_comment,
            "previous_handoff_id": handoff.previous_handoff_id}


def accept(handoff: Handoff, user: User) -> None:
    """Sales takes the lead: it becomes a sales-accepted lead (SAL) and the first-contact clock starts."""
    with writers.write_transaction(db.session):
        _check_pending(_locked(handoff))
        handoff.status, handoff.decided_at = HandoffStatus.ACCEPTED, utcnow()
        leads.set_stage(handoff.lead, Stage.SAL)
        event = audit.record("handoff.accepted", handoff, actor=user, lead_id=handoff.lead_id)
        _tell_the_crm(handoff, event)


@dataclass(frozen=True)
class Rejection:
    """Sales' rejection: its kind (RejectionKind), the comment (always), and for a definitional one either a
    recall date (nurture) or disqualify."""
    kind: str
    comment: str
    recall_on: date | None = None
    disqualify: bool = False


def reject(handoff: Handoff, user: User, rejection: Rejection) -> Handoff | None:
    """Sales rejects the hand-off; its kind decides where the lead goes (returns the new hand-off of a re-route).

    Procedural (wrong route): routed again through the campaign's rules without any member who rejected it as
    wrongly routed, as a new hand-off naming this one; when nobody else is left, refused (the lead stays with
    this member, who may ask their manager to reassign it). Clerical (bad data): a callback due now for the agent
    who qualified it, with the comment. Definitional: nurture until the recall date, or disqualified.
    The agent (in the console and by email) and marketing (in the console) hear of it with its kind and
    comment, and the CRM gets `handoff.updated`, all in this transaction.
    """
    with writers.write_transaction(db.session):
        _check_pending(_locked(handoff))
        comment = rejection.comment.strip()
        if not comment:
            raise HandoffError("Say why you reject the lead: the agent and marketing learn from it.")
        if rejection.kind not in RejectionKind.LABELS:
            raise HandoffError("Choose why the lead is rejected.")
        now, lead = utcnow(), handoff.lead
        handoff.status, handoff.decided_at, handoff.feedback_at = HandoffStatus.REJECTED, now, now
        handoff.rejection_kind, handoff.rejection_reason = rejection.kind, comment
        successor = None
        if rejection.kind == RejectionKind.PROCEDURAL:
            successor = _reroute(handoff, lead, now, user)
            handoff.rejection_result = RejectionResult.REROUTED
        elif rejection.kind == RejectionKind.CLERICAL:
            agent = db.session.get(User, handoff.qualified_by_id)
            if agent is None or not agent.active:
                raise HandoffError("The agent who qualified this lead is no longer active: reject it as not "
                                   "meeting the definition, or correct the data in your CRM.")
            leads.return_to_agent(lead, agent.id, reason=comment, actor_id=user.id, handoff_id=handoff.id)
            handoff.rejection_result = RejectionResult.CALLBACK
        elif rejection.disqualify:
            leads.disqualify(lead)
            handoff.rejection_result = RejectionResult.DISQUALIFIED
        else:
            problem = rules.recall_problem(rejection.recall_on, now.date())
            if problem:
                raise HandoffError(problem)
            leads.recall(lead, rejection.recall_on, cause="rejected", reason=comment, actor_id=user.id,
                         handoff_id=handoff.id)
            handoff.rejection_result, handoff.recall_on = RejectionResult.NURTURE, rejection.recall_on
        event = audit.record("handoff.rejected", handoff, actor=user, lead_id=handoff.lead_id, kind=rejection.kind,
                             result=handoff.rejection_result, reason=comment,
                             recall_on=handoff.recall_on.isoformat() if handoff.recall_on else None,
                             new_handoff_id=successor.id if successor else None)
        _announce_rejection(handoff, lead, event)
        _tell_the_crm(handoff, event)
        return successor


def _rejected_by(handoff: Handoff) -> frozenset[int]:
    """Every member who rejected this lead as wrongly routed along the hand-off's chain of re-routes."""
    members, current = {handoff.assigned_to_id}, handoff.previous
    while current is not None:
        if current.rejection_kind == RejectionKind.PROCEDURAL:
            members.add(current.assigned_to_id)
        current = current.previous
    return frozenset(members)


def _reroute(handoff: Handoff, lead, now, user: User) -> Handoff:
    try:
        member, decision = routing_services.route(lead.campaign_id, routing_services.lead_facts(
            lead, handoff.score_band), exclude=_rejected_by(handoff))
    except routing.NoMember as error:
        raise HandoffError(f"{error} Ask your sales manager to reassign it, or reject it for another "
                           "reason.") from error
    successor = Handoff(
        lead_id=handoff.lead_id, call_id=handoff.call_id, campaign_id=handoff.campaign_id, assigned_to=member,
        qualified_by_id=handoff.qualified_by_id, routing_note=decision.note, previous_handoff_id=handoff.id,
        released_at=now, reviewed_by_id=handoff.reviewed_by_id,
        score=handoff.score, score_band=handoff.score_band, score_model_version=handoff.score_model_version,
        score_reasons=list(handoff.score_reasons or []), answers=dict(handoff.answers or {}),
        next_step=handoff.next_step, next_step_at=handoff.next_step_at, next_step_note=handoff.next_step_note,
        sla=handoff.sla)
    db.session.add(successor)
    db.session.flush()
    audit.record("handoff.rerouted", successor, actor=user, lead_id=lead.id, previous_handoff_id=handoff.id,
                 assigned_to_id=member.id, routing_rule=decision.rule_name, routing_note=decision.note)
    announce(successor, lead)
    return successor


def _announce_rejection(handoff: Handoff, lead, event) -> None:
    """The agent who qualified the lead (console and email) and marketing (console) hear why it was rejected.
    Joins the caller's transaction."""
    kind = RejectionKind.LABELS[handoff.rejection_kind]
    title = f"Hand-off rejected ({kind.lower()}): {lead.full_name}, {lead.account.name}"
    what_next = {RejectionResult.REROUTED: "It was routed to another sales member.",
                 RejectionResult.CALLBACK: "It is back in your callbacks: correct the data and qualify it again.",
                 RejectionResult.NURTURE: f"It is in nurture until {handoff.recall_on}.",
                 RejectionResult.DISQUALIFIED: "It was disqualified."}[handoff.rejection_result]
    body = f"{handoff.rejection_reason} {what_next}"
    key = f"handoff.rejected:{handoff.id}:{event.id}"
    agent = db.session.get(User, handoff.qualified_by_id)
    if agent is not None and agent.active:
        outbox.notify([agent.id], title, body=body, url=path_for("handoffs.feedback"),
                      dedupe_key=f"{key}:agent")
        outbox.email(agent.email, title, "handoff_rejected", {
            "agent": agent, "lead": lead, "handoff": handoff, "kind": kind, "what_next": what_next,
            "feedback_url": absolute_url_for("handoffs.feedback")}, dedupe_key=f"{key}:email")
    marketing = accounts.active_ids_of(Role.MARKETING)
    if marketing:
        outbox.notify(marketing, title, body=body,
                      url=path_for("handoffs.campaign_feedback", campaign_id=handoff.campaign_id),
                      dedupe_key=f"{key}:marketing")


# ---------------------------------------------------------------- reassigning one hand-off

def reassign_choices(handoff: Handoff, actor: User) -> list[User]:
    """Who `actor` may give this hand-off to: an admin, any other active sales member; a sales manager, the
    other active members of their team."""
    members = [member for member in active_sales_members() if member.id != handoff.assigned_to_id]
    if actor.role == Role.ADMIN:
        return members
    return [member for member in members if member.sales_team == actor.sales_team]


def reassign_handoff(handoff: Handoff, to_user_id: int, actor: User) -> None:
    """A sales manager (of the assignee's team, to a member of it) or an admin gives one pending hand-off to
    another member: `reassign`, which audits it and tells the new assignee."""
    if not handoff.managed_by(actor):
        raise HandoffError("Only the sales manager of this member's team or an admin reassigns a hand-off.")
    if handoff.status != HandoffStatus.PENDING:
        raise HandoffError(f"Only a hand-off awaiting a decision is reassigned: this one is "
                           f"{handoff.status_label.lower()}.")
    if to_user_id not in {member.id for member in reassign_choices(handoff, actor)}:
        raise HandoffError("Choose an active sales member of the team to give it to.")
    reassign([handoff.id], handoff.assigned_to_id, to_user_id, actor)


# ---------------------------------------------------------------- progress to an outcome

def _progress(handoff: Handoff) -> rules.Progress:
    return rules.Progress(handoff.status, handoff.first_contact_at is not None, handoff.meeting_held_at is not None,
                          handoff.outcome)


@dataclass(frozen=True)
class ProgressEntry:
    """One step sales records (rules.Step) and what it says; only the step's own values are read."""
    step: str
    contact_kind: str | None = None
    amount_cents: int | None = None
    on: date | None = None  # the expected close (opportunity) or the date won
    lost_reason: str | None = None
    note: str = ""
    recall_on: date | None = None  # a lost deal recycled to nurture
    rating: int | None = None


def record_progress(handoff: Handoff, user: User, entry: ProgressEntry) -> None:
    """Record a step of an accepted hand-off (rules.progress_refusal says which may come when); audited, and the
    CRM gets `handoff.updated`. An opportunity makes the lead a sales-qualified lead (SQL), so does a win that
    skipped it; a lost deal keeps the stage it reached, except one recycled, which goes to nurture until its
    recall date. A rating is feedback: the agent who qualified the lead sees it."""
    with writers.write_transaction(db.session):
        _locked(handoff)
        refusal = rules.progress_refusal(_progress(handoff), entry.step)
        if refusal:
            raise HandoffConflict(refusal)
        now, lead = utcnow(), handoff.lead
        detail = {}
        if entry.step in (rules.Step.FIRST_CONTACT, rules.Step.MEETING_HELD):
            kind = rules.ContactKind.MEETING if entry.step == rules.Step.MEETING_HELD else entry.contact_kind
            if kind not in rules.ContactKind.LABELS:
                raise HandoffError("Choose how the first contact was made.")
            if handoff.first_contact_at is None:
                handoff.first_contact_at, handoff.first_contact_kind = now, kind
            if entry.step == rules.Step.MEETING_HELD:
                handoff.meeting_held_at = now
            detail = {"kind": kind}
        elif entry.step == rules.Step.OPPORTUNITY:
            problem = _amount_problem(entry.amount_cents) or rules.close_date_problem(entry.on, now.date())
            if problem:
                raise HandoffError(problem)
            handoff.opportunity_at = handoff.opportunity_at or now
            handoff.opportunity_cents, handoff.expected_close_on = entry.amount_cents, entry.on
            leads.set_stage(lead, Stage.SQL)
            detail = {"amount_cents": entry.amount_cents, "expected_close_on": entry.on.isoformat()}
        elif entry.step == rules.Step.WON:
            problem = _amount_problem(entry.amount_cents) or rules.won_date_problem(
                entry.on, handoff.created_at.date(), now.date())
            if problem:
                raise HandoffError(problem)
            handoff.outcome, handoff.outcome_at = Outcome.WON, now
            handoff.won_cents, handoff.won_on = entry.amount_cents, entry.on
            leads.set_stage(lead, Stage.SQL)
            detail = {"amount_cents": entry.amount_cents, "won_on": entry.on.isoformat()}
        elif entry.step == rules.Step.LOST:
            if entry.lost_reason not in rules.LostReason.LABELS:
                raise HandoffError("Choose why the deal was lost.")
            handoff.outcome, handoff.outcome_at = Outcome.LOST, now
            handoff.lost_reason, handoff.lost_note = entry.lost_reason, entry.note.strip() or None
            if entry.lost_reason == rules.LostReason.RECYCLE:
                problem = rules.recall_problem(entry.recall_on, now.date())
                if problem:
                    raise HandoffError(problem)
                handoff.recall_on = entry.recall_on
                leads.recall(lead, entry.recall_on, cause="lost", reason=entry.note.strip() or
                             rules.LostReason.LABELS[entry.lost_reason], actor_id=user.id, handoff_id=handoff.id)
            detail = {"reason": entry.lost_reason, "note": entry.note.strip(),
                      "recall_on": handoff.recall_on.isoformat() if handoff.recall_on else None}
        else:
            if entry.rating not in rules.RATINGS:
                raise HandoffError("Rate the lead from 1 to 5.")
            handoff.rating, handoff.rating_comment = entry.rating, entry.note.strip() or None
            handoff.rated_at = handoff.feedback_at = now
            detail = {"rating": entry.rating, "comment": entry.note.strip()}
        event = audit.record(f"handoff.{entry.step.replace('-', '_')}", handoff, actor=user, lead_id=lead.id,
                             **detail)
        if entry.step == rules.Step.RATING:
            db.session.flush()
            outbox.notify([handoff.qualified_by_id], f"Your lead was rated {entry.rating}/5: {lead.full_name}",
                          body=entry.note.strip(), url=path_for("handoffs.feedback"),
                          dedupe_key=f"handoff.rated:{handoff.id}:{event.id}")
        _tell_the_crm(handoff, event)


def _amount_problem(amount_cents: int | None) -> str | None:
    return "Give the amount." if amount_cents is None or amount_cents <= 0 else None


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


# ---------------------------------------------------------------- feedback: the agent's and marketing's

def _unread():
    return Handoff.feedback_at.is_not(None) & (Handoff.feedback_seen_at.is_(None)
                                               | (Handoff.feedback_seen_at < Handoff.feedback_at))


def unread_feedback_count(agent_id: int) -> int:
    """How many of the agent's hand-offs have feedback they have not read (the top bar's count): one count over
    the agent's hand-offs (indexed by qualified_by_id)."""
    return db.session.scalar(select(func.count(Handoff.id)).where(Handoff.qualified_by_id == agent_id, _unread()))


FEEDBACK_PAGE_SIZE = 200


def open_feedback(agent: User) -> tuple[list[Handoff], set[int]]:
    """The agent's hand-offs, the latest feedback first (then the latest hand-offs), and which of them had
    feedback unread; opening the page marks it all read (a write only when there was some)."""
    unread = set(db.session.scalars(select(Handoff.id).where(Handoff.qualified_by_id == agent.id, _unread())))
    if unread:
        with writers.write_transaction(db.session):
            db.session.execute(update(Handoff).where(Handoff.id.in_(sorted(unread)), _unread())
                               .values(feedback_seen_at=utcnow()).execution_options(synchronize_session=False))
    rows = list(db.session.scalars(
        select(Handoff).where(Handoff.qualified_by_id == agent.id)
        .options(selectinload(Handoff.lead).selectinload(Lead.account), selectinload(Handoff.campaign),
                 selectinload(Handoff.assigned_to))
        .order_by(Handoff.feedback_at.is_(None), Handoff.feedback_at.desc(), Handoff.created_at.desc(),
                  Handoff.id.desc()).limit(FEEDBACK_PAGE_SIZE)))
    return rows, unread


@dataclass(frozen=True)
class CampaignFeedback:
    """What sales made of a campaign's hand-offs: each one, and the totals."""
    handoffs: list[Handoff]
    handed_over: int
    accepted: int
    awaiting: int
    rejected: dict[str, int]  # by RejectionKind
    won: int
    won_cents: int
    lost: int
    rated: int
    average_rating: float | None


def campaign_feedback(campaign_id: int) -> CampaignFeedback:
    """The campaign tab marketing reads: every hand-off of the campaign with its status, rejection, rating and
    outcome (the latest first), and totals counted in the database. "Handed over" counts hand-offs sales received
    (a re-routed lead counts once for each member it reached), not those still in marketing's review."""
    in_campaign = (Handoff.campaign_id == campaign_id, Handoff.status != HandoffStatus.REVIEW)
    rows = list(db.session.scalars(
        select(Handoff).where(*in_campaign)
        .options(selectinload(Handoff.lead).selectinload(Lead.account), selectinload(Handoff.assigned_to),
                 selectinload(Handoff.qualified_by))
        .order_by(Handoff.created_at.desc(), Handoff.id.desc()).limit(FEEDBACK_PAGE_SIZE)))
    by_status = dict(db.session.execute(select(Handoff.status, func.count(Handoff.id)).where(*in_campaign)
                                        .group_by(Handoff.status)).all())
    rejected = dict(db.session.execute(
        select(Handoff.rejection_kind, func.count(Handoff.id)).where(
            *in_campaign, Handoff.status == HandoffStatus.REJECTED).group_by(Handoff.rejection_kind)).all())
    won, won_cents, lost, rated, average = db.session.execute(select(
        func.count(Handoff.id).filter(Handoff.outcome == Outcome.WON),
        func.coalesce(func.sum(Handoff.won_cents).filter(Handoff.outcome == Outcome.WON), 0),
        func.count(Handoff.id).filter(Handoff.outcome == Outcome.LOST),
        func.count(Handoff.rating), func.avg(Handoff.rating)).where(*in_campaign)).one()
    return CampaignFeedback(
        handoffs=rows, handed_over=sum(by_status.values()), accepted=by_status.get(HandoffStatus.ACCEPTED, 0),
        awaiting=by_status.get(HandoffStatus.PENDING, 0),
        rejected={kind: rejected.get(kind, 0) for kind in RejectionKind.LABELS} | (
            {"": rejected[None]} if rejected.get(None) else {}),
        won=won, won_cents=int(won_cents or 0), lost=lost, rated=rated,
        average_rating=float(average) if average is not None else None)
