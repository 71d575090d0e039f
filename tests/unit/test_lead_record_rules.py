"""The lead record's pure rules: what the search box's text asks for, and the order of a lead's timeline."""
from datetime import datetime

import pytest

from console.lead_record.rules import (
    AnswerReplay, EventKind, SearchKind, TimelineEvent, classify_search, describe_change, newest_first, prefix_range,
)
from console.scoring.rules import SHIPPED_MODEL, score


def test_nothing_typed_lists_by_the_filters_alone():
    assert classify_search("   ").kind == SearchKind.EVERYTHING


@pytest.mark.parametrize("typed", ["(212) 555-0123", "+1 212 555 0123", "212.555.0123"])
def test_a_whole_number_in_any_format_is_searched_as_that_number_and_as_an_id(typed):
    query = classify_search(typed)
    assert (query.kind, query.phone, query.phone_prefix) == (SearchKind.PHONE, "+12125550123", None)
    assert query.external_id == " ".join(typed.split())


def test_the_first_digits_of_a_number_are_searched_as_a_prefix():
    query = classify_search("212 555")
    assert (query.kind, query.phone, query.phone_prefix) == (SearchKind.PHONE, None, "+1212555")


def test_an_email_is_searched_as_typed_and_in_lower_case_and_never_as_a_name():
    query = classify_search(" Ann.Lee@Example.com ")
    assert query.kind == SearchKind.EMAIL
    assert query.emails == ("Ann.Lee@Example.com", "ann.lee@example.com")
    assert query.name_prefix is None and query.external_id is None


def test_one_word_is_a_last_name_or_company_prefix_and_an_exact_external_id():
    query = classify_search("Rivera")
    assert (query.kind, query.name_prefix, query.first_name_prefix, query.external_id) == \
        (SearchKind.WORDS, "rivera", None, "Rivera")


def test_two_words_are_also_a_first_and_a_last_name():
    query = classify_search("Jordan  Riv")
    assert (query.name_prefix, query.first_name_prefix, query.last_name_prefix) == ("jordan riv", "jordan", "riv")


def test_an_id_with_letters_and_digits_is_words_and_an_external_id():
    query = classify_search("CRM-00123")
    assert (query.kind, query.external_id) == (SearchKind.WORDS, "CRM-00123")


def test_one_letter_finds_only_an_external_id():
    query = classify_search("R")
    assert (query.kind, query.external_id, query.name_prefix) == (SearchKind.TOO_SHORT, "R", None)


def test_a_prefix_range_holds_exactly_the_strings_that_begin_with_it():
    low, high = prefix_range("riv")
    inside = ["riv", "rivera", "riv z", "rivzzzz"]
    outside = ["ri", "riw", "rix", "rau", "s"]
    assert all(low <= value < high for value in inside)
    assert not any(low <= value < high for value in outside)


def _event(minute, kind, sequence=0):
    return TimelineEvent(datetime(2026, 11, 18, 10, minute), kind, f"{kind} {minute}", sequence=sequence)


def test_the_timeline_is_newest_first():
    events = [_event(1, EventKind.CREATED), _event(5, EventKind.CALL), _event(3, EventKind.TOUCH)]
    assert [event.at.minute for event in newest_first(events)] == [5, 3, 1]


def test_at_one_instant_effects_are_above_their_causes_and_later_rows_above_earlier_ones():
    events = [_event(5, EventKind.HANDOFF), _event(5, EventKind.CALL), _event(5, EventKind.ANSWER, sequence=2),
              _event(5, EventKind.ANSWER, sequence=9), _event(5, EventKind.CREATED)]
    assert [(event.kind, event.sequence) for event in newest_first(events)] == [
        (EventKind.HANDOFF, 0), (EventKind.ANSWER, 9), (EventKind.ANSWER, 2), (EventKind.CALL, 0),
        (EventKind.CREATED, 0)]


def test_answers_replayed_in_order_give_the_score_after_each():
    replay = AnswerReplay()
    scored = lambda answers: score(answers, SHIPPED_MODEL)  # noqa: E731
    assert (replay.apply("budget", "confirmed", scored).points, replay.answers) == (25, {"budget": "confirmed"})
    step = replay.apply("need", "urgent", scored)
    assert (step.points, step.band) == (55, "warm")
    step = replay.apply("budget", "", scored)  # cleared
    assert (step.points, replay.answers) == (30, {"need": "urgent"})


def test_a_change_reads_before_and_after_with_a_dash_for_nothing():
    assert describe_change("Email", None, "ann@example.com") == "Email: — → ann@example.com"
    assert describe_change("Campaign fields", {"b": "2", "a": "1"}, {}) == "Campaign fields: a: 1, b: 2 → —"
