"""Calling window and phone rules: the lead's local clock decides, in every zone it may be in."""
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.leads.rules import (
    InvalidPhoneNumber, LEGAL_WINDOW, check_calling_window, normalise_phone, open_zone_keys, zones_for_phone,
)

US_ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
            "America/Anchorage", "Pacific/Honolulu", "America/Adak"]


def utc(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_phone_numbers_are_normalised_to_e164():
    assert normalise_phone("(212) 555-0123") == "+12125550123"
    assert normalise_phone("+1 312 555 0147") == "+13125550147"


@pytest.mark.parametrize("raw", ["", "hello", "123", "+1 999 555 0100"])
def test_invalid_numbers_are_rejected_with_a_reason(raw):
    with pytest.raises(InvalidPhoneNumber, match="not a"):
        normalise_phone(raw)


def test_zones_come_from_the_number():
    assert zones_for_phone("+13125550147") == ["America/Chicago"]
    assert set(zones_for_phone("+19075550100")) == {"America/Adak", "America/Anchorage"}


def test_a_lead_is_callable_inside_its_local_window():
    # 15:00 UTC in January is 09:00 in Chicago.
    assert check_calling_window(["America/Chicago"], utc(2026, 1, 15, 15), time(8), time(21)).open


def test_a_lead_before_its_window_opens_is_not_callable_and_the_reason_says_when_it_opens():
    check = check_calling_window(["America/Chicago"], utc(2026, 1, 15, 13, 12), time(8), time(21))
    assert not check.open
    assert check.reason == "outside calling window: 07:12 in America/Chicago, opens 08:00"


def test_a_number_in_several_zones_is_callable_only_when_all_are_open():
    # 17:30 UTC in January: 08:30 in Anchorage but 07:30 in Adak.
    check = check_calling_window(["America/Anchorage", "America/Adak"], utc(2026, 1, 15, 17, 30), time(8), time(21))
    assert not check.open
    assert "America/Adak" in check.reason


def test_an_unknown_zone_is_never_callable():
    check = check_calling_window([], utc(2026, 1, 15, 17), time(8), time(21))
    assert not check.open
    assert "unknown" in check.reason


def test_campaign_hours_cannot_widen_the_legal_window():
    # 02:00 UTC in January is 21:00 in New York: closed even for a campaign that asks for 06:00–23:00.
    assert not check_calling_window(["America/New_York"], utc(2026, 1, 16, 2), time(6), time(23)).open
    # 12:30 UTC is 07:30 in New York: still closed.
    assert not check_calling_window(["America/New_York"], utc(2026, 1, 15, 12, 30), time(6), time(23)).open


def test_daylight_saving_moves_the_window_in_utc():
    # 12:30 UTC is 08:30 EDT in July but 07:30 EST in January.
    assert check_calling_window(["America/New_York"], utc(2026, 7, 15, 12, 30), time(8), time(21)).open
    assert not check_calling_window(["America/New_York"], utc(2026, 1, 15, 12, 30), time(8), time(21)).open


def test_open_zone_keys_keeps_only_the_open_combinations():
    now = utc(2026, 1, 15, 15)  # 10:00 New York, 05:00 Honolulu
    keys = {"America/New_York", "Pacific/Honolulu", "America/New_York,Pacific/Honolulu", ""}
    assert open_zone_keys(keys, now, time(8), time(21)) == {"America/New_York"}


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
    assert check_calling_window([zone], now, start, end).open == (effective_start <= local < effective_end)


@given(moment=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)),
       zones=st.lists(st.sampled_from(US_ZONES), min_size=1, max_size=3, unique=True))
def test_a_multi_zone_lead_is_open_only_if_every_zone_is_open(moment, zones):
    now = moment.replace(tzinfo=UTC)
    each = [check_calling_window([zone], now, time(8), time(21)).open for zone in zones]
    assert check_calling_window(zones, now, time(8), time(21)).open == all(each)


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)))
def test_nobody_is_ever_called_outside_eight_to_nine_local_time(moment):
    now = moment.replace(tzinfo=UTC)
    for zone in US_ZONES:
        if check_calling_window([zone], now, time(0), time(23, 59)).open:
            assert time(8) <= now.astimezone(ZoneInfo(zone)).time() < time(21)


def test_naive_utc_is_read_as_utc():
    aware = utc(2026, 1, 15, 15)
    naive = aware.replace(tzinfo=None)
    assert check_calling_window(["America/Chicago"], naive, time(8), time(21)) == \
        check_calling_window(["America/Chicago"], aware, time(8), time(21))
