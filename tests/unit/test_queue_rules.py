"""The dialability rule without a database: do-not-call, attempts, spacing, holds, callbacks, windows."""
from datetime import date, datetime, time, timedelta

from console.campaigns.rules import CampaignRules
from console.compliance.rules import CallingHours
from console.leads.queue_columns import LeadState
from console.queue.rules import REASONS, primary_reason, problems

NOW = datetime(2026, 1, 13, 17, 0)  # a Tuesday, 12:00 in New York
OPEN_ALL_DAY = CampaignRules(name="Main", hours=CallingHours(start=time(0), end=time(23, 59)), max_attempts=3,
                             min_retry_minutes=60)
LEAD = LeadState(zones=("America/New_York",), state="NY")


def codes(lead, campaign=OPEN_ALL_DAY, **kwargs):
    return [problem.code for problem in problems(lead, campaign, NOW, **kwargs)]


def with_(lead, **changes):
    return LeadState(**{**lead.__dict__, **changes})


def test_a_fresh_lead_in_its_window_is_dialable():
    assert codes(LEAD) == []
    assert primary_reason(problems(LEAD, OPEN_ALL_DAY, NOW)) == "dialable"


def test_a_lead_on_the_do_not_call_list_is_not_dialable():
    assert codes(with_(LEAD, do_not_call=True)) == ["do_not_call"]


def test_a_lead_out_of_attempts_is_not_dialable_and_says_how_many():
    found = problems(with_(LEAD, attempts=3), OPEN_ALL_DAY, NOW)
    assert [problem.text for problem in found] == ["attempts used up (3 of 3)"]


def test_a_retry_too_soon_after_the_last_attempt_waits_for_the_campaigns_spacing():
    lead = with_(LEAD, queue_state="retry", attempts=1, last_called_at=NOW - timedelta(minutes=20))
    found = problems(lead, OPEN_ALL_DAY, NOW)
    assert [problem.code for problem in found] == ["spacing"]
    assert "last attempt 20 min ago" in found[0].text and "60 min apart" in found[0].text
    assert codes(with_(lead, last_called_at=NOW - timedelta(minutes=61))) == []


def test_a_callback_is_an_appointment_and_ignores_the_spacing():
    lead = with_(LEAD, queue_state="callback", attempts=1, last_called_at=NOW - timedelta(minutes=5),
                 next_call_at=NOW - timedelta(minutes=1))
    assert codes(lead) == []


def test_a_retry_before_its_time_is_waiting():
    lead = with_(LEAD, queue_state="retry", next_call_at=NOW + timedelta(minutes=30))
    assert codes(lead) == ["waiting_retry"]


def test_a_lead_held_by_another_agent_is_not_offered_but_its_holder_may_dial_it():
    held = with_(LEAD, claimed_by_id=7, claim_expires_at=NOW + timedelta(minutes=10))
    assert codes(held, agent_id=8) == ["held"]
    assert codes(held, agent_id=7, for_dialing=True) == []
    assert codes(held, agent_id=8, for_dialing=True) == ["not_claimed"]


def test_a_lapsed_hold_is_no_longer_a_hold():
    lapsed = with_(LEAD, claimed_by_id=7, claim_expires_at=NOW - timedelta(seconds=1))
    assert codes(lapsed, agent_id=8) == []
    assert codes(lapsed, agent_id=7, for_dialing=True) == ["not_claimed"]


def test_someone_elses_callback_is_reserved():
    callback = with_(LEAD, queue_state="callback", callback_owner_id=5, next_call_at=NOW - timedelta(minutes=1))
    assert codes(callback, agent_id=6) == ["callback_owner"]
    assert codes(callback, agent_id=5) == []


def test_a_closed_lead_is_finished():
    assert codes(with_(LEAD, queue_state="closed")) == ["closed"]


def test_a_paused_or_finished_campaign_offers_nothing():
    assert codes(LEAD, CampaignRules(name="Old", active=False)) == ["campaign_paused"]
    ended = CampaignRules(name="Old", end_date=date(2026, 1, 12), hours=OPEN_ALL_DAY.hours)
    assert [problem.text for problem in problems(LEAD, ended, NOW)] == ["campaign Old ended on 2026-01-12"]


def test_a_campaign_that_is_not_running_says_why_in_words():
    hours = OPEN_ALL_DAY.hours
    cases = [
        (CampaignRules(name="Q4", active=False, hours=hours), "campaign Q4 is paused"),
        (CampaignRules(name="Q4", ended_on=date(2026, 1, 10), active=False, hours=hours), "campaign Q4 ended on 2026-01-10"),
        # Ended early: the day it was ended, not its end date, and whatever `active` says.
        (CampaignRules(name="Q4", ended_on=date(2026, 1, 10), end_date=date(2026, 3, 1), hours=hours),
         "campaign Q4 ended on 2026-01-10"),
        (CampaignRules(name="Q4", ended_on=date(2026, 1, 10), archived=True, hours=hours), "campaign Q4 is archived"),
        (CampaignRules(name="Q4", start_date=date(2026, 1, 20), hours=hours), "campaign Q4 starts on 2026-01-20"),
    ]
    for campaign, text in cases:
        assert [(problem.code, problem.text) for problem in problems(LEAD, campaign, NOW)] == [
            ("campaign_paused", text)]


def test_a_campaign_runs_on_its_first_and_last_day():
    today = NOW.date()
    assert codes(LEAD, CampaignRules(name="Q4", start_date=today, end_date=today, hours=OPEN_ALL_DAY.hours)) == []


def test_an_unknown_zone_is_its_own_reason():
    assert codes(with_(LEAD, zones=())) == ["zone_unknown"]


def test_the_breakdown_counts_a_lead_under_its_most_fundamental_reason():
    lead = with_(LEAD, do_not_call=True, attempts=5, zones=())
    assert primary_reason(problems(lead, OPEN_ALL_DAY, NOW)) == "do_not_call"
    assert list(REASONS)[0] == "dialable"


def test_a_lead_in_a_state_the_campaign_does_not_serve_is_not_dialable_and_says_so():
    texas_only_excluded = CampaignRules(name="No Texas", hours=OPEN_ALL_DAY.hours, excluded_states=frozenset({"TX"}))
    texan = with_(LEAD, zones=("America/Chicago",), state="TX")
    found = problems(texan, texas_only_excluded, NOW)
    assert [(problem.code, problem.text) for problem in found] == [
        ("state_not_served", "state not served by this campaign")]
    assert codes(LEAD, texas_only_excluded) == []  # New York is served
    assert codes(with_(texan, state=None), texas_only_excluded) == []  # no state: the rule cannot apply
