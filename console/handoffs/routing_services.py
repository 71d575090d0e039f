"""Hand-off routing rules stored and applied: each scope's rules (a campaign's, or the global default), their
round-robin cursors, routing a hand-off, the Test form's preview, and sales members' availability.

`route` joins the caller's transaction (the hand-off's); the rule edits and `save_availability` own theirs.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from console.audit import services as audit
from console.auth import services as accounts
from console.auth.models import Role, User
from console.clock import utcnow
from console.compliance.rules import is_zone_name
from console.database import writers
from console.extensions import db
from console.handoffs import routing
from console.handoffs.models import Handoff, HandoffStatus, RoutingCursor, RoutingRule
from console.leads.models import Lead

CATCH_ALL_NAME = "Everyone else"


class RuleInvalid(Exception):
    """A rule that cannot be stored, with what is wrong by form field."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


class RoutingRefused(Exception):
    """An edit the catch-all does not allow, or one made against a list that changed."""


def scope_rules(campaign_id: int | None) -> list[RoutingRule]:
    """One scope's rules in order (the global default's when campaign_id is None)."""
    scope = RoutingRule.campaign_id.is_(None) if campaign_id is None else RoutingRule.campaign_id == campaign_id
    return list(db.session.scalars(select(RoutingRule).where(scope).order_by(RoutingRule.position, RoutingRule.id)))


def rules_in_force(campaign_id: int | None) -> list[RoutingRule]:
    """The campaign's own rules, or the global ones when it has none (none at all: the built-in default); read in
    one statement (it runs in the qualifying disposition's write transaction)."""
    scope = RoutingRule.campaign_id.is_(None)
    if campaign_id is not None:
        scope = or_(scope, RoutingRule.campaign_id == campaign_id)
    rows = db.session.scalars(select(RoutingRule).where(scope).order_by(
        RoutingRule.campaign_id.is_(None), RoutingRule.position, RoutingRule.id)).all()
    own = [row for row in rows if row.campaign_id is not None]
    return own or list(rows)


def routing_members() -> dict[int, routing.Member]:
    """Every active sales member as routing sees them: availability, open hand-offs, the last one given."""
    pending = (select(Handoff.assigned_to_id, func.count(Handoff.id).label("open"))
               .where(Handoff.status == HandoffStatus.PENDING).group_by(Handoff.assigned_to_id).subquery())
    last = select(Handoff.assigned_to_id, func.max(Handoff.id).label("last_id")).group_by(
        Handoff.assigned_to_id).subquery()
    rows = db.session.execute(
        select(User, func.coalesce(pending.c.open, 0), func.coalesce(last.c.last_id, 0))
        .outerjoin(pending, pending.c.assigned_to_id == User.id).outerjoin(last, last.c.assigned_to_id == User.id)
        .where(User.role == Role.SALES, User.active.is_(True)).order_by(User.id))
    return {user.id: routing.Member(user.id, user.full_name, away=user.away, open_handoffs=open_count,
                                    last_assigned=last_id, hours=_hours(user))
            for user, open_count, last_id in rows}


def _hours(user: User) -> routing.WorkingHours | None:
    if user.time_zone and not is_zone_name(user.time_zone):
        return None
    return routing.hours_from_data(user.working_hours, user.time_zone)


def lead_facts(lead, band: str | None) -> routing.LeadFacts:
    """What routing reads of a lead; `band` is the score band the hand-off is made with."""
    account = lead.account
    return routing.LeadFacts(state=lead.state, country=lead.country, industry=account.industry if account else None,
                             employees=account.employees if account else None, band=band, persona=lead.buying_role)


def route(campaign_id: int | None, facts: routing.LeadFacts,
          exclude: frozenset[int] = frozenset()) -> tuple[User, routing.Decision]:
    """The sales member a hand-off goes to, and why (never one in `exclude`); the deciding rule's cursor moves.
    Joins the caller's transaction: the scope's cursors are locked (FOR UPDATE, PostgreSQL) until it commits, so
    two hosts routing at once take turns rather than give the same member the same turn."""
    rows = rules_in_force(campaign_id)
    cursors = _cursors([row.id for row in rows], lock=True)
    decision = routing.decide([row.rule for row in rows], routing_members(), facts, utcnow(),
                              {rule_id: cursor.state for rule_id, cursor in cursors.items()}, exclude)
    if decision.cursor is not None and decision.rule_id is not None:
        cursor = cursors.get(decision.rule_id)
        if cursor is None:
            db.session.add(RoutingCursor(rule_id=decision.rule_id, state=decision.cursor))
        else:
            cursor.state = decision.cursor
    return db.session.get(User, decision.member_id), decision


def preview(campaign_id: int | None, facts: routing.LeadFacts) -> routing.Decision:
    """Where a lead would go now and which rule would decide (the Test form); nothing moves."""
    rows = rules_in_force(campaign_id)
    cursors = _cursors([row.id for row in rows], lock=False)
    return routing.decide([row.rule for row in rows], routing_members(), facts, utcnow(),
                          {rule_id: cursor.state for rule_id, cursor in cursors.items()})


def _cursors(rule_ids: list[int], *, lock: bool) -> dict[int, RoutingCursor]:
    if not rule_ids:
        return {}
    query = select(RoutingCursor).where(RoutingCursor.rule_id.in_(rule_ids)).order_by(RoutingCursor.rule_id)
    if lock and db.engine.dialect.name != "sqlite":
        query = query.with_for_update()
    return {cursor.rule_id: cursor for cursor in db.session.scalars(query)}


def sales_members() -> list[User]:
    """Who a rule may name: every active sales member, by name."""
    return list(db.session.scalars(select(User).where(User.role == Role.SALES, User.active.is_(True))
                                   .order_by(User.full_name, User.id)))


@dataclass(frozen=True)
class RuleValues:
    name: str
    conditions: routing.Conditions
    method: str
    members: tuple[tuple[int, int], ...]


def _checked(values: RuleValues, catch_all: bool) -> None:
    rule = routing.Rule(None, values.name, values.conditions, values.method, values.members)
    problems = routing.rule_problems(rule, catch_all, {user.id for user in sales_members()})
    if problems:
        raise RuleInvalid(problems)


def _store(row: RoutingRule, values: RuleValues) -> None:
    row.name = values.name.strip()
    row.conditions = routing.conditions_data(values.conditions)
    row.method = values.method
    row.members = [list(pair) for pair in values.members]


def _fresh_cursor(rule_id: int) -> None:
    """The rule's cursor row, empty: it exists from the rule's first day, so routing can lock it."""
    cursor = db.session.get(RoutingCursor, rule_id)
    if cursor is None:
        db.session.add(RoutingCursor(rule_id=rule_id, state={}))
    else:
        cursor.state = {}


def _renumber(rows: list[RoutingRule]) -> None:
    """Positions 1..n in this order, the catch-all last whatever was asked."""
    ordered = [row for row in rows if not row.catch_all] + [row for row in rows if row.catch_all]
    for position, row in enumerate(ordered, start=1):
        row.position = position


def add_rule(actor: User, campaign_id: int | None, values: RuleValues) -> RoutingRule:
    """A new rule just above the scope's catch-all; a scope's first rule brings its catch-all (every active sales
    member by workload: the built-in default), which the rule's author may then change."""
    with writers.write_transaction(db.session):
        _checked(values, catch_all=False)
        rows = scope_rules(campaign_id)
        if not rows:
            catch_all = RoutingRule(campaign_id=campaign_id, position=1, name=CATCH_ALL_NAME, catch_all=True,
                                    conditions=routing.conditions_data(routing.Conditions()),
                                    method=routing.Method.WORKLOAD, members=[])
            db.session.add(catch_all)
            rows = [catch_all]
        row = RoutingRule(campaign_id=campaign_id, position=0, catch_all=False)
        _store(row, values)
        db.session.add(row)
        _renumber(rows + [row])
        db.session.flush()
        for stored in rows + [row]:
            if db.session.get(RoutingCursor, stored.id) is None:
                _fresh_cursor(stored.id)
        audit.record("routing.rule_added", row, actor=actor, campaign_id=campaign_id, name=row.name,
                     position=row.position, conditions=row.conditions, method=row.method, members=row.members)
        return row


def save_rule(actor: User, rule: RoutingRule, values: RuleValues) -> RoutingRule:
    with writers.write_transaction(db.session):
        _checked(values, catch_all=rule.catch_all)
        before = {"name": rule.name, "conditions": rule.conditions, "method": rule.method, "members": rule.members}
        _store(rule, values)
        _fresh_cursor(rule.id)  # a changed pool starts its turns afresh
        audit.record("routing.rule_changed", rule, actor=actor, campaign_id=rule.campaign_id, before=before,
                     after={"name": rule.name, "conditions": rule.conditions, "method": rule.method,
                            "members": rule.members})
        return rule


def delete_rule(actor: User, rule: RoutingRule) -> None:
    """Remove a rule; the catch-all goes only as the scope's last rule (the campaign then follows the global
    rules)."""
    with writers.write_transaction(db.session):
        rows = scope_rules(rule.campaign_id)
        if rule.catch_all and len(rows) > 1:
            raise RoutingRefused("The catch-all stays while other rules need it: delete them first.")
        db.session.execute(RoutingCursor.__table__.delete().where(RoutingCursor.rule_id == rule.id))
        audit.record("routing.rule_deleted", rule, actor=actor, campaign_id=rule.campaign_id, name=rule.name,
                     position=rule.position)
        db.session.delete(rule)
        _renumber([row for row in rows if row.id != rule.id])


def move_rule(actor: User, rule: RoutingRule, up: bool) -> None:
    """Swap a rule with the one above or below it; the catch-all stays last."""
    with writers.write_transaction(db.session):
        if rule.catch_all:
            raise RoutingRefused("The catch-all is always the last rule.")
        rows = [row for row in scope_rules(rule.campaign_id) if not row.catch_all]
        index = rows.index(rule)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(rows):
            raise RoutingRefused("This rule is already the first." if up else
                                 "This rule is already the last before the catch-all.")
        rows[index], rows[other] = rows[other], rows[index]
        _renumber(rows + [row for row in scope_rules(rule.campaign_id) if row.catch_all])
        audit.record("routing.rule_moved", rule, actor=actor, campaign_id=rule.campaign_id, name=rule.name,
                     position=rule.position)


def rule_scopes(campaign_names: dict[int, str]) -> list[tuple[int | None, str, list[RoutingRule]]]:
    """The routing page: the global rules, then each campaign that has its own, by name."""
    rows = list(db.session.scalars(select(RoutingRule).order_by(RoutingRule.campaign_id, RoutingRule.position)))
    by_scope: dict[int | None, list[RoutingRule]] = {}
    for row in rows:
        by_scope.setdefault(row.campaign_id, []).append(row)
    scopes = [(None, "Global default (every campaign without rules of its own)", by_scope.pop(None, []))]
    scopes += sorted(((campaign_id, campaign_names.get(campaign_id, f"Campaign #{campaign_id}"), scope)
                      for campaign_id, scope in by_scope.items()), key=lambda item: item[1].casefold())
    return scopes


def member_names() -> dict[int, str]:
    return {user.id: user.full_name for user in db.session.scalars(select(User).where(User.role == Role.SALES))}


def save_availability(actor: User, user: User, away: bool, working_hours: dict | None, time_zone: str | None) -> None:
    """A sales member's availability for routing, set by themselves or an admin; audited."""
    with writers.write_transaction(db.session):
        if time_zone and not is_zone_name(time_zone):
            raise RuleInvalid({"time_zone": "Not a time zone name: write one like America/New_York."})
        if working_hours and not time_zone:
            raise RuleInvalid({"time_zone": "Working hours need the time zone they are kept in."})
        before = {"away": user.away, "working_hours": user.working_hours, "time_zone": user.time_zone}
        accounts.set_availability(user, away, working_hours, time_zone)
        audit.record("user.availability_changed", user, actor=actor, before=before,
                     after={"away": away, "working_hours": working_hours, "time_zone": time_zone})


def test_lead(lead_id: int):
    """A lead the Test form routes as it is now (its own campaign's rules), or None."""
    return db.session.get(Lead, lead_id)


def availability_rows() -> list[tuple[User, routing.WorkingHours | None]]:
    """The routing page's sales members: each with the working hours routing reads (None: any time)."""
    return [(user, _hours(user)) for user in sales_members()]


def sales_member(user_id: int) -> User | None:
    """A sales member whose availability an admin may set, or None."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.role == Role.SALES else None


def rule(rule_id: int) -> RoutingRule | None:
    return db.session.get(RoutingRule, rule_id)
