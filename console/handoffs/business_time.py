"""Business time: minutes counted only inside a team's working hours, on its working days, off its holidays.

Pure (no Flask, no session). Times in and out are naive UTC, as the console stores them; every working day is
laid out in the calendar's own zone with `zoneinfo`, so a 09:00–17:00 day is eight hours on a DST change too.
A working day is one interval [opening, closing) in UTC: the local opening and closing times of that date, read
as the zone reads a wall-clock time (one that does not exist, in a spring-forward gap, falls on the offset before
the change, i.e. an hour later on the wall; an ambiguous one, in a fall-back hour, is its first occurrence).
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_data

MINUTE = timedelta(minutes=1)
# A calendar with no working day in this many days running has none at all (no days, or every day a holiday).
_LONGEST_CLOSURE_DAYS = 3 * 366


class NoBusinessTime(ValueError):
    """The calendar never opens: no working day, hours that close before they open, or holidays every day."""


@functools.lru_cache(maxsize=256)
def holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of a country (and subdivision) in one year, from the `holidays` package; a pure memo:
    the package's data for a year does not change while a process runs."""
    return frozenset(holiday_data.country_holidays(country, subdiv=subdivision, years=year).keys())


@dataclass(frozen=True)
class CountryHolidays:
    """Is a date a public holiday of this country (and subdivision): a calendar's `is_holiday`."""

    country: str
    subdivision: str | None = None

    def __call__(self, day: date) -> bool:
        return day in holiday_dates(self.country, self.subdivision, day.year)


def no_holidays(_day: date) -> bool:
    return False


@dataclass(frozen=True)
class BusinessCalendar:
    """When a team works: its zone, the local hours of a working day, its working days (ISO 1 = Monday .. 7) and
    which dates are holidays."""

    zone: str
    day_start: time
    day_end: time
    work_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    is_holiday: Callable[[date], bool] = field(default=no_holidays)

    @classmethod
    def of_country(cls, zone: str, day_start: time, day_end: time, work_days, country: str | None,
                   subdivision: str | None = None) -> BusinessCalendar:
        """A calendar whose holidays are a country's (None: no holidays)."""
        return cls(zone, day_start, day_end, frozenset(work_days),
                   CountryHolidays(country, subdivision or None) if country else no_holidays)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def works_on(self, day: date) -> bool:
        return day.isoweekday() in self.work_days and not self.is_holiday(day)

    def opening_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """The working day `day` (a local date) as [opening, closing) in naive UTC, or None on a day off."""
        if not self.works_on(day):
            return None
        opening, closing = _utc(day, self.day_start, self.tz), _utc(day, self.day_end, self.tz)
        return (opening, closing) if opening < closing else None


def _utc(day: date, wall: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def _local_date(calendar: BusinessCalendar, moment: datetime) -> date:
    return moment.replace(tzinfo=UTC).astimezone(calendar.tz).date()


def open_intervals(calendar: BusinessCalendar, since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Every working interval that ends after `since` (naive UTC), in order, without end.

    Raises NoBusinessTime when the calendar has no working day for three years running.
    """
    day = _local_date(calendar, since) - timedelta(days=1)  # the day before may still be open (far-east zones)
    closed_for = 0
    while True:
        hours = calendar.opening_hours(day)
        day += timedelta(days=1)
        if hours is None:
            closed_for += 1
            if closed_for > _LONGEST_CLOSURE_DAYS:
                raise NoBusinessTime("This calendar has no working hours: no working day in three years.")
            continue
        closed_for = 0
        if hours[1] > since:
            yield hours


def is_open(calendar: BusinessCalendar, moment: datetime) -> bool:
    """Is the team at work at this moment (naive UTC): inside an interval [opening, closing)."""
    opening, closing = next(open_intervals(calendar, moment))
    return opening <= moment < closing


def add_business_minutes(calendar: BusinessCalendar, start: datetime, minutes: int) -> datetime:
    """The moment (naive UTC) `minutes` business minutes after `start`; a start outside hours counts from the next
    opening. Lands inside open hours, or exactly at a closing time when the minutes end there."""
    if minutes < 0:
        raise ValueError("business minutes to add cannot be negative")
    remaining = timedelta(minutes=minutes)
    for opening, closing in open_intervals(calendar, start):
        begin = max(opening, start)
        if remaining <= closing - begin:
            return begin + remaining
        remaining -= closing - begin
    raise AssertionError("open_intervals never ends")  # pragma: no cover


def business_minutes_between(calendar: BusinessCalendar, a: datetime, b: datetime) -> int:
    """Whole business minutes in [a, b) (naive UTC, a <= b): the open time between them, rounded down."""
    if b < a:
        raise ValueError("business_minutes_between needs a <= b")
    total = timedelta(0)
    if a == b:
        return 0
    for opening, closing in open_intervals(calendar, a):
        if opening >= b:
            break
        total += min(closing, b) - max(opening, a)
    return total // MINUTE
