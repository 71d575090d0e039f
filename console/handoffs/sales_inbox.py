"""The sales side's lists by clock: a member's inbox in sections, a manager's team view, the top bar's badge."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from console.auth.models import Role, User
from console.clock import utcnow
from console.extensions import db
from console.handoffs import services as handoffs
from console.handoffs.models import Handoff, HandoffStatus, SlaBreach
from console.handoffs.sla_services import ClockedHandoff, clocked
from console.leads.models import Lead

BREACH_WINDOW = timedelta(days=30)  # the team view's "breaches in the last 30 days"


@dataclass
class Inbox:
    """A sales member's hand-offs by section, each sorted by clock (soonest due first)."""

    overdue: list[ClockedHandoff]
    new: list[ClockedHandoff]
    first_contact_due: list[ClockedHandoff]
    done: list[ClockedHandoff]


def inbox(user: User, now: datetime | None = None, done_limit: int = 50) -> Inbox:
    """What `user` sees (services.visible_to): overdue (any red clock), new (pending), accepted with first contact
    due; and the latest others (decided and contacted, or rejected)."""
    now = now or utcnow()
    options = (selectinload(Handoff.lead).selectinload(Lead.account), selectinload(Handoff.campaign),
               selectinload(Handoff.qualified_by), selectinload(Handoff.assigned_to))
    open_query = select(Handoff).where(
        or_(Handoff.status == HandoffStatus.PENDING,
            (Handoff.status == HandoffStatus.ACCEPTED) & Handoff.first_contact_at.is_(None))).options(*options)
    memo: dict = {}
    rows = [clocked(handoff, now, memo) for handoff in db.session.scalars(handoffs.visible_to(user, open_query))]
    rows.sort(key=lambda row: row.sort_key)
    done_query = (select(Handoff).where(
        or_(Handoff.status == HandoffStatus.REJECTED,
            (Handoff.status == HandoffStatus.ACCEPTED) & Handoff.first_contact_at.is_not(None)))
        .options(*options).order_by(Handoff.created_at.desc(), Handoff.id.desc()).limit(done_limit))
    done = [clocked(handoff, now, memo) for handoff in db.session.scalars(handoffs.visible_to(user, done_query))]
    return Inbox(overdue=[row for row in rows if row.overdue],
                 new=[row for row in rows if not row.overdue and row.handoff.status == HandoffStatus.PENDING],
                 first_contact_due=[row for row in rows if not row.overdue
                                    and row.handoff.status == HandoffStatus.ACCEPTED],
                 done=done)


def new_count(user: User) -> int:
    """The top bar's badge: hand-offs waiting for this sales member's decision (a manager: their own)."""
    return db.session.scalar(select(func.count(Handoff.id)).where(
        Handoff.assigned_to_id == user.id, Handoff.status == HandoffStatus.PENDING)) or 0


@dataclass
class MemberLoad:
    member: User
    open: int = 0
    new: int = 0
    overdue: list[ClockedHandoff] = field(default_factory=list)
    breaches: int = 0


def may_see_team(user: User) -> bool:
    return user.role == Role.ADMIN or bool(user.role == Role.SALES and user.sales_manager and user.sales_team)


def team_view(user: User, now: datetime | None = None) -> list[MemberLoad]:
    """By member (a manager: their team; an admin: every sales member): open workload (pending, or accepted and
    not yet won or lost), new, overdue hand-offs and breaches in the last 30 days."""
    now = now or utcnow()
    members_query = select(User).where(User.role == Role.SALES).order_by(User.sales_team, User.full_name, User.id)
    if user.role != Role.ADMIN:
        members_query = members_query.where(User.sales_team == user.sales_team)
    loads = {member.id: MemberLoad(member) for member in db.session.scalars(members_query)}
    if not loads:
        return []
    query = select(Handoff).where(Handoff.assigned_to_id.in_(loads), or_(
        Handoff.status == HandoffStatus.PENDING,
        (Handoff.status == HandoffStatus.ACCEPTED) & Handoff.outcome.is_(None))).options(
        selectinload(Handoff.lead).selectinload(Lead.account), selectinload(Handoff.campaign))
    memo: dict = {}
    for handoff in db.session.scalars(query):
        row = clocked(handoff, now, memo)
        load = loads[handoff.assigned_to_id]
        load.open += 1
        load.new += handoff.status == HandoffStatus.PENDING
        if row.overdue:
            load.overdue.append(row)
    for member_id, count in db.session.execute(
            select(SlaBreach.assigned_to_id, func.count(SlaBreach.id))
            .where(SlaBreach.assigned_to_id.in_(loads), SlaBreach.breached_at >= now - BREACH_WINDOW)
            .group_by(SlaBreach.assigned_to_id)):
        loads[member_id].breaches = count
    for load in loads.values():
        load.overdue.sort(key=lambda row: row.sort_key)
    return [loads[member_id] for member_id in loads if loads[member_id].member.active or loads[member_id].open]
