"""Dispositions per campaign and where a lead goes next: pure rules, no database."""
from datetime import datetime, time, timedelta

import pytest

from console.calls import rules
from console.calls.rules import NextAction, SettingOverride
from console.leads.rules import QueueState

NOW = datetime(2030, 1, 15, 15, 0)


def placement(code, overrides=None, attempts=1, max_attempts=6, min_retry_minutes=60, callback_at=None,
              recall_on=None):
    disposition = {d.code: d for d in rules.for_campaign(overrides or {})}[code]
    return rules.placement_after(disposition, now=NOW, callback_at=callback_at, attempts=attempts,
                                 max_attempts=max_attempts, min_retry_minutes=min_retry_minutes,
                                 recall_on=recall_on)


def test_every_disposition_the_product_names_exists_with_a_unique_key():
    assert [d.code for d in rules.DISPOSITIONS] == [
        "no_answer", "busy", "voicemail", "gatekeeper", "bad_number", "wrong_person", "not_interested",
        "callback", "nurture", "do_not_call", "qualified"]
    keys = [d.key for d in rules.DISPOSITIONS]
    assert len(set(keys)) == len(keys)


def test_a_campaign_override_changes_the_next_action_but_never_the_label_key_or_stage():
    busy = {d.code: d for d in rules.for_campaign({"busy": SettingOverride(NextAction.CLOSE, 0)})}["busy"]
    assert busy.next_action == NextAction.CLOSE
    assert (busy.label, busy.key, busy.stage) == ("Busy", "2", None)


def test_an_override_of_a_fixed_disposition_is_ignored():
    overridden = {d.code: d for d in rules.for_campaign({
        "do_not_call": SettingOverride(NextAction.RETRY_IN, 5),
        "qualified": SettingOverride(NextAction.CLOSE, 0),
        "callback": SettingOverride(NextAction.CLOSE, 0)})}
    assert overridden["do_not_call"].next_action == NextAction.CLOSE
    assert overridden["qualified"].next_action == NextAction.HANDOFF
    assert overridden["callback"].next_action == NextAction.CALLBACK


@pytest.mark.parametrize("code, action, minutes, message", [
    ("busy", NextAction.RETRY_IN, None, "after how many minutes"),
    ("busy", NextAction.RETRY_IN, 0, "between 1 minute and 30 days"),
    ("busy", NextAction.RETRY_IN, rules.MAX_RETRY_MINUTES + 1, "between 1 minute and 30 days"),
    ("busy", NextAction.HANDOFF, None, "Choose retry in"),
    ("busy", "explode", None, "Choose retry in"),
    ("do_not_call", NextAction.RETRY_IN, 10, "Do not call cannot be changed: An opt-out is never called again"),
    ("qualified", NextAction.CLOSE, None, "Qualified cannot be changed"),
    ("nurture", NextAction.CLOSE, None, "Nurture cannot be changed: A nurtured lead comes back on the recall date"),
    ("dancing", NextAction.CLOSE, None, "Unknown disposition"),
])
def test_a_setting_marketing_may_not_choose_is_refused_with_the_reason(code, action, minutes, message):
    errors = rules.setting_errors(code, action, minutes)
    assert len(errors) == 1 and message in errors[0]


@pytest.mark.parametrize("code, action, minutes", [
    ("busy", NextAction.RETRY_IN, 1), ("busy", NextAction.END_OF_QUEUE, None), ("not_interested", NextAction.CLOSE, None),
    ("wrong_person", NextAction.RETRY_IN, rules.MAX_RETRY_MINUTES)])
def test_a_valid_setting_has_no_errors(code, action, minutes):
    assert rules.setting_errors(code, action, minutes) == []


def test_retry_in_waits_the_delay_the_campaign_set():
    result = placement("busy", {"busy": SettingOverride(NextAction.RETRY_IN, 90)})
    assert result == rules.QueuePlacement(QueueState.RETRY, NOW + timedelta(minutes=90))


def test_a_retry_never_comes_sooner_than_the_campaigns_minimum_spacing():
    result = placement("busy", min_retry_minutes=120)  # busy retries in 30 minutes by default
    assert result.next_call_at == NOW + timedelta(minutes=120)


def test_end_of_queue_retries_as_soon_as_the_spacing_allows():
    result = placement("no_answer", {"no_answer": SettingOverride(NextAction.END_OF_QUEUE, 0)}, min_retry_minutes=45)
    assert result == rules.QueuePlacement(QueueState.RETRY, NOW + timedelta(minutes=45))


def test_a_campaign_can_close_what_would_otherwise_be_retried():
    assert placement("voicemail", {"voicemail": SettingOverride(NextAction.CLOSE, 0)}).queue_state == QueueState.CLOSED


def test_a_lead_out_of_attempts_is_closed_whatever_the_disposition_says():
    assert placement("no_answer", attempts=6, max_attempts=6) == rules.QueuePlacement(QueueState.CLOSED, None)


def test_a_promised_callback_is_kept_even_on_the_last_attempt():
    when = NOW + timedelta(days=1)
    assert placement("callback", attempts=6, max_attempts=6, callback_at=when) == rules.QueuePlacement(
        QueueState.CALLBACK, when)


def test_qualified_and_do_not_call_leave_the_queue():
    assert placement("qualified").queue_state == QueueState.CLOSED
    assert placement("do_not_call").queue_state == QueueState.CLOSED


@pytest.mark.parametrize("minutes, text", [(0, "0 min"), (30, "30 min"), (240, "4 h"), (90, "1 h 30 min"),
                                           (1440, "1 day"), (2 * 1440 + 60, "2 days 1 h")])
def test_a_delay_reads_as_a_person_would_say_it(minutes, text):
    assert rules.describe_minutes(minutes) == text


def test_the_next_action_label_says_what_happens():
    busy = rules.BY_CODE["busy"]
    assert busy.next_action_label == "Retry in 30 min"
    assert rules.BY_CODE["not_interested"].next_action_label == "Close (no more calls)"
    assert rules.BY_CODE["nurture"].next_action_label == "Nurture until the recall date, then call again"


def test_nurture_is_a_retry_on_the_recall_date_with_a_new_round_of_attempts():
    recall_on = NOW.date() + timedelta(days=90)
    assert placement("nurture", attempts=6, max_attempts=6, recall_on=recall_on) == rules.QueuePlacement(
        QueueState.RETRY, datetime.combine(recall_on, time(0)), new_round=True)


@pytest.mark.parametrize("days, problem", [(None, "Nurture needs a recall date."),
                                           (0, "The recall date must be after today."),
                                           (1, None), (730, None),
                                           (731, "The recall date must be within 730 days.")])
def test_a_recall_date_is_after_today_and_within_two_years(days, problem):
    today = NOW.date()
    assert rules.recall_problem(None if days is None else today + timedelta(days=days), today) == problem


@pytest.mark.parametrize("step, at, problems", [
    (None, None, {"next_step": "Say what was agreed with the prospect: a meeting, information to send, or a call "
                               "back from sales."}),
    ("dancing", None, {"next_step": "Choose one of the next steps offered."}),
    ("send_info", None, {}),
    ("meeting", None, {"next_step_at": "Meeting booked needs a date and time."}),
    ("call_back", NOW - timedelta(minutes=1), {"next_step_at": "Sales calls back time must be in the future."}),
    ("meeting", NOW + timedelta(days=366), {"next_step_at": "Meeting booked time must be within 365 days."}),
    ("meeting", NOW + timedelta(days=2), {}),
])
def test_a_next_step_says_what_and_when_agreed(step, at, problems):
    labels = {"meeting": "Meeting booked", "send_info": "Send information", "call_back": "Sales calls back"}
    assert rules.next_step_problems(step, at, NOW, labels=labels, timed=("meeting", "call_back")) == problems
