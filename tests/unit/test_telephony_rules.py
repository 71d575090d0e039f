"""Telephony rules: call-status precedence, the recording consent rule, Twilio errors, the simulated line."""
import pytest

from console.telephony import rules
from console.telephony.rules import RecordingMode, SimulatedOutcome


@pytest.mark.parametrize("late", ["queued", "initiated", "ringing", "in-progress", "answered"])
def test_a_late_callback_never_overwrites_completed(late):
    assert rules.next_status("completed", late) == "completed"


@pytest.mark.parametrize("late", ["initiated", "ringing"])
def test_a_late_ringing_never_overwrites_a_connected_call(late):
    assert rules.next_status("in-progress", late) == "in-progress"


def test_a_call_moves_forward_through_its_statuses():
    status = "queued"
    for incoming, expected in [("initiated", "initiated"), ("ringing", "ringing"), ("in-progress", "in-progress"),
                               ("completed", "completed")]:
        status = rules.next_status(status, incoming)
        assert status == expected


def test_the_answered_event_means_in_progress():
    assert rules.next_status("ringing", "answered") == "in-progress"


def test_the_first_final_status_wins():
    assert rules.next_status("busy", "completed") == "busy"
    assert rules.next_status("no-answer", "failed") == "no-answer"


def test_a_duplicated_callback_changes_nothing():
    assert rules.next_status("ringing", "ringing") == "ringing"


def test_an_unknown_status_is_ignored():
    assert rules.next_status("ringing", "exploded") == "ringing"
    assert rules.next_status("ringing", None) == "ringing"


def test_a_call_can_end_without_ever_ringing():
    assert rules.next_status("queued", "failed") == "failed"


@pytest.mark.parametrize("agent_leg, expected", [
    ("no-answer", "no-answer"), ("busy", "busy"), ("failed", "failed"), ("completed", "canceled"),
])
def test_when_the_agents_leg_ends_before_the_lead_is_dialled_the_phone_call_ends_with_it(agent_leg, expected):
    assert rules.status_after_agent_leg("queued", agent_leg, lead_leg_started=False) == expected


def test_the_agents_leg_does_not_decide_once_the_lead_is_dialled():
    assert rules.status_after_agent_leg("ringing", "completed", lead_leg_started=True) == "ringing"
    assert rules.status_after_agent_leg("queued", "in-progress", lead_leg_started=False) == "queued"


@pytest.mark.parametrize("state", ["CA", "ca", " FL ", "IL", "MD", "MA", "MI", "MT", "NV", "NH", "PA", "WA", "CT"])
def test_all_party_consent_states_need_consent(state):
    assert rules.consent_required(state)


@pytest.mark.parametrize("state", ["NY", "TX", "GA", "OR"])
def test_one_party_consent_states_do_not(state):
    assert not rules.consent_required(state)


@pytest.mark.parametrize("state", [None, "", "  "])
def test_a_lead_of_unknown_state_gets_the_notice(state):
    assert rules.consent_required(state)


def test_canadian_leads_get_the_notice():
    assert rules.consent_required("ON")
    assert rules.consent_required("QC")


def test_the_consent_list_is_data_and_holds_the_usual_twelve_states():
    regions = rules.notice_regions()
    assert {"CA", "CT", "FL", "IL", "MD", "MA", "MI", "MT", "NV", "NH", "PA", "WA"} <= set(regions)
    assert rules.consent_required("ZZ", {"ZZ": "Test state"})
    assert not rules.consent_required("CA", {"ZZ": "Test state"})


def test_always_recording_plays_the_notice_only_where_consent_is_needed():
    assert rules.recording_plan(RecordingMode.ALWAYS, True) == rules.RecordingPlan(True, True, False, False)
    assert rules.recording_plan(RecordingMode.ALWAYS, False) == rules.RecordingPlan(True, False, False, False)


def test_on_demand_recording_asks_the_agent_to_confirm_consent_only_where_needed():
    assert rules.recording_plan(RecordingMode.ON_DEMAND, True).agent_must_confirm_consent
    assert not rules.recording_plan(RecordingMode.ON_DEMAND, False).agent_must_confirm_consent
    assert rules.recording_plan(RecordingMode.ON_DEMAND, False).agent_may_start


def test_never_means_never():
    plan = rules.recording_plan(RecordingMode.NEVER, True)
    assert not (plan.record_from_answer or plan.play_notice or plan.agent_may_start)


def test_a_recording_needing_consent_nobody_gave_may_not_be_kept():
    assert not rules.recording_may_be_kept(needs_consent=True, consent_given=False)
    assert rules.recording_may_be_kept(needs_consent=True, consent_given=True)
    assert rules.recording_may_be_kept(needs_consent=False, consent_given=False)


def test_an_invalid_number_error_tells_the_agent_what_to_do():
    message = rules.describe_twilio_error(21211, "The 'To' number +1555 is not a valid phone number.", to="+1555")
    assert message == ("The number +1555 is not a valid phone number. Check it with the lead, then record Bad number."
                       " (Twilio error 21211)")


def test_an_unknown_twilio_error_keeps_twilios_own_words_and_code():
    assert rules.describe_twilio_error(99999, "Something odd.") == \
        "Twilio could not place the call: Something odd (Twilio error 99999)."


@pytest.mark.parametrize("outcome, final", [
    (SimulatedOutcome.BUSY, "busy"), (SimulatedOutcome.NO_ANSWER, "no-answer"), (SimulatedOutcome.FAILED, "failed"),
])
def test_the_simulated_line_ends_unanswered_calls_by_itself(outcome, final):
    assert rules.simulated_timeline(outcome, False)[-1].status == final


def test_a_simulated_answered_call_lasts_until_someone_hangs_up():
    timeline = rules.simulated_timeline(SimulatedOutcome.ANSWER, False)
    assert [event.status for event in timeline] == ["initiated", "ringing", "in-progress"]


def test_the_simulated_line_reports_who_answered_only_with_machine_detection():
    assert rules.simulated_timeline(SimulatedOutcome.MACHINE, True)[-1].answered_by == "machine_start"
    assert rules.simulated_timeline(SimulatedOutcome.ANSWER, True)[-1].answered_by == "human"
    assert rules.simulated_timeline(SimulatedOutcome.MACHINE, False)[-1].answered_by is None


def test_simulated_events_come_due_with_time():
    assert [e.status for e in rules.due_simulated_events(SimulatedOutcome.ANSWER, False, 0)] == ["initiated"]
    assert [e.status for e in rules.due_simulated_events(SimulatedOutcome.ANSWER, False, 1.5)] == \
        ["initiated", "ringing"]


@pytest.mark.parametrize("status, phase", [
    (None, "idle"), ("queued", "dialling"), ("ringing", "dialling"), ("in-progress", "connected"), ("busy", "idle"),
])
def test_the_dialer_phase_follows_the_status(status, phase):
    assert rules.phase(status) == phase


def test_durations_read_as_minutes_and_seconds():
    assert rules.format_duration(75) == "1:15"
    assert rules.format_duration(None) == ""
