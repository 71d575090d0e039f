"""Sales' side of a hand-off as pure rules: the order of progress, recall and deal dates, money typed as text."""
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.forms import MONEY_MAX_CENTS, cents
from console.handoffs.rules import (Progress, Step, close_date_problem, default_recall, progress_refusal,
                                    recall_problem, won_date_problem)

TODAY = date(2030, 1, 9)
FRESH = Progress("accepted")
CONTACTED = Progress("accepted", first_contact=True)


@pytest.mark.parametrize("status", ["pending", "rejected", "review"])
def test_nothing_is_recorded_on_a_hand_off_not_accepted(status):
    for step in Step.LABELS:
        assert progress_refusal(Progress(status), step) == "Accept the hand-off before recording its progress."


def test_an_opportunity_and_a_win_need_a_first_contact_but_a_loss_does_not():
    assert "first contact first" in progress_refusal(FRESH, Step.OPPORTUNITY)
    assert "first contact first" in progress_refusal(FRESH, Step.WON)
    assert progress_refusal(FRESH, Step.LOST) is None
    assert progress_refusal(CONTACTED, Step.WON) is None  # no opportunity needed first


def test_first_contact_and_meeting_held_are_recorded_once():
    assert progress_refusal(CONTACTED, Step.FIRST_CONTACT) == "The first contact is already recorded."
    assert progress_refusal(Progress("accepted", True, True), Step.MEETING_HELD) == \
        "The meeting held is already recorded."
    assert progress_refusal(CONTACTED, Step.MEETING_HELD) is None


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_a_closed_deal_takes_only_a_rating(outcome):
    closed = Progress("accepted", True, True, outcome)
    for step in (Step.FIRST_CONTACT, Step.MEETING_HELD, Step.OPPORTUNITY, Step.WON, Step.LOST):
        assert "closed" in progress_refusal(closed, step)
    assert progress_refusal(closed, Step.RATING) is None


def test_an_unknown_step_is_refused():
    assert progress_refusal(FRESH, "teleport") == "Choose what to record."


def test_a_recall_date_is_tomorrow_to_two_years_away():
    assert recall_problem(None, TODAY) is not None
    assert recall_problem(TODAY, TODAY) == "A recall date is tomorrow or later."
    assert recall_problem(TODAY + timedelta(days=1), TODAY) is None
    assert recall_problem(TODAY + timedelta(days=730), TODAY) is None
    assert recall_problem(TODAY + timedelta(days=731), TODAY) == "A recall date is at most two years away."


def test_the_recall_offered_is_the_campaigns_delay_kept_within_range():
    assert default_recall(TODAY, 90) == TODAY + timedelta(days=90)
    assert default_recall(TODAY, 0) == TODAY + timedelta(days=1)
    assert default_recall(TODAY, 5000) == TODAY + timedelta(days=730)


def test_a_deal_is_won_between_the_hand_off_and_today_and_closes_today_or_later():
    assert won_date_problem(TODAY, TODAY - timedelta(days=3), TODAY) is None
    assert won_date_problem(TODAY + timedelta(days=1), TODAY, TODAY) == "A deal is won today or earlier."
    assert won_date_problem(TODAY - timedelta(days=4), TODAY - timedelta(days=3), TODAY) is not None
    assert close_date_problem(TODAY - timedelta(days=1), TODAY) == "The expected close date is today or later."
    assert close_date_problem(TODAY + timedelta(days=3000), TODAY) is not None
    assert close_date_problem(TODAY, TODAY) is None


@pytest.mark.parametrize("typed, expected", [("12,500.00", 1_250_000), ("12500", 1_250_000), ("$12,500.5", 1_250_050),
                                             (" 0.01 ", 1), ("1,000,000,000", MONEY_MAX_CENTS)])
def test_money_is_read_in_cents_with_commas_grouping_thousands(typed, expected):
    assert cents(typed) == expected


@pytest.mark.parametrize("typed", ["12,50", "1.234", "-5", "abc", "1e5", "12 500", "١٢", "", "1,000,000,000.01",
                                   "0", "0.00", "9" * 5000])
def test_money_that_is_not_an_amount_is_refused_with_a_reason(typed):
    with pytest.raises(ValueError):
        cents(typed)


@given(st.integers(1, MONEY_MAX_CENTS))
def test_every_amount_written_with_grouping_reads_back_to_its_cents(amount):
    assert cents(f"{amount / 100:,.2f}") == amount
    assert cents(f"{amount // 100}.{amount % 100:02d}") == amount
