"""The input rules with a boundary: a callback's horizon, time zone names, the database's integers."""
from datetime import datetime, timedelta

import pytest

from console.calls.rules import MAX_CALLBACK_AHEAD, ZONE_SLACK, callback_problem
from console.compliance.rules import is_zone_name
from console.forms import DATABASE_INT_MAX, DATABASE_INT_MIN, OutOfRange, bounded_int

NOW = datetime(2026, 11, 18, 18, 30)


def test_a_callback_is_set_in_the_future_and_within_a_year():
    assert callback_problem(None, NOW) == "Call back needs a date and time."
    assert callback_problem(NOW, NOW) == "Call back time must be in the future."
    assert callback_problem(NOW + timedelta(minutes=1), NOW) is None
    assert callback_problem(NOW + MAX_CALLBACK_AHEAD, NOW) is None
    assert callback_problem(NOW + MAX_CALLBACK_AHEAD + timedelta(minutes=1), NOW) == \
        "Call back time must be within 365 days."
    assert callback_problem(datetime(9999, 12, 31, 23, 59), NOW, slack=ZONE_SLACK) is not None


def test_a_time_typed_in_an_unknown_zone_is_judged_with_a_days_slack():
    assert callback_problem(NOW - timedelta(hours=5), NOW, slack=ZONE_SLACK) is None  # maybe the future in Hawaii
    assert callback_problem(NOW - timedelta(days=1, minutes=1), NOW, slack=ZONE_SLACK) is not None
    assert callback_problem(NOW + MAX_CALLBACK_AHEAD + timedelta(hours=20), NOW, slack=ZONE_SLACK) is None


@pytest.mark.parametrize("name, known", [("America/Chicago", True), ("UTC", True), ("Pacific/Honolulu", True),
                                         ("America/Nowhere", False), ("", False), ("x" * 100_000, False),
                                         ("../../../etc/passwd", False), ("America/Chicago\x00", False)])
def test_zone_names_are_checked_without_opening_files(name, known):
    assert is_zone_name(name) is known


def test_database_integers_are_32_bit_whatever_the_database():
    assert bounded_int("2147483647") == DATABASE_INT_MAX and bounded_int(" -2147483648 ") == DATABASE_INT_MIN
    for value in ("2147483648", "-2147483649", "9" * 5000):
        with pytest.raises(OutOfRange):
            bounded_int(value)
    for value in ("", "1.5", "²", "١٢", "0x10", "1e3", True):
        with pytest.raises(ValueError):
            bounded_int(value)
