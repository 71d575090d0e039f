"""Hand-off routing as a pure rule: which sales member a qualified lead goes to, which rule decided, and why.

No Flask, no session: the rules, the members (with their availability and open workload), the lead's facts,
the time and each rule's round-robin cursor come in; a Decision (with the deciding rule's new cursor) comes
out. The caller stores the cursor in the hand-off's own transaction, so every web host shares it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Mapping
from zoneinfo import ZoneInfo


class Method:
    MEMBER = "member"
    ROUND_ROBIN = "round_robin"
    WEIGHTED = "weighted"
    WORKLOAD = "workload"
    LABELS = {MEMBER: "A named member", ROUND_ROBIN: "Round robin", WEIGHTED: "Weighted round robin",
              WORKLOAD: "Fewest open hand-offs"}
    WORDS = {MEMBER: "named member", ROUND_ROBIN: "round robin", WEIGHTED: "weighted round robin",
             WORKLOAD: "fewest open hand-offs"}


class Fallback:
    NONE = ""
    SOONEST = "soonest"  # nobody available anywhere: the catch-all's member available soonest
    ANY = "any"  # nobody ever available (all away): any active member


@dataclass(frozen=True)
class LeadFacts:
    """What routing reads of a lead; None is unknown and matches no condition that names values."""
    state: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: int | None = None
    band: str | None = None
    persona: str | None = None  # the lead's buying_role


def _folded(value: str | None) -> str:
    return (value or "").strip().casefold()


@dataclass(frozen=True)
class Conditions:
    """What a lead must be for a rule to take it; an empty condition is any lead."""
    states: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    size_min: int | None = None
    size_max: int | None = None
    bands: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.states or self.countries or self.industries or self.bands or self.personas) and \
            self.size_min is None and self.size_max is None

    def matched(self, lead: LeadFacts) -> list[str] | None:
        """The conditions the lead meets, in words, or None when one is not met."""
        words = []
        for label, wanted, value in (("state", self.states, lead.state), ("country", self.countries, lead.country),
                                     ("industry", self.industries, lead.industry), ("score band", self.bands,
                                                                                    lead.band),
                                     ("persona", self.personas, lead.persona)):
            if wanted:
                if _folded(value) not in {_folded(item) for item in wanted}:
                    return None
                words.append(f"{label} {value} matched")
        if self.size_min is not None or self.size_max is not None:
            if lead.employees is None:
                return None
            if self.size_min is not None and lead.employees < self.size_min:
                return None
            if self.size_max is not None and lead.employees > self.size_max:
                return None
            words.append(f"company size {lead.employees} matched")
        return words

    def describe(self) -> str:
        parts = []
        for label, values in (("state", self.states), ("country", self.countries), ("industry", self.industries),
                              ("band", self.bands), ("persona", self.personas)):
            if values:
                parts.append(f"{label} {', '.join(values)}")
        if self.size_min is not None or self.size_max is not None:
            low = self.size_min if self.size_min is not None else 0
            parts.append(f"size {low}–{self.size_max}" if self.size_max is not None else f"size {low}+")
        return "; ".join(parts) or "any lead"


@dataclass(frozen=True)
class Rule:
    """One routing rule; `members` are (member id, weight) in the order the rule lists them; an empty pool is
    every active member. The catch-all has no conditions and is always a scope's last rule."""
    id: int | None
    name: str
    conditions: Conditions = Conditions()
    method: str = Method.WORKLOAD
    members: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class WorkingHours:
    """The days (0 Monday .. 6 Sunday) and the hours a member takes hand-offs, in their own time zone."""
    zone: str
    days: frozenset[int] = frozenset(range(5))
    start: time = time(9)
    end: time = time(17)

    def _local(self, now: datetime) -> datetime:
        return _aware(now).astimezone(ZoneInfo(self.zone))

    def is_open(self, now: datetime) -> bool:
        local = self._local(now)
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_opening(self, now: datetime) -> datetime | None:
        """The next time (UTC, aware) these hours are open, now if they are; None if they never open."""
        if self.is_open(now):
            return _aware(now)
        local = self._local(now)
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            if day.weekday() not in self.days:
                continue
            opening = datetime.combine(day, self.start, tzinfo=ZoneInfo(self.zone))
            if opening > local:
                return opening.astimezone(timezone.utc)
        return None

    def describe(self) -> str:
        days = ", ".join(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[day] for day in sorted(self.days))
        return f"{days or 'no day'} {self.start:%H:%M}–{self.end:%H:%M} ({self.zone})"


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo else now.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Member:
    """An active sales member as routing sees them; `last_assigned` orders the idle first (0: never)."""
    id: int
    name: str
    away: bool = False
    hours: WorkingHours | None = None  # None: any time
    open_handoffs: int = 0
    last_assigned: int = 0

    def unavailable_because(self, now: datetime) -> str | None:
        if self.away:
            return "away"
        if self.hours is not None and not self.hours.is_open(now):
            return "outside working hours"
        return None

    def available_from(self, now: datetime) -> datetime | None:
        if self.away:
            return None
        return _aware(now) if self.hours is None else self.hours.next_opening(now)


@dataclass(frozen=True)
class Decision:
    member_id: int
    rule_id: int | None
    rule_position: int  # 1-based, in the scope's order
    rule_name: str
    explanation: tuple[str, ...]
    fallback: str = Fallback.NONE
    # The deciding rule's new round-robin cursor (None: the rule keeps none), to be stored by the caller.
    cursor: dict | None = None

    @property
    def note(self) -> str:
        return "; ".join(self.explanation)


class NoMember(Exception):
    """There is no active member at all to route to."""


@dataclass
class _Pick:
    member: Member
    cursor: dict | None
    words: str


def _pool(rule: Rule, members: Mapping[int, Member]) -> tuple[list[tuple[Member, int]], list[str]]:
    if not rule.members:
        return [(member, 1) for member in sorted(members.values(), key=lambda m: m.id)], []
    pool, gone = [], []
    for member_id, weight in rule.members:
        if member_id in members:
            pool.append((members[member_id], max(weight, 1)))
        else:
            gone.append(f"member #{member_id} no longer active, skipped")
    return pool, gone


def _pick(rule: Rule, order: list[int], candidates: list[tuple[Member, int]], cursor: Mapping | None) -> _Pick:
    """The rule's method over `candidates`, the available members (never empty) of its pool (`order`: every
    member id of the pool, in the rule's order)."""
    if rule.method == Method.ROUND_ROBIN:
        last = (cursor or {}).get("last")
        # The next after the last one given, in the rule's order (an unavailable one is passed over).
        start = order.index(last) + 1 if last in order else 0
        chosen = min((member for member, _weight in candidates),
                     key=lambda member: (order.index(member.id) - start) % len(order))
        return _Pick(chosen, {"last": chosen.id}, f"round robin → {chosen.name}")
    if rule.method == Method.WEIGHTED:
        # Smooth weighted round robin: each available member gains their weight, the highest is given the lead
        # and loses the total. Over many leads each gets their share, spread evenly.
        current = {int(key): value for key, value in ((cursor or {}).get("current") or {}).items()}
        total = sum(weight for _member, weight in candidates)
        for member, weight in candidates:
            current[member.id] = current.get(member.id, 0) + weight
        chosen = max(candidates, key=lambda pair: (current[pair[0].id], -candidates.index(pair)))[0]
        current[chosen.id] -= total
        return _Pick(chosen, {"current": {str(key): value for key, value in sorted(current.items())}},
                     f"weighted round robin → {chosen.name}")
    if rule.method == Method.MEMBER:
        chosen = candidates[0][0]
        return _Pick(chosen, None, f"→ {chosen.name}")
    chosen = min((member for member, _weight in candidates),
                 key=lambda member: (member.open_handoffs, member.last_assigned, member.id))
    return _Pick(chosen, None, f"fewest open hand-offs ({chosen.open_handoffs}) → {chosen.name}")


def decide(rules: list[Rule], members: Mapping[int, Member], lead: LeadFacts, now: datetime,
           cursors: Mapping[int, Mapping] | None = None, exclude: frozenset[int] = frozenset()) -> Decision:
    """Where the lead goes: the first rule that matches and has an available member decides.

    `rules` are one scope's, in order, the last a catch-all (one is added when it is missing: every active
    member by workload). When nobody anywhere is available, the catch-all's target gives the lead to its member
    available soonest, or failing that to any of its members; with none of its members active, to any
    active member. `exclude` are members who must not get it (they rejected it as wrongly routed): passed over
    by every rule and every fallback. Raises NoMember when no member is left.
    """
    if not members:
        raise NoMember("No active sales member to hand the lead to. Ask an admin to add one.")
    if not set(members) - set(exclude):
        raise NoMember("No other active sales member to hand the lead to: everyone left has rejected it.")
    rules = list(rules)
    if not rules or not rules[-1].conditions.is_empty:
        rules.append(Rule(None, "Built-in default"))
    cursors = cursors or {}
    notes: list[str] = []
    for position, rule in enumerate(rules, start=1):
        matched = rule.conditions.matched(lead)
        if matched is None:
            continue
        heading = f"Rule {position} '{rule.name}'"
        pool, words = _pool(rule, members)
        words = (matched or ["catch-all"]) + words
        available = []
        for member, weight in pool:
            reason = "rejected this lead" if member.id in exclude else member.unavailable_because(now)
            if reason:
                words.append(f"{member.name} {reason}, skipped")
            else:
                available.append((member, weight))
        if available:
            pick = _pick(rule, [member.id for member, _weight in pool], available,
                         cursors.get(rule.id) if rule.id is not None else None)
            notes.append(f"{heading}: {'; '.join(words + [pick.words])}")
            return Decision(pick.member.id, rule.id, position, rule.name, tuple(notes), cursor=pick.cursor)
        notes.append(f"{heading}: {'; '.join(words + ['nobody available'])}")
        if rule is rules[-1]:
            return _fallback(rule, position, [(member, weight) for member, weight in pool if member.id not in exclude],
                             {key: member for key, member in members.items() if key not in exclude}, now, notes)
    raise AssertionError("the catch-all always matches")  # pragma: no cover


def _fallback(rule: Rule, position: int, pool: list[tuple[Member, int]], members: Mapping[int, Member],
              now: datetime, notes: list[str]) -> Decision:
    openings = [(member.available_from(now), member) for member, _weight in pool]
    soonest = sorted(((opening, member.id, member) for opening, member in openings if opening is not None),
                     key=lambda item: item[:2])
    if soonest:
        opening, _id, member = soonest[0]
        notes.append(f"nobody available now: {member.name}, available soonest ({opening:%Y-%m-%d %H:%M} UTC)")
        return Decision(member.id, rule.id, position, rule.name, tuple(notes), Fallback.SOONEST)
    everyone = [member for member, _weight in pool] or sorted(members.values(), key=lambda m: m.id)
    member = min(everyone, key=lambda m: (m.open_handoffs, m.last_assigned, m.id))
    notes.append(f"nobody will be available: given to {member.name}, an active member")
    return Decision(member.id, rule.id, position, rule.name, tuple(notes), Fallback.ANY)


def rule_problems(rule: Rule, catch_all: bool, sales_member_ids: set[int]) -> dict[str, str]:
    """What keeps a rule from being stored, by the form field it is about; empty when it may be stored."""
    problems = {}
    if rule.method not in Method.LABELS:
        problems["method"] = "Choose how the rule picks a member."
    if catch_all and not rule.conditions.is_empty:
        problems["states"] = "The catch-all takes every lead the rules above it leave: it has no conditions."
    elif not catch_all and rule.conditions.is_empty:
        problems["states"] = "Give the rule at least one condition: the catch-all already takes every other lead."
    low, high = rule.conditions.size_min, rule.conditions.size_max
    if (low is not None and low < 0) or (high is not None and high < 0):
        problems["size_min"] = "A company size is a number of employees, 0 or more."
    elif low is not None and high is not None and low > high:
        problems["size_max"] = "The largest size must be at least the smallest."
    unknown = [member_id for member_id, _weight in rule.members if member_id not in sales_member_ids]
    if unknown:
        problems["members"] = "Choose active sales members only."
    elif any(weight < 1 for _member_id, weight in rule.members):
        problems["members"] = "A member in the pool has a weight of 1 or more."
    elif rule.method == Method.MEMBER and len(rule.members) != 1:
        problems["members"] = "Choose exactly one sales member (a weight of 1 beside their name)."
    return problems


def rule_from_data(rule_id: int | None, name: str, conditions: Mapping, method: str, members) -> Rule:
    """A stored rule (RoutingRule's JSON columns) as routing reads it."""
    return Rule(rule_id, name, Conditions(
        states=tuple(conditions.get("states") or ()), countries=tuple(conditions.get("countries") or ()),
        industries=tuple(conditions.get("industries") or ()), size_min=conditions.get("size_min"),
        size_max=conditions.get("size_max"), bands=tuple(conditions.get("bands") or ()),
        personas=tuple(conditions.get("personas") or ())), method,
        tuple((int(member_id), int(weight)) for member_id, weight in members or ()))


def conditions_data(conditions: Conditions) -> dict:
    return {"states": list(conditions.states), "countries": list(conditions.countries),
            "industries": list(conditions.industries), "size_min": conditions.size_min,
            "size_max": conditions.size_max, "bands": list(conditions.bands), "personas": list(conditions.personas)}


def hours_from_data(hours: Mapping | None, zone: str | None) -> WorkingHours | None:
    """A member's stored working hours, or None (any time) when they or their zone are not set."""
    if not hours or not zone:
        return None
    return WorkingHours(zone, frozenset(int(day) for day in hours.get("days", ())),
                        time.fromisoformat(hours.get("start", "09:00")), time.fromisoformat(hours.get("end", "17:00")))
