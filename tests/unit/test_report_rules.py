"""The report's pure rules: a range's UTC bounds in the viewer's zone, presets, periods, rates, attribution."""
from datetime import date, datetime

import pytest

from console.reports import rules
from console.reports.rules import Attribution, Grouping, Preset


def test_a_winter_range_in_new_york_starts_at_five_utc_and_ends_after_the_last_local_day():
    lo, hi = rules.utc_bounds(date(2026, 1, 5), date(2026, 1, 9), "America/New_York")
    assert lo == datetime(2026, 1, 5, 5)
    assert hi == datetime(2026, 1, 10, 5)
    assert lo <= datetime(2026, 1, 10, 4, 30) < hi  # 23:30 local on the last day


def test_a_range_over_the_spring_change_is_an_hour_shorter():
    lo, hi = rules.utc_bounds(date(2026, 3, 8), date(2026, 3, 8), "America/New_York")
    assert (lo, hi) == (datetime(2026, 3, 8, 5), datetime(2026, 3, 9, 4))


def test_a_range_over_the_autumn_change_is_an_hour_longer():
    lo, hi = rules.utc_bounds(date(2026, 11, 1), date(2026, 11, 1), "America/New_York")
    assert (hi - lo).total_seconds() == 25 * 3600


def test_presets_end_today_and_months_are_calendar_months():
    today = date(2026, 3, 15)
    assert rules.preset_dates(Preset.LAST_7, today) == (date(2026, 3, 9), today)
    assert rules.preset_dates(Preset.LAST_30, today) == (date(2026, 2, 14), today)
    assert rules.preset_dates(Preset.THIS_MONTH, today) == (date(2026, 3, 1), today)
    assert rules.preset_dates(Preset.LAST_MONTH, today) == (date(2026, 2, 1), date(2026, 2, 28))
    assert rules.preset_dates(Preset.LAST_MONTH, date(2026, 1, 10)) == (date(2025, 12, 1), date(2025, 12, 31))


@pytest.mark.parametrize("first, last, problem", [
    (None, date(2026, 1, 1), "Give the first"),
    (date(2026, 1, 2), date(2026, 1, 1), "ends before it starts"),
    (date(2020, 1, 1), date(2026, 1, 1), "at most"),
])
def test_a_range_that_makes_no_sense_says_why(first, last, problem):
    assert problem in rules.range_problem(first, last)


def test_weeks_run_from_monday_and_are_cut_to_the_range():
    periods = rules.periods(date(2026, 3, 4), date(2026, 3, 17), "UTC", Grouping.WEEK)
    assert [(p.first, p.last) for p in periods] == [(date(2026, 3, 4), date(2026, 3, 8)),
                                                  (date(2026, 3, 9), date(2026, 3, 15)),
                                                  (date(2026, 3, 16), date(2026, 3, 17))]


def test_a_long_daily_trend_is_drawn_by_week():
    periods = rules.periods(date(2026, 1, 1), date(2026, 12, 31), "UTC", Grouping.DAY)
    assert len(periods) == 53


def test_a_rate_without_a_whole_is_none_not_zero():
    assert rules.rate(3, 0) is None
    assert rules.rate(1, 4) == 0.25
    assert rules.per(None, 3) is None and rules.per(1000, 0) is None and rules.per(1000, 3) == 333


@pytest.mark.parametrize("value, words", [
    (0.1, "Below the usual 30 %"), (0.45, "below the 60–85 %"), (0.7, "Within the 60–85 %"),
    (0.9, "Above the 60–85 %"), (None, "No hand-offs")])
def test_the_follow_up_rate_is_read_against_the_seeds_marks(value, words):
    assert words in rules.follow_up_verdict(value)


def test_the_leads_own_campaign_is_the_first_touch_when_nothing_came_before():
    created = datetime(2026, 1, 1)
    touches = [(1, datetime(2026, 1, 2), 7), (2, datetime(2026, 1, 3), 8)]
    assert rules.attributed_campaign(5, created, touches, datetime(2026, 2, 1), Attribution.FIRST) == 5
    assert rules.attributed_campaign(5, created, touches, datetime(2026, 2, 1), Attribution.LAST) == 8


def test_touches_after_the_win_or_without_a_campaign_take_no_credit():
    created = datetime(2026, 1, 1)
    touches = [(1, datetime(2026, 1, 2), None), (2, datetime(2026, 3, 1), 8)]
    assert rules.attributed_campaign(5, created, touches, datetime(2026, 2, 1), Attribution.LAST) == 5


def test_at_equal_times_the_creation_comes_first_then_touches_in_recorded_order():
    at = datetime(2026, 1, 1)
    touches = [(9, at, 7), (4, at, 8)]
    assert rules.attributed_campaign(5, at, touches, datetime(2026, 2, 1), Attribution.FIRST) == 5
    assert rules.attributed_campaign(5, at, touches, datetime(2026, 2, 1), Attribution.LAST) == 7


def test_connects_and_conversations_follow_the_disposition_catalogue():
    assert rules.is_connect("no_answer", line_answered=True)
    assert not rules.is_connect("busy", line_answered=False)
    assert rules.is_connect("voicemail", line_answered=False)
    assert rules.is_conversation("qualified") and not rules.is_conversation("voicemail")
