"""SLA clocks of a hand-off, from its recorded times and the policy it was handed over under: pure rules.

Three clocks, each in the policy's business time (console/handoffs/business_time.py):
handover (marketing's side, only when the policy asks for a review: qualified -> released to sales),
accept (sales: released -> accepted or rejected) and first contact (sales: released -> first contact; it does not
run for a rejected hand-off). A clock turns amber once `amber_percent` of its minutes are spent, red when all are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from console.handoffs.business_time import BusinessCalendar, add_business_minutes, business_minutes_between


class Clock:
    HANDOVER = "handover"
    ACCEPT = "accept"
    FIRST_CONTACT = "first_contact"
    ALL = (HANDOVER, ACCEPT, FIRST_CONTACT)
    LABELS = {HANDOVER: "Hand over", ACCEPT: "Accept or reject", FIRST_CONTACT: "First contact"}
    SIDES = {HANDOVER: "marketing", ACCEPT: "sales", FIRST_CONTACT: "sales"}


class ClockState:
    WAITING = "waiting"  # its start has not happened yet (a lead still in review: sales' clocks wait)
    RUNNING = "running"
    MET = "met"
    MISSED = "missed"


class Colour:
    OK = "ok"
    AMBER = "amber"
    RED = "red"


DEFAULTS = {"requires_review": False, "handover_minutes": 240, "accept_minutes": 240,
            "first_contact_minutes": 480, "amber_percent": 75, "time_zone": "America/New_York",
            "day_start": "09:00", "day_end": "17:00", "work_days": [1, 2, 3, 4, 5], "holiday_country": "US",
            "holiday_subdivision": None}


@dataclass(frozen=True)
class Policy:
    """The agreed times (business minutes) and the calendar they are counted in."""

    handover_minutes: int
    accept_minutes: int
    first_contact_minutes: int
    amber_percent: int
    requires_review: bool
    calendar: BusinessCalendar

    def minutes(self, clock: str) -> int:
        return {Clock.HANDOVER: self.handover_minutes, Clock.ACCEPT: self.accept_minutes,
                Clock.FIRST_CONTACT: self.first_contact_minutes}[clock]


def policy_from_snapshot(snapshot: dict | None) -> Policy:
    """The policy a hand-off's `sla` snapshot names (missing keys: the built-in defaults)."""
    values = {**DEFAULTS, **(snapshot or {})}
    calendar = BusinessCalendar.of_country(
        values["time_zone"], time.fromisoformat(values["day_start"]), time.fromisoformat(values["day_end"]),
        values["work_days"], values["holiday_country"], values["holiday_subdivision"])
    return Policy(int(values["handover_minutes"]), int(values["accept_minutes"]),
                  int(values["first_contact_minutes"]), int(values["amber_percent"]),
                  bool(values["requires_review"]), calendar)


@dataclass(frozen=True)
class HandoffTimes:
    """What a hand-off recorded, as the clocks read it (naive UTC)."""

    created_at: datetime
    released_at: datetime | None = None
    decided_at: datetime | None = None
    first_contact_at: datetime | None = None
    rejected: bool = False


@dataclass(frozen=True)
class ClockReading:
    """One clock of one hand-off, now."""

    clock: str
    state: str
    colour: str
    minutes: int  # the business minutes it allows
    started_at: datetime | None
    due_at: datetime | None
    stopped_at: datetime | None
    minutes_left: int | None  # business minutes; negative once overdue (running or missed by)

    @property
    def side(self) -> str:
        return Clock.SIDES[self.clock]

    @property
    def title(self) -> str:
        return Clock.LABELS[self.clock]

    @property
    def overdue(self) -> bool:
        return self.state == ClockState.RUNNING and self.colour == Colour.RED

    @property
    def open(self) -> bool:
        return self.state == ClockState.RUNNING

    @property
    def label(self) -> str:
        """The words a person reads ("2 h 10 min left", "overdue by 35 min", "met")."""
        if self.state == ClockState.WAITING:
            return "not started"
        if self.state == ClockState.MET:
            return "met"
        if self.state == ClockState.MISSED:
            return f"missed by {duration(-self.minutes_left)}" if self.minutes_left else "missed"
        if self.colour == Colour.RED:
            return f"overdue by {duration(-self.minutes_left)}" if self.minutes_left else "overdue"
        return f"{duration(self.minutes_left)} left"


def duration(minutes: int) -> str:
    """Business minutes as a person reads them: "35 min", "2 h", "2 h 10 min"."""
    hours, rest = divmod(max(minutes, 0), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def read_clock(clock: str, policy: Policy, started_at: datetime | None, stopped_at: datetime | None,
               now: datetime) -> ClockReading:
    """One clock from its start and stop (None: not yet) at `now`."""
    allowed = policy.minutes(clock)
    calendar = policy.calendar
    if started_at is None:
        return ClockReading(clock, ClockState.WAITING, Colour.OK, allowed, None, None, None, None)
    due_at = add_business_minutes(calendar, started_at, allowed)
    end = stopped_at if stopped_at is not None else now
    left = (business_minutes_between(calendar, end, due_at) if end <= due_at
            else -business_minutes_between(calendar, due_at, end))
    if stopped_at is not None:
        met = stopped_at <= due_at
        return ClockReading(clock, ClockState.MET if met else ClockState.MISSED, Colour.OK if met else Colour.RED,
                            allowed, started_at, due_at, stopped_at, left)
    if now >= due_at:
        colour = Colour.RED
    else:
        spent = business_minutes_between(calendar, started_at, now)
        colour = Colour.AMBER if spent * 100 >= allowed * policy.amber_percent else Colour.OK
    return ClockReading(clock, ClockState.RUNNING, colour, allowed, started_at, due_at, None, left)


def clocks(times: HandoffTimes, policy: Policy, now: datetime) -> list[ClockReading]:
    """A hand-off's clocks now: handover (only under a review policy), accept, and first contact (not for a
    rejected hand-off), in that order."""
    readings = []
    if policy.requires_review:
        readings.append(read_clock(Clock.HANDOVER, policy, times.created_at, times.released_at, now))
    readings.append(read_clock(Clock.ACCEPT, policy, times.released_at, times.decided_at, now))
    if not (times.rejected and times.first_contact_at is None):
        readings.append(read_clock(Clock.FIRST_CONTACT, policy, times.released_at, times.first_contact_at, now))
    return readings


def most_urgent(readings: list[ClockReading]) -> ClockReading | None:
    """The running clock due soonest (what a list sorts and shows a hand-off by), or None."""
    running = [reading for reading in readings if reading.open]
    return min(running, key=lambda reading: reading.due_at) if running else None
