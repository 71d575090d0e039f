"""Business time: adding and counting minutes only inside working hours, on working days, off holidays, in the
team's zone, across DST changes; property-tested on calendars and moments hypothesis makes up."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.handoffs.business_time import (BusinessCalendar, NoBusinessTime, add_business_minutes,
                                            business_minutes_between, holiday_dates, is_open)

NEW_YORK = BusinessCalendar.of_country("America/New_York", time(9), time(17), {1, 2, 3, 4, 5}, "US")
LONDON = BusinessCalendar.of_country("Europe/London", time(9), time(17, 30), {1, 2, 3, 4, 5}, "GB", "ENG")


def utc(zone: str, *args) -> datetime:
    """A local wall-clock time of a zone as the naive UTC the console stores."""
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


# ---------------------------------------------------------------- hand-computed examples

def test_minutes_inside_one_working_day_are_plain_minutes():
    start = utc("America/New_York", 2026, 3, 3, 10, 0)  # a Tuesday
    assert add_business_minutes(NEW_YORK, start, 90) == utc("America/New_York", 2026, 3, 3, 11, 30)


def test_minutes_past_the_closing_time_carry_over_to_the_next_opening():
    start = utc("America/New_York", 2026, 3, 3, 16, 0)
    assert add_business_minutes(NEW_YORK, start, 120) == utc("America/New_York", 2026, 3, 4, 10, 0)


def test_friday_afternoon_runs_on_into_monday_morning():
    start = utc("America/New_York", 2026, 3, 6, 16, 30)  # a Friday
    assert add_business_minutes(NEW_YORK, start, 60) == utc("America/New_York", 2026, 3, 9, 9, 30)


def test_a_start_outside_hours_counts_from_the_next_opening():
    saturday = utc("America/New_York", 2026, 3, 7, 11, 0)
    assert add_business_minutes(NEW_YORK, saturday, 30) == utc("America/New_York", 2026, 3, 9, 9, 30)
    early = utc("America/New_York", 2026, 3, 9, 6, 0)
    assert add_business_minutes(NEW_YORK, early, 0) == utc("America/New_York", 2026, 3, 9, 9, 0)


def test_minutes_that_end_exactly_at_closing_end_at_the_closing_time():
    start = utc("America/New_York", 2026, 3, 3, 9, 0)
    assert add_business_minutes(NEW_YORK, start, 480) == utc("America/New_York", 2026, 3, 3, 17, 0)


def test_independence_day_and_christmas_are_skipped_in_new_york():
    before_july_4 = utc("America/New_York", 2026, 7, 2, 16, 0)  # Thursday; Friday 3 July is the observed holiday
    assert add_business_minutes(NEW_YORK, before_july_4, 120) == utc("America/New_York", 2026, 7, 6, 10, 0)
    christmas_eve = utc("America/New_York", 2025, 12, 24, 16, 0)  # Wednesday; Thursday 25 is Christmas
    assert add_business_minutes(NEW_YORK, christmas_eve, 120) == utc("America/New_York", 2025, 12, 26, 10, 0)


def test_boxing_day_is_a_holiday_in_london_but_not_in_new_york():
    christmas_eve = utc("Europe/London", 2025, 12, 24, 17, 0)
    assert add_business_minutes(LONDON, christmas_eve, 60) == utc("Europe/London", 2025, 12, 29, 9, 30)
    assert date(2025, 12, 26) not in holiday_dates("US", None, 2025)


def test_a_working_day_is_eight_hours_on_the_days_the_clocks_change():
    spring = utc("America/New_York", 2026, 3, 8, 0, 0)  # Sunday 8 March 2026, 02:00 -> 03:00
    everyday = BusinessCalendar("America/New_York", time(9), time(17), frozenset(range(1, 8)))
    assert business_minutes_between(everyday, spring, spring + timedelta(hours=24)) == 480
    autumn = utc("America/New_York", 2026, 11, 1, 0, 0)  # Sunday 1 November 2026, 02:00 -> 01:00
    assert business_minutes_between(everyday, autumn, autumn + timedelta(hours=25)) == 480


def test_a_day_across_the_change_counts_the_hours_that_really_pass():
    spring = date(2026, 3, 8)
    night = BusinessCalendar("America/New_York", time(0), time(6), frozenset(range(1, 8)))
    opening, closing = night.opening_hours(spring)
    assert closing - opening == timedelta(hours=5)  # 02:00 to 03:00 never happened
    autumn = date(2026, 11, 1)
    opening, closing = night.opening_hours(autumn)
    assert closing - opening == timedelta(hours=7)  # 01:00 to 02:00 happened twice


def test_an_opening_inside_the_spring_gap_opens_an_hour_later_on_the_wall():
    gap = BusinessCalendar("America/New_York", time(2, 30), time(5), frozenset(range(1, 8)))
    opening, _closing = gap.opening_hours(date(2026, 3, 8))
    assert opening == utc("America/New_York", 2026, 3, 8, 3, 30)


def test_a_calendar_that_never_opens_says_so():
    never = BusinessCalendar("Europe/London", time(9), time(17), frozenset())
    with pytest.raises(NoBusinessTime):
        add_business_minutes(never, datetime(2026, 1, 5, 12), 10)


def test_minutes_between_count_only_open_time():
    monday = utc("Europe/London", 2026, 3, 23, 17, 0)  # Monday, half an hour before closing
    wednesday = utc("Europe/London", 2026, 3, 25, 10, 0)
    assert business_minutes_between(LONDON, monday, wednesday) == 30 + 510 + 60


# ---------------------------------------------------------------- properties

HOURS = [(time(9), time(17)), (time(8, 30), time(17, 30)), (time(0), time(23, 59)), (time(1, 30), time(3)),
         (time(2, 30), time(6)), (time(22), time(23, 45))]
DAY_SETS = [{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5, 6}, {2, 4}, {1, 2, 3, 4, 5, 6, 7}, {7}]
ZONES = [("America/New_York", "US", None), ("Europe/London", "GB", "ENG"), ("America/New_York", "US", "NY")]


@st.composite
def calendars(draw) -> BusinessCalendar:
    zone, country, subdivision = draw(st.sampled_from(ZONES))
    start, end = draw(st.sampled_from(HOURS))
    days = draw(st.sampled_from(DAY_SETS))
    return BusinessCalendar.of_country(zone, start, end, days, country if draw(st.booleans()) else None, subdivision)


# The weeks that matter most: each zone's DST changes, Christmas, Independence Day; and anywhere in two years.
FOCUS = [datetime(2026, 3, 6), datetime(2026, 3, 27), datetime(2026, 10, 23), datetime(2026, 10, 30),
         datetime(2025, 12, 22), datetime(2026, 7, 1), datetime(2026, 12, 23)]


@st.composite
def moments(draw) -> datetime:
    if draw(st.booleans()):
        return draw(st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2027, 6, 1)))
    base = draw(st.sampled_from(FOCUS))
    return base + timedelta(seconds=draw(st.integers(min_value=0, max_value=10 * 24 * 3600)))


minutes = st.integers(min_value=0, max_value=6000)


@settings(max_examples=300, deadline=None)
@given(calendars(), moments(), minutes)
def test_counting_the_minutes_added_gives_them_back(calendar, start, count):
    assert business_minutes_between(calendar, start, add_business_minutes(calendar, start, count)) == count


@settings(max_examples=300, deadline=None)
@given(calendars(), moments(), minutes, minutes)
def test_more_minutes_never_end_earlier(calendar, start, first, second):
    low, high = sorted((first, second))
    assert add_business_minutes(calendar, start, low) <= add_business_minutes(calendar, start, high)


@settings(max_examples=200, deadline=None)
@given(calendars(), moments(), moments())
def test_a_later_start_never_ends_earlier(calendar, one, other):
    early, late = sorted((one, other))
    assert add_business_minutes(calendar, early, 30) <= add_business_minutes(calendar, late, 30)


@settings(max_examples=300, deadline=None)
@given(calendars(), moments(), st.integers(min_value=1, max_value=6000))
def test_the_end_is_in_open_hours_or_at_a_closing_time_on_a_working_day(calendar, start, count):
    end = add_business_minutes(calendar, start, count)
    local = end.replace(tzinfo=UTC).astimezone(calendar.tz)
    at_closing = any(closing == end for day in (local.date(), local.date() - timedelta(days=1))
                     if (hours := calendar.opening_hours(day)) for closing in hours[1:])
    assert is_open(calendar, end) or at_closing
    working_day = next(day for day in (local.date(), local.date() - timedelta(days=1))
                       if (hours := calendar.opening_hours(day)) and hours[0] <= end <= hours[1])
    assert calendar.works_on(working_day)
    assert working_day.isoweekday() in calendar.work_days and not calendar.is_holiday(working_day)


@settings(max_examples=200, deadline=None)
@given(calendars(), moments(), moments(), moments())
def test_minutes_between_add_up_over_a_midpoint(calendar, one, two, three):
    a, b, c = sorted((one, two, three))
    assert (business_minutes_between(calendar, a, c) - business_minutes_between(calendar, a, b)
            - business_minutes_between(calendar, b, c)) in (0, 1)  # each count rounds its seconds down
