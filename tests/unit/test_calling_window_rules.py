"""Calling window and phone rules: the lead's local clock decides, in every zone it may be in."""
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.compliance.rules import LEGAL_WINDOW, CallingHours, calling_window, zones_for_phone

US_ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
            "America/Anchorage", "Pacific/Honolulu", "America/Adak"]


def window_in_hours(zones, now, start, end):
    """The calling window with only campaign hours (every day, no state rule)."""
    return calling_window(zones, None, now, CallingHours(start=start, end=end))


def utc(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_zones_come_from_the_number():
    assert zones_for_phone("+13125550147") == ["America/Chicago"]
    assert set(zones_for_phone("+19075550100")) == {"America/Adak", "America/Anchorage"}


def test_a_lead_is_callable_inside_its_local_window():
    # 15:00 UTC in January is 09:00 in Chicago.
    assert window_in_hours(["America/Chicago"], utc(2026, 1, 15, 15), time(8), time(21)).open


def test_a_lead_before_its_window_opens_is_not_callable_and_the_reason_says_when_it_opens():
    check = window_in_hours(["America/Chicago"], utc(2026, 1, 15, 13, 12), time(8), time(21))
    assert not check.open
    assert check.reason == "outside calling window: 07:12 in America/Chicago, opens 08:00"


def test_a_number_in_several_zones_is_callable_only_when_all_are_open():
    # 17:30 UTC in January: 08:30 in Anchorage but 07:30 in Adak.
    check = window_in_hours(["America/Anchorage", "America/Adak"], utc(2026, 1, 15, 17, 30), time(8), time(21))
    assert not check.open
    assert "America/Adak" in check.reason


def test_an_unknown_zone_is_never_callable():
    check = window_in_hours([], utc(2026, 1, 15, 17), time(8), time(21))
    assert not check.open
    assert "unknown" in check.reason


def test_campaign_hours_cannot_widen_the_legal_window():
    # 02:00 UTC in January is 21:00 in New York: closed even for a campaign that asks for 06:00–23:00.
    assert not window_in_hours(["America/New_York"], utc(2026, 1, 16, 2), time(6), time(23)).open
    # 12:30 UTC is 07:30 in New York: still closed.
    assert not window_in_hours(["America/New_York"], utc(2026, 1, 15, 12, 30), time(6), time(23)).open


def test_daylight_saving_moves_the_window_in_utc():
    # 12:30 UTC is 08:30 EDT in July but 07:30 EST in January.
    assert window_in_hours(["America/New_York"], utc(2026, 7, 15, 12, 30), time(8), time(21)).open
    assert not window_in_hours(["America/New_York"], utc(2026, 1, 15, 12, 30), time(8), time(21)).open


@given(
    zone=st.sampled_from(US_ZONES),
    moment=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)),
    start_hour=st.integers(0, 23),
    length=st.integers(1, 24),
)
def test_the_window_is_open_exactly_when_the_local_clock_is_inside_it(zone, moment, start_hour, length):
    start = time(start_hour)
    end = time(min(start_hour + length, 23), 59 if start_hour + length > 23 else 0)
    now = moment.replace(tzinfo=UTC)
    local = now.astimezone(ZoneInfo(zone)).time()
    effective_start, effective_end = max(start, LEGAL_WINDOW[0]), min(end, LEGAL_WINDOW[1])
    assert window_in_hours([zone], now, start, end).open == (effective_start <= local < effective_end)


@given(moment=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)),
       zones=st.lists(st.sampled_from(US_ZONES), min_size=1, max_size=3, unique=True))
def test_a_multi_zone_lead_is_open_only_if_every_zone_is_open(moment, zones):
    now = moment.replace(tzinfo=UTC)
    each = [window_in_hours([zone], now, time(8), time(21)).open for zone in zones]
    assert window_in_hours(zones, now, time(8), time(21)).open == all(each)


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)))
def test_nobody_is_ever_called_outside_eight_to_nine_local_time(moment):
    now = moment.replace(tzinfo=UTC)
    for zone in US_ZONES:
        if window_in_hours([zone], now, time(0), time(23, 59)).open:
            assert time(8) <= now.astimezone(ZoneInfo(zone)).time() < time(21)


def test_naive_utc_is_read_as_utc():
    aware = utc(2026, 1, 15, 15)
    naive = aware.replace(tzinfo=None)
    assert window_in_hours(["America/Chicago"], naive, time(8), time(21)) == \
        window_in_hours(["America/Chicago"], aware, time(8), time(21))


# ---------------------------------------------------------------- days, holidays, state rules, zones

from datetime import date, timedelta  # noqa: E402

from console.compliance.rules import infer_time_zones  # noqa: E402
from console.compliance.rules import CallingHours, calling_window, day_window, describe_opening, next_opening, parse_calling_days, state_rules

WEEKDAYS_ONLY = CallingHours(days=parse_calling_days("12345"))


def test_a_campaign_that_calls_on_weekdays_does_not_call_on_saturday():
    # Saturday 17 January 2026, 15:00 UTC: 09:00 in Chicago.
    check = calling_window(["America/Chicago"], None, utc(2026, 1, 17, 15), WEEKDAYS_ONLY)
    assert not check.open
    assert "Saturday is not a calling day for this campaign" in check.reason


def test_the_calling_day_is_the_leads_local_day_not_utc():
    # Saturday 04:30 UTC is still Friday 20:30 in Los Angeles: a calling day, and inside the window.
    check = calling_window(["America/Los_Angeles"], None, utc(2026, 1, 17, 4, 30), WEEKDAYS_ONLY)
    assert check.open
    # Saturday 17:00 UTC is Saturday 09:00 in Los Angeles: not a calling day.
    assert not calling_window(["America/Los_Angeles"], None, utc(2026, 1, 17, 17), WEEKDAYS_ONLY).open


def test_a_campaign_holiday_closes_the_whole_local_day():
    hours = CallingHours(holidays=frozenset({date(2026, 12, 24)}))
    check = calling_window(["America/New_York"], None, utc(2026, 12, 24, 16), hours)
    assert not check.open
    assert "2026-12-24 is a campaign holiday" in check.reason
    assert calling_window(["America/New_York"], None, utc(2026, 12, 23, 16), hours).open


def test_texas_is_called_from_nine_and_from_noon_on_sundays():
    # Tuesday 13 January 2026 14:30 UTC = 08:30 in Chicago: federal says yes, Texas says not yet.
    check = calling_window(["America/Chicago"], "TX", utc(2026, 1, 13, 14, 30))
    assert not check.open
    assert check.reason == "outside calling window: 08:30 in America/Chicago, opens 09:00 (Texas rule)"
    assert calling_window(["America/Chicago"], "IL", utc(2026, 1, 13, 14, 30)).open
    # Sunday 18 January 2026 17:00 UTC = 11:00 in Chicago: closed in Texas until noon.
    assert "opens 12:00 (Texas rule)" in calling_window(["America/Chicago"], "TX", utc(2026, 1, 18, 17)).reason
    assert calling_window(["America/Chicago"], "TX", utc(2026, 1, 18, 18)).open


def test_florida_closes_at_eight_in_the_evening():
    # 01:30 UTC on 14 January = 20:30 in New York.
    check = calling_window(["America/New_York"], "FL", utc(2026, 1, 14, 1, 30))
    assert not check.open
    assert "closed since 20:00 (Florida rule)" in check.reason
    assert calling_window(["America/New_York"], "NY", utc(2026, 1, 14, 1, 30)).open


def test_states_with_a_sunday_ban_are_never_called_on_sunday():
    sunday_noon_central = utc(2026, 1, 18, 18)
    for state in ("AL", "LA", "MS"):
        check = calling_window(["America/Chicago"], state, sunday_noon_central)
        assert not check.open
        assert "no calls on Sundays" in check.reason


def test_states_that_ban_calls_on_their_holidays_are_closed_on_christmas():
    # Friday 25 December 2026, 17:00 UTC = 11:00 in Chicago.
    check = calling_window(["America/Chicago"], "AL", utc(2026, 12, 25, 17))
    assert not check.open
    assert "state holidays in Alabama" in check.reason
    assert calling_window(["America/Chicago"], "IL", utc(2026, 12, 25, 17)).open


def test_every_shipped_state_rule_is_narrower_than_or_equal_to_the_federal_window():
    for rule in state_rules().values():
        for window in rule.windows:
            if window is not None:
                assert window[0] >= LEGAL_WINDOW[0] and window[1] <= LEGAL_WINDOW[1], rule.code
                assert window[0] < window[1], rule.code
        assert rule.source, f"{rule.code} has no source"


def test_the_state_rule_narrows_the_campaign_hours_never_the_other_way():
    verdict = day_window(date(2026, 1, 13), "KY", CallingHours(start=time(9), end=time(17)))
    assert verdict.window == (10 * 60, 17 * 60)
    assert verdict.start_rule == "Kentucky rule" and verdict.end_rule == "campaign"


def test_the_next_opening_is_the_first_minute_the_window_is_open_everywhere():
    now = utc(2026, 1, 13, 12)  # 07:00 New York, 06:00 Chicago
    opening = next_opening(["America/New_York", "America/Chicago"], None, now)
    assert opening == datetime(2026, 1, 13, 14, 0)  # 08:00 in Chicago, when both are open
    assert describe_opening(opening, ["America/Chicago"], now) == "08:00 Central"


def test_the_next_opening_skips_closed_days():
    friday_evening = utc(2026, 1, 17, 3)  # Friday 22:00 in New York
    opening = next_opening(["America/New_York"], None, friday_evening, WEEKDAYS_ONLY)
    assert opening == datetime(2026, 1, 19, 13, 0)  # Monday 08:00 EST
    assert describe_opening(opening, ["America/New_York"], friday_evening) == "Monday 08:00 Eastern"


@given(zone=st.sampled_from(US_ZONES), state=st.sampled_from([None, "TX", "FL", "KY", "AL", "RI", "PA", "NY"]),
       moment=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)))
def test_the_next_opening_is_open_and_nothing_before_it_is(zone, state, moment):
    now = moment.replace(tzinfo=UTC)
    opening = next_opening([zone], state, now)
    if opening is None:
        return
    assert calling_window([zone], state, opening).open
    if opening > now.replace(tzinfo=None):
        assert not calling_window([zone], state, opening - timedelta(minutes=1)).open


@given(zone=st.sampled_from(US_ZONES), state=st.sampled_from(sorted(state_rules())),
       moment=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)))
def test_a_state_rule_only_ever_closes_a_window_the_federal_rule_would_open(zone, state, moment):
    now = moment.replace(tzinfo=UTC)
    if calling_window([zone], state, now).open:
        assert calling_window([zone], None, now).open


@given(zone=st.sampled_from(US_ZONES), moment=st.datetimes(min_value=datetime(2024, 1, 1),
                                                             max_value=datetime(2030, 12, 31)))
def test_the_answer_only_changes_on_whole_minutes(zone, moment):
    now = moment.replace(tzinfo=UTC)
    start_of_minute = now.replace(second=0, microsecond=0)
    assert calling_window([zone], "TX", now).open == calling_window([zone], "TX", start_of_minute).open


def test_the_state_narrows_a_number_that_maps_to_several_zones():
    assert set(infer_time_zones("+19075550100", "AK")) == {"America/Adak", "America/Anchorage"}
    assert infer_time_zones("+19155550100", "TX") == ["America/Denver"]  # El Paso


def test_a_toll_free_number_says_nothing_and_the_state_decides():
    assert infer_time_zones("+18005550100", None) == []
    assert infer_time_zones("+18005550100", "IL") == ["America/Chicago"]
    assert infer_time_zones(None, "TX") == ["America/Chicago", "America/Denver"]


def test_a_number_and_a_state_that_disagree_need_both_zones_open():
    # A New York mobile number kept after a move to California.
    assert infer_time_zones("+12125550100", "CA") == ["America/Los_Angeles", "America/New_York"]


def test_an_unknown_state_and_an_unknown_number_leave_the_zone_unknown():
    assert infer_time_zones(None, "ZZ") == []
