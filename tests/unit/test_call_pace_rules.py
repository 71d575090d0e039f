"""Seconds between calls: from one disposition to the next claim, breaks left out."""
from datetime import datetime, timedelta

from hypothesis import given, strategies as st

from console.calls import rules

CLAIM = datetime(2030, 1, 15, 15, 0)


def test_the_first_call_of_a_day_has_no_time_between_calls():
    assert rules.seconds_between_calls(None, CLAIM) is None


def test_the_gap_is_the_seconds_from_the_last_disposition_to_this_claim():
    assert rules.seconds_between_calls(CLAIM - timedelta(seconds=42), CLAIM) == 42


def test_a_gap_longer_than_a_break_is_not_time_between_calls():
    assert rules.seconds_between_calls(CLAIM - rules.BREAK_AFTER - timedelta(seconds=1), CLAIM) is None
    assert rules.seconds_between_calls(CLAIM - rules.BREAK_AFTER, CLAIM) == rules.BREAK_AFTER.total_seconds()


def test_a_disposition_after_the_claim_never_gives_a_negative_gap():
    assert rules.seconds_between_calls(CLAIM + timedelta(seconds=5), CLAIM) is None


@given(st.integers(min_value=0, max_value=int(rules.BREAK_AFTER.total_seconds())))
def test_any_gap_within_a_break_is_measured_to_the_second(seconds):
    assert rules.seconds_between_calls(CLAIM - timedelta(seconds=seconds), CLAIM) == seconds

