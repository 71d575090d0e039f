"""SLA clocks read from a hand-off's recorded times: which clocks run, when they are due, amber then red, met or
missed, and the words shown."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from console.handoffs.sla import (DEFAULTS, Clock, ClockState, Colour, HandoffTimes, clocks, duration, most_urgent,
                                  policy_from_snapshot, read_clock)

POLICY = policy_from_snapshot({"accept_minutes": 120, "first_contact_minutes": 480, "handover_minutes": 60,
                               "amber_percent": 75, "requires_review": False})
REVIEWED = policy_from_snapshot({"accept_minutes": 120, "handover_minutes": 60, "requires_review": True})


def new_york(*args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC).replace(tzinfo=None)


TUESDAY_10 = new_york(2026, 3, 3, 10, 0)


def test_a_snapshot_without_values_reads_as_the_built_in_defaults():
    policy = policy_from_snapshot(None)
    assert (policy.accept_minutes, policy.first_contact_minutes, policy.amber_percent) == (
        DEFAULTS["accept_minutes"], DEFAULTS["first_contact_minutes"], DEFAULTS["amber_percent"])
    assert policy.calendar.zone == "America/New_York" and not policy.requires_review


def test_a_released_hand_off_runs_the_accept_and_first_contact_clocks_only():
    readings = clocks(HandoffTimes(TUESDAY_10, released_at=TUESDAY_10), POLICY, new_york(2026, 3, 3, 10, 30))
    assert [reading.clock for reading in readings] == [Clock.ACCEPT, Clock.FIRST_CONTACT]
    accept = readings[0]
    assert accept.state == ClockState.RUNNING and accept.colour == Colour.OK
    assert accept.due_at == new_york(2026, 3, 3, 12, 0)
    assert accept.minutes_left == 90 and accept.label == "1 h 30 min left"


def test_a_clock_turns_amber_at_its_percent_and_red_when_spent():
    started = TUESDAY_10
    assert read_clock(Clock.ACCEPT, POLICY, started, None, new_york(2026, 3, 3, 11, 29)).colour == Colour.OK
    assert read_clock(Clock.ACCEPT, POLICY, started, None, new_york(2026, 3, 3, 11, 30)).colour == Colour.AMBER
    overdue = read_clock(Clock.ACCEPT, POLICY, started, None, new_york(2026, 3, 3, 12, 35))
    assert overdue.colour == Colour.RED and overdue.overdue and overdue.label == "overdue by 35 min"


def test_a_clock_stopped_in_time_is_met_and_one_stopped_late_is_missed():
    met = read_clock(Clock.ACCEPT, POLICY, TUESDAY_10, new_york(2026, 3, 3, 11, 0), new_york(2026, 3, 4, 9, 0))
    assert (met.state, met.colour, met.label) == (ClockState.MET, Colour.OK, "met")
    missed = read_clock(Clock.ACCEPT, POLICY, TUESDAY_10, new_york(2026, 3, 3, 13, 0), new_york(2026, 3, 4, 9, 0))
    assert (missed.state, missed.colour, missed.label) == (ClockState.MISSED, Colour.RED, "missed by 1 h")


def test_the_clock_does_not_count_the_night_or_the_weekend():
    friday_4pm = new_york(2026, 3, 6, 16, 0)
    reading = read_clock(Clock.ACCEPT, POLICY, friday_4pm, None, new_york(2026, 3, 7, 12, 0))  # Saturday noon
    assert reading.due_at == new_york(2026, 3, 9, 10, 0)
    assert reading.minutes_left == 60 and reading.colour == Colour.OK


def test_a_hand_off_in_review_runs_marketing_s_clock_and_sales_clocks_wait():
    readings = clocks(HandoffTimes(TUESDAY_10), REVIEWED, new_york(2026, 3, 3, 11, 5))
    handover, accept, first_contact = readings
    assert handover.clock == Clock.HANDOVER and handover.side == "marketing" and handover.overdue
    assert accept.state == first_contact.state == ClockState.WAITING
    assert accept.label == "not started"


def test_a_rejected_hand_off_has_no_first_contact_clock():
    times = HandoffTimes(TUESDAY_10, released_at=TUESDAY_10, decided_at=new_york(2026, 3, 3, 10, 20), rejected=True)
    assert [reading.clock for reading in clocks(times, POLICY, new_york(2026, 3, 5, 10, 0))] == [Clock.ACCEPT]


def test_the_most_urgent_clock_is_the_running_one_due_soonest():
    times = HandoffTimes(TUESDAY_10, released_at=TUESDAY_10, decided_at=new_york(2026, 3, 3, 10, 20))
    urgent = most_urgent(clocks(times, POLICY, new_york(2026, 3, 3, 10, 30)))
    assert urgent.clock == Clock.FIRST_CONTACT
    done = HandoffTimes(TUESDAY_10, released_at=TUESDAY_10, decided_at=TUESDAY_10, first_contact_at=TUESDAY_10)
    assert most_urgent(clocks(done, POLICY, new_york(2026, 3, 3, 10, 30))) is None


def test_durations_read_in_hours_and_minutes():
    assert [duration(minutes) for minutes in (0, 35, 60, 130, 1500)] == ["0 min", "35 min", "1 h", "2 h 10 min",
                                                                          "25 h"]
