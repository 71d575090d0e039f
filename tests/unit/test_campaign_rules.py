"""A campaign's status and life, its own lead fields' keys, and its place on the calendar, without a database."""
from datetime import date

import pytest

from console.campaigns.rules import (CampaignRules, CampaignStatus, CustomFieldsInvalid, LifeAction, calendar_span,
                                     campaign_status, custom_field_keys, ended_on, field_key, labelled_values,
                                     life_refusal, possible_actions)

TODAY = date(2026, 11, 18)
RUNNING = CampaignRules(name="Q4 Push", start_date=date(2026, 11, 1), end_date=date(2026, 11, 30))


def with_(campaign=RUNNING, **changes):
    return CampaignRules(**{**campaign.__dict__, **changes})


# ---------------------------------------------------------------- status

@pytest.mark.parametrize("changes, status", [
    ({}, CampaignStatus.RUNNING),
    ({"start_date": None, "end_date": None}, CampaignStatus.RUNNING),
    ({"start_date": date(2026, 11, 19)}, CampaignStatus.SCHEDULED),
    ({"active": False}, CampaignStatus.PAUSED),
    ({"active": False, "start_date": date(2026, 12, 1), "end_date": None}, CampaignStatus.PAUSED),
    ({"end_date": date(2026, 11, 17)}, CampaignStatus.ENDED),
    ({"active": False, "end_date": date(2026, 11, 17)}, CampaignStatus.ENDED),
    ({"ended_on": date(2026, 11, 10), "active": False}, CampaignStatus.ENDED),
    ({"ended_on": date(2026, 11, 10), "archived": True}, CampaignStatus.ARCHIVED),
    ({"active": False, "archived": True}, CampaignStatus.ARCHIVED),
])
def test_a_campaigns_status_comes_from_its_facts_and_todays_date(changes, status):
    assert campaign_status(with_(**changes), TODAY) == status


def test_a_campaign_runs_through_its_end_date_and_has_ended_the_day_after():
    last_day = with_(end_date=TODAY)
    assert campaign_status(last_day, TODAY) == CampaignStatus.RUNNING
    assert campaign_status(last_day, date(2026, 11, 19)) == CampaignStatus.ENDED
    assert ended_on(last_day, date(2026, 11, 19)) == TODAY


def test_a_campaign_ended_early_ended_on_the_day_it_was_ended_not_on_its_end_date():
    assert ended_on(with_(ended_on=date(2026, 11, 10)), TODAY) == date(2026, 11, 10)
    assert ended_on(RUNNING, TODAY) is None


def test_a_scheduled_campaign_starts_on_its_start_date():
    scheduled = with_(start_date=date(2026, 11, 20))
    assert campaign_status(scheduled, date(2026, 11, 19)) == CampaignStatus.SCHEDULED
    assert campaign_status(scheduled, date(2026, 11, 20)) == CampaignStatus.RUNNING


# ---------------------------------------------------------------- life

@pytest.mark.parametrize("changes, actions", [
    ({}, (LifeAction.PAUSE, LifeAction.END)),
    ({"start_date": date(2026, 12, 1)}, (LifeAction.PAUSE, LifeAction.END)),
    ({"active": False}, (LifeAction.RESUME, LifeAction.END, LifeAction.ARCHIVE)),
    ({"active": False, "ended_on": date(2026, 11, 10)}, (LifeAction.ARCHIVE,)),
    ({"end_date": date(2026, 11, 10)}, (LifeAction.ARCHIVE,)),
    ({"active": False, "ended_on": date(2026, 11, 10), "archived": True}, (LifeAction.UNARCHIVE,)),
])
def test_each_status_offers_only_the_actions_it_allows(changes, actions):
    assert possible_actions(with_(**changes), TODAY) == actions


def test_ending_is_final_a_campaign_ended_cannot_resume():
    ended = with_(active=False, ended_on=date(2026, 11, 10))
    assert life_refusal(LifeAction.RESUME, ended, TODAY) == (
        "Q4 Push was ended on 2026-11-10: an ended campaign cannot run again.")
    assert life_refusal(LifeAction.END, ended, TODAY) is not None


def test_a_campaign_past_its_end_date_is_resumed_by_moving_the_end_date():
    past = with_(end_date=date(2026, 11, 10), active=False)
    assert "move the end date in its settings" in life_refusal(LifeAction.RESUME, past, TODAY)


def test_only_paused_or_ended_campaigns_are_archived():
    assert life_refusal(LifeAction.ARCHIVE, RUNNING, TODAY) == (
        "Q4 Push is running: pause or end it before archiving it.")
    assert life_refusal(LifeAction.ARCHIVE, with_(active=False), TODAY) is None
    assert life_refusal(LifeAction.ARCHIVE, with_(ended_on=TODAY), TODAY) is None


def test_an_archived_campaign_must_be_unarchived_before_anything_else():
    archived = with_(active=False, archived=True)
    for action in (LifeAction.PAUSE, LifeAction.RESUME, LifeAction.END, LifeAction.ARCHIVE):
        assert life_refusal(action, archived, TODAY) == "Q4 Push is archived: unarchive it first."
    assert life_refusal(LifeAction.UNARCHIVE, archived, TODAY) is None
    assert life_refusal(LifeAction.UNARCHIVE, RUNNING, TODAY) == "Q4 Push is not archived."


def test_pausing_twice_or_resuming_a_running_campaign_is_refused():
    assert life_refusal(LifeAction.PAUSE, with_(active=False), TODAY) == "Q4 Push is already paused."
    assert life_refusal(LifeAction.RESUME, RUNNING, TODAY) == "Q4 Push is not paused."


# ---------------------------------------------------------------- its own lead fields

def test_a_key_is_made_from_the_label_in_plain_lower_case_words():
    assert field_key("Fleet size") == "fleet_size"
    assert field_key("  Current vendor (if any)? ") == "current_vendor_if_any"
    assert field_key("Région / Département") == "region_departement"
    assert field_key("2024 budget") == "field_2024_budget"  # a key starts with a letter
    assert field_key("???") == "field"


def test_new_fields_get_keys_from_their_labels_in_the_order_typed():
    assert custom_field_keys([], [(None, "Fleet size"), ("", "Current vendor")]) == [
        {"key": "fleet_size", "label": "Fleet size"}, {"key": "current_vendor", "label": "Current vendor"}]


def test_a_renamed_field_keeps_its_key():
    existing = [{"key": "fleet_size", "label": "Fleet size"}]
    assert custom_field_keys(existing, [("fleet_size", "Trucks in the fleet")]) == [
        {"key": "fleet_size", "label": "Trucks in the fleet"}]


def test_a_field_whose_label_is_cleared_is_removed_and_its_key_is_not_reused_by_a_new_field():
    existing = [{"key": "fleet_size", "label": "Fleet size"}]
    assert custom_field_keys(existing, [("fleet_size", ""), (None, "Fleet size")]) == [
        {"key": "fleet_size_2", "label": "Fleet size"}]


def test_two_fields_whose_labels_make_the_same_key_get_different_keys():
    keys = [field["key"] for field in custom_field_keys([], [(None, "Fleet size"), (None, "Fleet-size")])]
    assert keys == ["fleet_size", "fleet_size_2"]


def test_a_key_the_campaign_does_not_have_is_not_taken_from_the_form():
    assert custom_field_keys([], [("forged_key", "Fleet size")]) == [{"key": "fleet_size", "label": "Fleet size"}]


def test_two_fields_with_the_same_label_are_refused():
    with pytest.raises(CustomFieldsInvalid, match="Two lead fields are called 'fleet size'"):
        custom_field_keys([], [(None, "Fleet size"), (None, "fleet  size")])


def test_a_campaign_has_at_most_thirty_fields():
    with pytest.raises(CustomFieldsInvalid, match="at most 30"):
        custom_field_keys([], [(None, f"Field {number}") for number in range(31)])


def test_a_leads_values_are_labelled_as_the_campaign_labels_them_in_its_order():
    fields = [{"key": "fleet_size", "label": "Fleet size"}, {"key": "vendor", "label": "Current vendor"},
              {"key": "region", "label": "Region"}]
    values = {"vendor": "Acme", "fleet_size": 40, "region": "", "old_key": "kept but not shown"}
    assert labelled_values(fields, values) == [("Fleet size", "40"), ("Current vendor", "Acme")]
    assert labelled_values(fields, None) == []


# ---------------------------------------------------------------- the calendar

WINDOW = date(2026, 11, 2)  # a Monday; 84 days (12 weeks) shown


def test_a_campaign_inside_the_weeks_shown_is_a_bar_from_its_first_to_its_last_day():
    span = calendar_span(date(2026, 11, 9), date(2026, 11, 15), WINDOW, 84)
    assert (span.first, span.last, span.open_start, span.open_end, span.clipped_start, span.clipped_end) == (
        7, 13, False, False, False, False)


def test_a_campaign_running_on_past_either_edge_is_clipped_there():
    span = calendar_span(date(2026, 10, 1), date(2027, 3, 1), WINDOW, 84)
    assert (span.first, span.last, span.clipped_start, span.clipped_end) == (0, 83, True, True)


def test_a_campaign_without_dates_is_open_ended_across_every_week():
    span = calendar_span(None, None, WINDOW, 84)
    assert (span.first, span.last, span.open_start, span.open_end) == (0, 83, True, True)
    assert calendar_span(date(2026, 11, 20), None, WINDOW, 84).open_end


def test_a_campaign_outside_the_weeks_shown_is_not_drawn():
    assert calendar_span(date(2026, 9, 1), date(2026, 11, 1), WINDOW, 84) is None
    assert calendar_span(date(2027, 1, 25), None, WINDOW, 84) is None
    assert calendar_span(date(2026, 11, 20), date(2026, 11, 10), WINDOW, 84) is None  # ended before it started
