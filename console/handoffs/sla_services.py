"""SLA policies (a campaign's own, else the default an admin sets, else the built-in one), the snapshot a hand-off
keeps, sales teams, a hand-off's clocks now, and breaches: found, recorded once and escalated through the outbox.

The sales pages' lists by clock (inbox, team view, badge) are in sales_inbox.py: they read through
handoffs.services.visible_to, and services.create_handoff reads this module's snapshot."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

import holidays as holiday_data
from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite

from console.audit import services as audit
from console.auth import services as accounts
from console.auth.models import Role, User
from console.clock import utcnow
from console.compliance.rules import is_zone_name
from console.database import writers
from console.extensions import db
from console.handoffs import sla
from console.handoffs.models import Handoff, HandoffStatus, SlaBreach, SlaPolicy
from console.outbox import services as outbox
from console.web import absolute_url_for, path_for

class PolicyInvalid(Exception):
    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(problems.values()))


# ---------------------------------------------------------------- policies

def policy_row(campaign_id: int | None) -> SlaPolicy | None:
    """The row a campaign's hand-offs run by: its own, else the default (campaign_id None), else None."""
    if campaign_id is not None:
        own = own_policy(campaign_id)
        if own is not None:
            return own
    return db.session.scalar(select(SlaPolicy).where(SlaPolicy.campaign_id.is_(None)))


def own_policy(campaign_id: int) -> SlaPolicy | None:
    return db.session.scalar(select(SlaPolicy).where(SlaPolicy.campaign_id == campaign_id))


def default_policy() -> SlaPolicy | None:
    return db.session.scalar(select(SlaPolicy).where(SlaPolicy.campaign_id.is_(None)))


def snapshot(campaign_id: int | None) -> dict:
    """What Handoff.sla keeps of the policy in force for a campaign now: the minutes, the amber percent, the review
    step and the calendar (the built-in defaults when no policy is set)."""
    row = policy_row(campaign_id)
    if row is None:
        return dict(sla.DEFAULTS)
    return row_values(row)


def row_values(row: SlaPolicy) -> dict:
    return {"requires_review": bool(row.requires_review), "handover_minutes": row.handover_minutes,
            "accept_minutes": row.accept_minutes, "first_contact_minutes": row.first_contact_minutes,
            "amber_percent": row.amber_percent, "time_zone": row.time_zone,
            "day_start": row.day_start.strftime("%H:%M"), "day_end": row.day_end.strftime("%H:%M"),
            "work_days": [int(day) for day in row.work_days], "holiday_country": row.holiday_country,
            "holiday_subdivision": row.holiday_subdivision}


def policy_for(handoff: Handoff, memo: dict | None = None) -> sla.Policy:
    """The policy a hand-off's clocks run by: its snapshot; one made before snapshots, its campaign's now."""
    if handoff.sla:
        return sla.policy_from_snapshot(handoff.sla)
    memo = {} if memo is None else memo
    if handoff.campaign_id not in memo:
        memo[handoff.campaign_id] = sla.policy_from_snapshot(snapshot(handoff.campaign_id))
    return memo[handoff.campaign_id]


@dataclass(frozen=True)
class PolicyValues:
    requires_review: bool
    handover_minutes: int | None
    accept_minutes: int | None
    first_contact_minutes: int | None
    amber_percent: int | None
    time_zone: str
    day_start: time | None
    day_end: time | None
    work_days: list[int] = field(default_factory=list)
    holiday_country: str = ""
    holiday_subdivision: str = ""


MAX_MINUTES = 60 * 24 * 60  # sixty days' worth of business minutes: a typo beyond it, not an agreement


def policy_problems(values: PolicyValues) -> dict[str, str]:
    """Everything wrong with a policy as typed, by field."""
    problems = {}
    for name in ("handover_minutes", "accept_minutes", "first_contact_minutes"):
        minutes = getattr(values, name)
        if minutes is None or not 1 <= minutes <= MAX_MINUTES:
            problems[name] = f"Give a number of business minutes from 1 to {MAX_MINUTES:,}."
    if values.amber_percent is None or not 1 <= values.amber_percent <= 99:
        problems["amber_percent"] = "Give a percent from 1 to 99."
    if not is_zone_name(values.time_zone or ""):
        problems["time_zone"] = "Not a time zone name: write one like America/New_York."
    if values.day_start is None or values.day_end is None:
        problems["day_end"] = "Give the time the working day starts and the time it ends."
    elif values.day_end <= values.day_start:
        problems["day_end"] = "The end comes after the start (hours past midnight are not supported)."
    if not values.work_days or not set(values.work_days) <= set(range(1, 8)):
        problems["work_days"] = "Choose at least one working day."
    country = (values.holiday_country or "").strip().upper()
    subdivision = (values.holiday_subdivision or "").strip()
    supported = holiday_data.list_supported_countries()
    if country and country not in supported:
        problems["holiday_country"] = "Not a country the holiday calendar knows: write a code like US, GB or FR."
    elif subdivision and not country:
        problems["holiday_subdivision"] = "A subdivision needs its country."
    elif subdivision and subdivision.upper() not in {code.upper() for code in supported[country]}:
        problems["holiday_subdivision"] = (f"{country} has no subdivision {subdivision!r}: write one like "
                                           f"{', '.join(supported[country][:3]) or 'none'}.")
    return problems


def _subdivision_code(country: str, subdivision: str) -> str | None:
    if not subdivision:
        return None
    for code in holiday_data.list_supported_countries()[country]:
        if code.upper() == subdivision.upper():
            return code
    return None


def save_policy(actor: User, campaign_id: int | None, values: PolicyValues) -> SlaPolicy:
    """Save the default policy (campaign_id None: an admin's) or a campaign's own; audited. Raises PolicyInvalid
    with every problem, saving nothing."""
    problems = policy_problems(values)
    if problems:
        raise PolicyInvalid(problems)
    country = (values.holiday_country or "").strip().upper() or None
    with writers.write_transaction(db.session):
        row = own_policy(campaign_id) if campaign_id is not None else default_policy()
        before = row_values(row) if row is not None else None
        if row is None:
            row = SlaPolicy(campaign_id=campaign_id)
            db.session.add(row)
        row.requires_review = values.requires_review
        row.handover_minutes, row.accept_minutes = values.handover_minutes, values.accept_minutes
        row.first_contact_minutes, row.amber_percent = values.first_contact_minutes, values.amber_percent
        row.time_zone, row.day_start, row.day_end = values.time_zone.strip(), values.day_start, values.day_end
        row.work_days = "".join(str(day) for day in sorted(set(values.work_days)))
        row.holiday_country = country
        row.holiday_subdivision = _subdivision_code(country, values.holiday_subdivision.strip()) if country else None
        row.updated_by_id = actor.id
        db.session.flush()
        audit.record("sla.policy_saved", row, actor=actor, campaign_id=campaign_id, before=before,
                     after=row_values(row))
    return row


def use_default(actor: User, campaign_id: int) -> bool:
    """A campaign goes back to the default policy (its own is removed); audited. False when it had none."""
    with writers.write_transaction(db.session):
        row = own_policy(campaign_id)
        if row is None:
            return False
        audit.record("sla.policy_removed", row, actor=actor, campaign_id=campaign_id, before=row_values(row))
        db.session.delete(row)
    return True


# ---------------------------------------------------------------- sales teams

def sales_members() -> list[User]:
    """Every sales member (active first), by team and name: the policy page's team list."""
    return list(db.session.scalars(select(User).where(User.role == Role.SALES)
                                   .order_by(User.active.desc(), User.sales_team, User.full_name, User.id)))


def sales_member(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and user.role == Role.SALES else None


def save_sales_team(actor: User, user: User, team: str | None, manager: bool) -> None:
    """Put a sales member in a team (None: none), as its manager or not; audited."""
    team = (team or "").strip() or None
    if manager and team is None:
        raise PolicyInvalid({"sales_team": "A manager manages a team: name the team."})
    with writers.write_transaction(db.session):
        before = {"sales_team": user.sales_team, "sales_manager": user.sales_manager}
        accounts.set_sales_team(user, team, manager)
        audit.record("user.sales_team_changed", user, actor=actor, before=before,
                     after={"sales_team": team, "sales_manager": manager})


def team_managers(team: str | None) -> list[int]:
    """The active managers of a sales team (ids)."""
    if not team:
        return []
    return list(db.session.scalars(select(User.id).where(
        User.role == Role.SALES, User.active.is_(True), User.sales_manager.is_(True), User.sales_team == team)))


# ---------------------------------------------------------------- the sales pages

@dataclass(frozen=True)
class ClockedHandoff:
    """A hand-off with its clocks now, and the one that decides where it sorts."""

    handoff: Handoff
    clocks: list[sla.ClockReading]
    urgent: sla.ClockReading | None

    @property
    def overdue(self) -> bool:
        return any(reading.overdue for reading in self.clocks)

    @property
    def sort_key(self):
        return (self.urgent.due_at if self.urgent else datetime.max, self.handoff.id)


def clocked(handoff: Handoff, now: datetime, memo: dict | None = None) -> ClockedHandoff:
    readings = sla.clocks(times_of(handoff), policy_for(handoff, memo), now)
    return ClockedHandoff(handoff, readings, sla.most_urgent(readings))


def times_of(handoff: Handoff) -> sla.HandoffTimes:
    return sla.HandoffTimes(handoff.created_at, handoff.released_at, handoff.decided_at, handoff.first_contact_at,
                            rejected=handoff.status == HandoffStatus.REJECTED)


def packet_clocks(handoff: Handoff, now: datetime | None = None) -> list[sla.ClockReading]:
    """The clocks the packet shows."""
    return clocked(handoff, now or utcnow()).clocks


# ---------------------------------------------------------------- breaches

@dataclass(frozen=True)
class DueClock:
    handoff: Handoff
    reading: sla.ClockReading


def due_clocks(now: datetime) -> list[DueClock]:
    """Every open clock past its due time with no breach recorded yet. Reads only hand-offs that can breach: in
    review (marketing's clock), pending (accept, first contact) or accepted without first contact."""
    def unrecorded(clock: str):
        return ~select(SlaBreach.id).where(SlaBreach.handoff_id == Handoff.id, SlaBreach.clock == clock).exists()

    # A hand-off whose clocks have all been recorded is not read again: an accepted lead nobody contacts would
    # otherwise be read every minute for ever.
    query = select(Handoff).where(or_(
        (Handoff.status == HandoffStatus.REVIEW) & unrecorded(sla.Clock.HANDOVER),
        (Handoff.status == HandoffStatus.PENDING) & or_(unrecorded(sla.Clock.ACCEPT),
                                                        unrecorded(sla.Clock.FIRST_CONTACT)),
        (Handoff.status == HandoffStatus.ACCEPTED) & Handoff.first_contact_at.is_(None)
        & unrecorded(sla.Clock.FIRST_CONTACT)))
    candidates = list(db.session.scalars(query))
    if not candidates:
        return []
    recorded = set(db.session.execute(select(SlaBreach.handoff_id, SlaBreach.clock).where(
        SlaBreach.handoff_id.in_([handoff.id for handoff in candidates]))).tuples())
    memo: dict = {}
    due = []
    for handoff in candidates:
        for reading in clocked(handoff, now, memo).clocks:
            if reading.overdue and (handoff.id, reading.clock) not in recorded:
                due.append(DueClock(handoff, reading))
    return due


def record_breach(handoff_id: int, clock: str, now: datetime | None = None) -> SlaBreach | None:
    """Record that a clock of a hand-off ran out and escalate it, once: the breach row and every message in one
    transaction of its own. None (nothing written) when it is already recorded, by this run or another worker's,
    or when the clock is no longer overdue (the hand-off moved on meanwhile)."""
    now = now or utcnow()
    with writers.write_transaction(db.session):
        handoff = db.session.get(Handoff, handoff_id, populate_existing=True)
        reading = next((reading for reading in clocked(handoff, now).clocks if reading.clock == clock), None)
        if reading is None or not reading.overdue:
            return None
        table = SlaBreach.__table__
        connection = db.session.connection()
        insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(table)
        breach_id = connection.execute(
            insert.values(handoff_id=handoff.id, clock=clock, side=reading.side, due_at=reading.due_at,
                          breached_at=now, campaign_id=handoff.campaign_id, assigned_to_id=handoff.assigned_to_id)
            .on_conflict_do_nothing(index_elements=["handoff_id", "clock"]).returning(table.c.id)).scalar()
        if breach_id is None:
            return None
        breach = db.session.get(SlaBreach, breach_id)
        _escalate(handoff, reading, breach)
    return breach


def record_past_breaches(handoff: Handoff, now: datetime) -> int:
    """Record every clock of a hand-off whose times lie in the past and ran out, each at its due time, as the
    check would have then, without escalating (the moment to act on it has passed): demo history and backfills.
    Returns how many were recorded. Joins the caller's transaction."""
    recorded = set(db.session.scalars(select(SlaBreach.clock).where(SlaBreach.handoff_id == handoff.id)))
    missed = [reading for reading in clocked(handoff, now).clocks if reading.clock not in recorded and (
        reading.overdue or reading.state == sla.ClockState.MISSED)]
    db.session.add_all(SlaBreach(handoff_id=handoff.id, clock=reading.clock, side=reading.side,
                                 due_at=reading.due_at, breached_at=reading.due_at, campaign_id=handoff.campaign_id,
                                 assigned_to_id=handoff.assigned_to_id) for reading in missed)
    return len(missed)


def escalation_recipients(handoff: Handoff, clock: str) -> list[int]:
    """Who hears of a breach: a sales clock, the managers of the assignee's sales team (none: the admins) and
    marketing; marketing's clock, marketing and the admins."""
    marketing = accounts.active_ids_of(Role.MARKETING)
    if sla.Clock.SIDES[clock] == "marketing":
        return sorted(set(marketing) | set(accounts.active_ids_of(Role.ADMIN)))
    team = handoff.assigned_to.sales_team if handoff.assigned_to is not None else None
    managers = [user_id for user_id in team_managers(team) if user_id != handoff.assigned_to_id] or \
        accounts.active_ids_of(Role.ADMIN)
    return sorted(set(managers) | set(marketing))


def _escalate(handoff: Handoff, reading: sla.ClockReading, breach: SlaBreach) -> None:
    """In-app notice and email to each recipient, and the CRM webhook, in the breach's transaction. Sales managers
    and admins are sent to the packet; marketing (who cannot open packets) to the campaign's SLA tab."""
    lead = handoff.lead
    member = handoff.assigned_to
    key = f"sla.breached:{handoff.id}:{reading.clock}"
    title = f"SLA missed ({reading.title.lower()}): {lead.full_name}, {lead.account.name}"
    whose = f"{member.full_name}'s" if reading.side == "sales" and member is not None else "Marketing's"
    body = (f"{whose} time to {reading.title.lower()} ran out at {reading.due_at:%b %d %H:%M} UTC "
            f"({sla.duration(reading.minutes)} of business time).")
    recipients = db.session.scalars(select(User).where(User.id.in_(escalation_recipients(handoff, reading.clock)))
                                    .order_by(User.id)).all()
    pages = {"packet": ("handoffs.packet", {"handoff_id": handoff.id}),
             "campaign": ("sla.campaign", {"campaign_id": handoff.campaign_id})}
    for page, (endpoint, arguments) in pages.items():
        readers = [user for user in recipients if (user.role == Role.MARKETING) == (page == "campaign")]
        if not readers:
            continue
        outbox.notify([user.id for user in readers], title, body=body, url=path_for(endpoint, **arguments),
                      dedupe_key=f"{key}:notification:{page}")
        link = absolute_url_for(endpoint, **arguments)
        for user in readers:
            outbox.email(user.email, title, "sla_breached", {
                "recipient": user, "lead": lead, "handoff": handoff, "member": member, "reading": reading,
                "body": body, "link": link, "link_text": "Open the hand-off packet" if page == "packet"
                else "Open the campaign's SLA"}, dedupe_key=f"{key}:email:{user.id}")
    outbox.webhook("handoff.sla_breached", {
        "handoff_id": handoff.id, "clock": reading.clock, "side": reading.side,
        "due_at": reading.due_at.isoformat() + "Z", "breached_at": breach.breached_at.isoformat() + "Z",
        "business_minutes": reading.minutes, "campaign_id": handoff.campaign_id,
        "assigned_to": member.email if member is not None else None, "lead_id": handoff.lead_id}, dedupe_key=key)


def check_breaches(now: datetime | None = None) -> dict:
    """The worker's check: records and escalates every clock that ran out since the last one."""
    now = now or utcnow()
    found = due_clocks(now)
    recorded = sum(record_breach(due.handoff.id, due.reading.clock, now) is not None for due in found)
    return {"overdue": len(found), "recorded": recorded}
