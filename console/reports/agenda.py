"""The alignment meeting: meetings and their decisions (the one writer of both), and the agenda generated for a
meeting's period: headline figures against the previous period, rejected hand-offs, SLA breaches on both sides,
the objections that lost most, the lowest-rated leads, guide and lead-definition changes since the last meeting,
open proposals, and the decisions of earlier meetings still to be done."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import and_, case, func, or_, select

from console.audit import services as audit
from console.auth.models import Role, User
from console.calls.models import Call, CallStatus
from console.campaigns.models import Campaign
from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.guides.models import CallGuide, GuideVersion
from console.handoffs.models import Handoff, HandoffStatus, Outcome, RejectionKind, RejectionResult, SlaBreach
from console.handoffs.sla import Clock
from console.leads.models import Account, Lead
from console.outbox import services as outbox
from console.reports import rules, services
from console.reports.alignment_rules import change, previous_period
from console.reports.models import AlignmentDecision, AlignmentMeeting
from console.reports.objections import ObjectionLine, day_bounds, objection_report
from console.scoring import services as scoring
from console.scoring.models import DefinitionVersion
from console.web import absolute_url_for

LIST_LIMIT = 10  # rows per agenda list: a meeting talks about the worst few, the reports hold the rest
OBJECTIONS_LISTED = 5


class AgendaError(Exception):
    """A refused meeting change, in words for the page."""


# ---------------------------------------------------------------- meetings and decisions

def meetings() -> list[AlignmentMeeting]:
    return list(db.session.scalars(select(AlignmentMeeting)
                                   .order_by(AlignmentMeeting.held_on.desc(), AlignmentMeeting.id.desc())))


def meeting(meeting_id: int) -> AlignmentMeeting | None:
    return db.session.get(AlignmentMeeting, meeting_id)


def decision(decision_id: int) -> AlignmentDecision | None:
    return db.session.get(AlignmentDecision, decision_id)


def people() -> list[User]:
    """Who may take part: the active sales members, marketing managers and admins."""
    return list(db.session.scalars(select(User).where(User.active.is_(True),
                                                      User.role.in_((Role.SALES, Role.MARKETING, Role.ADMIN)))
                                   .order_by(User.full_name, User.id)))


def sales_seat_candidates() -> list[User]:
    """Who may take the rotating sales seat: active sales members, managers first (seed 000: "regional sales
    managers on a rotating basis")."""
    return list(db.session.scalars(select(User).where(User.active.is_(True), User.role == Role.SALES)
                                   .order_by(User.sales_manager.desc(), User.full_name, User.id)))


def next_sales_seat() -> int | None:
    """The sales manager whose turn it is: never seated yet, else seated longest ago (any sales member when there
    is no manager)."""
    last_seat = (select(AlignmentMeeting.sales_participant_id.label("user_id"),
                        func.max(AlignmentMeeting.held_on).label("held_on"))
                 .group_by(AlignmentMeeting.sales_participant_id).subquery())
    return db.session.scalar(
        select(User.id).outerjoin(last_seat, last_seat.c.user_id == User.id)
        .where(User.active.is_(True), User.role == Role.SALES)
        .order_by(User.sales_manager.desc(), last_seat.c.held_on.is_not(None), last_seat.c.held_on, User.full_name)
        .limit(1))


def previous_meeting(of: AlignmentMeeting) -> AlignmentMeeting | None:
    """The meeting held just before this one (same day: the one created before it)."""
    return db.session.scalar(
        select(AlignmentMeeting).where(or_(AlignmentMeeting.held_on < of.held_on,
                                           and_(AlignmentMeeting.held_on == of.held_on, AlignmentMeeting.id < of.id)))
        .order_by(AlignmentMeeting.held_on.desc(), AlignmentMeeting.id.desc()).limit(1))


def _users(ids) -> list[User]:
    ids = set(ids)
    found = list(db.session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True),
                                                       User.role.in_((Role.SALES, Role.MARKETING, Role.ADMIN)))))
    if len(found) != len(ids):
        raise AgendaError("Choose participants among the active sales members, marketing managers and admins.")
    return found


def create_meeting(actor: User, *, held_on: date, period_start: date, period_end: date,
                   sales_participant_id: int | None, participant_ids: list[int]) -> AlignmentMeeting:
    """A meeting and its participants (the rotating sales participant among them). Audited."""
    if period_end < period_start:
        raise AgendaError("The period ends before it starts.")
    with writers.write_transaction(db.session):
        participants = _users([*participant_ids, *([sales_participant_id] if sales_participant_id else [])])
        seat = next((user for user in participants if user.id == sales_participant_id), None)
        if sales_participant_id and (seat is None or seat.role != Role.SALES):
            raise AgendaError("The rotating seat is a sales member's.")
        row = AlignmentMeeting(held_on=held_on, period_start=period_start, period_end=period_end,
                               sales_participant_id=sales_participant_id, created_by_id=actor.id,
                               participants=participants)
        db.session.add(row)
        db.session.flush()
        audit.record("alignment.meeting_created", row, actor=actor, held_on=held_on.isoformat(),
                     period=f"{period_start.isoformat()}..{period_end.isoformat()}",
                     sales_participant_id=sales_participant_id, participant_ids=sorted(u.id for u in participants))
    return row


def add_decision(actor: User, meeting_id: int, *, text: str, owner_id: int, due_on: date | None) -> AlignmentDecision:
    """A decision recorded during the meeting, with its owner and due date. Audited."""
    with writers.write_transaction(db.session):
        row = db.session.get(AlignmentMeeting, meeting_id)
        if row is None:
            raise AgendaError("That meeting no longer exists.")
        _users([owner_id])
        item = AlignmentDecision(meeting_id=row.id, text=text.strip(), owner_id=owner_id, due_on=due_on,
                                 created_by_id=actor.id)
        db.session.add(item)
        db.session.flush()
        audit.record("alignment.decision_recorded", item, actor=actor, meeting_id=row.id, owner_id=owner_id,
                     due_on=due_on.isoformat() if due_on else None)
    return item


def mark_done(actor: User, decision_id: int) -> AlignmentDecision:
    """A decision done: it leaves the later agendas. Audited; marking it twice changes nothing."""
    with writers.write_transaction(db.session):
        item = db.session.get(AlignmentDecision, decision_id)
        if item is None:
            raise AgendaError("That decision no longer exists.")
        if item.done_at is None:
            item.done_at, item.done_by_id = utcnow(), actor.id
            audit.record("alignment.decision_done", item, actor=actor, meeting_id=item.meeting_id)
    return item


def send_agenda(actor: User, meeting_id: int) -> int:
    """The agenda by email to every participant, in this transaction (the outbox sends it). The dedupe key names
    the meeting, the participant and the agenda's content: a second click sends nothing, a changed agenda goes
    out again. Returns how many emails were queued. Audited."""
    with writers.write_transaction(db.session):
        row = db.session.get(AlignmentMeeting, meeting_id)
        if row is None:
            raise AgendaError("That meeting no longer exists.")
        if not row.participants:
            raise AgendaError("The meeting has no participants to send the agenda to.")
        content = agenda(row, services.viewer_zone(actor))
        link = absolute_url_for("alignment.meeting", meeting_id=row.id)
        text = current_app.jinja_env.get_template("outbox/email/alignment_agenda.txt").render(
            agenda=content, link=link, person=None)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        queued = 0
        for person in row.participants:
            queued += outbox.email(person.email, f"Agenda: alignment meeting on {row.held_on:%d %b %Y}",
                                   "alignment_agenda", {"agenda": content, "person": person, "link": link},
                                   dedupe_key=f"alignment.agenda:{row.id}:{person.id}:{digest}") is not None
        row.sent_at, row.sent_by_id = utcnow(), actor.id
        audit.record("alignment.agenda_sent", row, actor=actor, emails=queued,
                     to=sorted(person.id for person in row.participants))
    return queued


# ---------------------------------------------------------------- the agenda

@dataclass
class Figure:
    label: str
    now: int
    before: int
    money: bool = False

    @property
    def change(self) -> float | None:
        return change(self.now, self.before)


@dataclass
class RejectedHandoff:
    lead: str
    account: str
    campaign: str
    kind: str
    reason: str
    member: str
    decided_at: datetime


@dataclass
class Breaches:
    clock: str
    side: str
    now: int
    before: int


@dataclass
class RatedLead:
    lead: str
    account: str
    campaign: str
    rating: int
    comment: str
    member: str


@dataclass
class Change:
    kind: str  # "guide" or "definition"
    what: str
    note: str
    at: datetime


@dataclass
class Agenda:
    meeting: AlignmentMeeting
    previous_start: date
    previous_end: date
    last_meeting: AlignmentMeeting | None
    changes_since: date
    figures: list[Figure] = field(default_factory=list)
    rejected: list[RejectedHandoff] = field(default_factory=list)
    rejected_total: int = 0
    rejected_by_kind: list[tuple[str, int]] = field(default_factory=list)
    breaches: list[Breaches] = field(default_factory=list)
    losing_objections: list[ObjectionLine] = field(default_factory=list)
    lowest_rated: list[RatedLead] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    open_proposals: list[DefinitionVersion] = field(default_factory=list)
    carried: list[AlignmentDecision] = field(default_factory=list)  # last meeting's, and older ones still open
    recorded: list[AlignmentDecision] = field(default_factory=list)  # this meeting's
    zone: str = rules.DEFAULT_ZONE  # the days are read in it


def headline(start: date, end: date, zone: str) -> dict[str, int]:
    """The period's dials, qualified calls, hand-offs made, accepted, won and won revenue over every campaign: the
    totals of the campaign report (reports.services), so the agenda and the report never disagree on a figure."""
    totals = services.all_campaigns_report(start, end, zone).totals
    return {"dials": totals.dials, "qualified": totals.qualified, "handed_over": totals.handed_over,
            "accepted": totals.accepted, "won": totals.won, "revenue_cents": totals.won_cents}


FIGURES = (("dials", "Dials", False), ("qualified", "Qualified", False), ("handed_over", "Handed over", False),
           ("accepted", "Accepted by sales", False), ("won", "Won", False), ("revenue_cents", "Won revenue", True))


def _lead_columns():
    return (Lead.first_name + " " + Lead.last_name, Account.name, Campaign.name, User.full_name)


def _rejected(since: datetime, until: datetime):
    where = (Handoff.status == HandoffStatus.REJECTED, Handoff.decided_at >= since, Handoff.decided_at < until)
    total = db.session.scalar(select(func.count(Handoff.id)).where(*where))
    kinds = db.session.execute(select(Handoff.rejection_kind, func.count(Handoff.id)).where(*where)
                               .group_by(Handoff.rejection_kind).order_by(func.count(Handoff.id).desc())).all()
    rows = db.session.execute(
        select(*_lead_columns(), Handoff.rejection_kind, Handoff.rejection_reason, Handoff.decided_at)
        .join(Lead, Lead.id == Handoff.lead_id).join(Account, Account.id == Lead.account_id)
        .join(Campaign, Campaign.id == Handoff.campaign_id).join(User, User.id == Handoff.assigned_to_id)
        .where(*where).order_by(Handoff.decided_at.desc(), Handoff.id.desc()).limit(LIST_LIMIT)).all()
    listed = [RejectedHandoff(lead, account, campaign, RejectionKind.LABELS.get(kind, kind or ""), reason or "",
                              member, decided_at)
              for lead, account, campaign, member, kind, reason, decided_at in rows]
    return total, [(RejectionKind.LABELS.get(kind, kind or "Unknown"), count) for kind, count in kinds], listed


def _breaches(since, until, before_since, before_until) -> list[Breaches]:
    def counts(start, end):
        return dict(db.session.execute(select(SlaBreach.clock, func.count(SlaBreach.id))
                                       .where(SlaBreach.breached_at >= start, SlaBreach.breached_at < end)
                                       .group_by(SlaBreach.clock)).all())
    now, before = counts(since, until), counts(before_since, before_until)
    return [Breaches(Clock.LABELS[clock], Clock.SIDES[clock], now.get(clock, 0), before.get(clock, 0))
            for clock in Clock.ALL]


def _lowest_rated(since, until) -> list[RatedLead]:
    rows = db.session.execute(
        select(*_lead_columns(), Handoff.rating, Handoff.rating_comment)
        .join(Lead, Lead.id == Handoff.lead_id).join(Account, Account.id == Lead.account_id)
        .join(Campaign, Campaign.id == Handoff.campaign_id).join(User, User.id == Handoff.assigned_to_id)
        .where(Handoff.rating.is_not(None), Handoff.rated_at >= since, Handoff.rated_at < until)
        .order_by(Handoff.rating, Handoff.rated_at.desc(), Handoff.id).limit(LIST_LIMIT)).all()
    return [RatedLead(lead, account, campaign, rating, comment or "", member)
            for lead, account, campaign, member, rating, comment in rows]


def _changes(since: datetime) -> list[Change]:
    guides = db.session.execute(
        select(CallGuide.name, GuideVersion.number, GuideVersion.change_note, GuideVersion.published_at)
        .join(CallGuide, CallGuide.id == GuideVersion.guide_id)
        .where(GuideVersion.published_at >= since)).all()
    definitions = db.session.execute(
        select(DefinitionVersion.id, Campaign.name, DefinitionVersion.note, DefinitionVersion.activated_at)
        .outerjoin(Campaign, Campaign.id == DefinitionVersion.campaign_id)
        .where(DefinitionVersion.activated_at >= since)).all()
    found = [Change("guide", f"{name}: version {number} published", note or "", at) for name, number, note, at in guides]
    found += [Change("definition", f"Lead definition version {number} ({campaign or 'every campaign'}) in force",
                     note or "", at) for number, campaign, note, at in definitions]
    return sorted(found, key=lambda item: item.at, reverse=True)


def _carried(meeting: AlignmentMeeting, last: AlignmentMeeting | None) -> list[AlignmentDecision]:
    """The last meeting's decisions (done or not, with their owners), and every still-open decision of the
    meetings before it."""
    if last is None:
        return []
    earlier = or_(AlignmentMeeting.held_on < last.held_on,
                  and_(AlignmentMeeting.held_on == last.held_on, AlignmentMeeting.id < last.id))
    return list(db.session.scalars(
        select(AlignmentDecision).join(AlignmentMeeting, AlignmentMeeting.id == AlignmentDecision.meeting_id)
        .where(or_(AlignmentDecision.meeting_id == last.id, and_(earlier, AlignmentDecision.done_at.is_(None))))
        .order_by(AlignmentMeeting.held_on, AlignmentDecision.id)))


def agenda(meeting: AlignmentMeeting, zone: str = rules.DEFAULT_ZONE) -> Agenda:
    """Every section of the meeting's agenda, for its period (the previous period: as long, just before it), its
    days read in `zone` (the reader's, as every report)."""
    before_start, before_end = previous_period(meeting.period_start, meeting.period_end)
    since, until = day_bounds(meeting.period_start, meeting.period_end, zone)
    before_since, before_until = day_bounds(before_start, before_end, zone)
    last = previous_meeting(meeting)
    changes_since = last.held_on if last is not None else meeting.period_start
    result = Agenda(meeting, before_start, before_end, last, changes_since, zone=zone)
    now, before = (headline(meeting.period_start, meeting.period_end, zone),
                   headline(before_start, before_end, zone))
    result.figures = [Figure(label, now[key], before[key], money) for key, label, money in FIGURES]
    result.rejected_total, result.rejected_by_kind, result.rejected = _rejected(since, until)
    result.breaches = _breaches(since, until, before_since, before_until)
    losing = [line for line in objection_report(None, meeting.period_start, meeting.period_end, zone) if line.stats.failed]
    result.losing_objections = sorted(losing, key=lambda line: (-line.stats.failed, line.stats.qualified_share or 0,
                                                                line.objection))[:OBJECTIONS_LISTED]
    result.lowest_rated = _lowest_rated(since, until)
    result.changes = _changes(day_bounds(changes_since, None, zone)[0])
    result.open_proposals = scoring.open_proposals()
    result.carried = _carried(meeting, last)
    result.recorded = list(meeting.decisions)
    return result
