"""The alignment pages' pure rules: the Wilson interval, disagreeing options, suggested points, response edits."""
from datetime import date

import pytest

from console.reports.alignment_rules import (OptionEvidence, change, disagreeing, last_response_edit,
                                             previous_period, suggested_points, wilson)


def test_wilson_interval_of_three_wins_in_ten_matches_the_hand_computed_bounds():
    # p = 0.3, z² = 3.8415: centre 0.49207 / 1.38415 = 0.35551, half-width 0.34288 / 1.38415 = 0.24772
    interval = wilson(3, 10)
    assert interval.low == pytest.approx(0.1078, abs=1e-4)
    assert interval.high == pytest.approx(0.6032, abs=1e-4)


def test_wilson_interval_of_no_wins_starts_at_zero_and_is_not_empty():
    interval = wilson(0, 5)
    assert interval.low == 0.0
    assert interval.high == pytest.approx(0.4345, abs=1e-4)


def test_wilson_interval_of_all_wins_ends_at_one():
    interval = wilson(5, 5)
    assert interval.high == 1.0
    assert interval.low == pytest.approx(1 - 0.4345, abs=1e-4)


def test_no_trials_have_no_interval_and_impossible_counts_are_refused():
    assert wilson(0, 0) is None
    with pytest.raises(ValueError):
        wilson(4, 3)


def test_an_option_worth_more_points_with_a_clearly_lower_win_rate_is_flagged_with_the_other():
    options = [OptionEvidence("confirmed", 25, 40, 4), OptionEvidence("none", 0, 40, 30),
               OptionEvidence("unknown", 10, 3, 1)]
    assert disagreeing(options) == {"confirmed", "none"}


def test_overlapping_intervals_flag_nothing_even_when_the_order_is_reversed():
    options = [OptionEvidence("confirmed", 25, 6, 2), OptionEvidence("none", 0, 6, 3)]
    assert disagreeing(options) == set()


def test_suggested_points_follow_the_win_rates_inside_the_criterions_range():
    options = [OptionEvidence("a", 25, 20, 2), OptionEvidence("b", 10, 20, 10), OptionEvidence("c", 0, 20, 14),
               OptionEvidence("d", 5, 4, 4)]
    # win rates 0.1, 0.5, 0.7: a → 0, b → 0 + 25 × 0.4/0.6 = 16.7 → 15, c → 25; d has too few hand-offs
    assert suggested_points(options) == {"a": 0, "b": 15, "c": 25, "d": 5}


def test_nothing_is_suggested_without_two_measured_options_or_a_spread():
    assert suggested_points([OptionEvidence("a", 25, 50, 10), OptionEvidence("b", 0, 2, 2)]) == {"a": 25, "b": 0}
    assert suggested_points([OptionEvidence("a", 25, 10, 5), OptionEvidence("b", 0, 10, 5)]) == {"a": 25, "b": 0}


def test_the_last_response_edit_is_the_first_version_with_the_present_text():
    assert last_response_edit([(3, "new"), (1, "old"), (2, "old"), (4, "new")]) == 3
    assert last_response_edit([(1, "same"), (2, "same")]) is None
    assert last_response_edit([(1, "a"), (2, None), (3, "b")]) == 3


def test_the_previous_period_has_the_same_length_and_ends_the_day_before():
    assert previous_period(date(2026, 3, 1), date(2026, 3, 14)) == (date(2026, 2, 15), date(2026, 2, 28))


def test_change_is_relative_and_absent_without_a_base():
    assert change(15, 10) == 0.5
    assert change(3, 0) is None
