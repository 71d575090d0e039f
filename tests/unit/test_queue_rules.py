"""Dialability and queue-order rules, without a database: do-not-call, attempts, spacing, holds, tiers and ranks."""
from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from console.leads.queue_columns import DUE_HIGH, DUE_LOW, HELD_LOW, OWN_CALLBACK_HIGH, SPAN, TIER_CALLBACK, TIER_INBOUND, TIER_NEW, TIER_OWN_CALLBACK, TIER_RETRY, WAITING_HIGH, WAITING_LOW, LeadState, queue_rank, queue_tier, sort_for_queue, tier_of
from console.queue.rules import REASONS, primary_reason, problems
from console.compliance.rules import CallingHours, split_window_key, window_key
from console.campaigns.rules import CampaignRules

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


def test_an_unknown_zone_is_its_own_reason():
    assert codes(with_(LEAD, zones=())) == ["zone_unknown"]


def test_the_breakdown_counts_a_lead_under_its_most_fundamental_reason():
    lead = with_(LEAD, do_not_call=True, attempts=5, zones=())
    assert primary_reason(problems(lead, OPEN_ALL_DAY, NOW)) == "do_not_call"
    assert list(REASONS)[0] == "dialable"


def test_tiers_follow_the_documented_queue_order():
    assert queue_tier("callback", False, 3) == TIER_OWN_CALLBACK
    assert queue_tier("callback", False, None) == TIER_CALLBACK
    assert queue_tier("new", True, None) == TIER_INBOUND
    assert queue_tier("retry", False, None) == TIER_RETRY
    assert queue_tier("new", False, None) == TIER_NEW
    assert queue_tier("closed", False, None) is None


def test_a_closed_or_do_not_call_lead_has_no_rank():
    assert queue_rank(with_(LEAD, queue_state="closed"), NOW) is None
    assert queue_rank(with_(LEAD, do_not_call=True), NOW) is None


def test_due_waiting_and_held_leads_fall_in_separate_bands():
    due = queue_rank(LEAD, NOW)
    waiting = queue_rank(with_(LEAD, queue_state="retry", next_call_at=NOW + timedelta(hours=1)), NOW)
    held = queue_rank(with_(LEAD, claimed_by_id=1, claim_expires_at=NOW + timedelta(minutes=5)), NOW)
    own_callback = queue_rank(with_(LEAD, queue_state="callback", callback_owner_id=1), NOW)
    assert DUE_LOW <= due < DUE_HIGH
    assert WAITING_LOW <= waiting < WAITING_HIGH
    assert held >= HELD_LOW
    assert 0 <= own_callback < OWN_CALLBACK_HIGH


lead_states = st.builds(
    LeadState,
    queue_state=st.sampled_from(["new", "retry", "callback"]),
    inbound=st.booleans(),
    callback_owner_id=st.one_of(st.none(), st.integers(1, 3)),
    score=st.one_of(st.none(), st.integers(-2_000_000, 2_000_000)),
)


@given(st.lists(st.tuples(lead_states, st.integers(1, 10_000)), min_size=2, max_size=30, unique_by=lambda x: x[1]))
def test_sorting_by_rank_then_id_is_the_documented_order(leads):
    """Within a campaign the index order (rank, id) is: tier, then score (highest first, unscored last), then age."""
    by_rank = sorted(leads, key=lambda item: (queue_rank(item[0], NOW), item[1]))
    documented = sort_for_queue([(lead_id, queue_tier(lead.queue_state, lead.inbound, lead.callback_owner_id),
                                  0, lead.score) for lead, lead_id in leads])
    assert [lead_id for _lead, lead_id in by_rank] == [lead_id for lead_id, *_rest in documented]


@given(lead_states, st.integers(0, 5))
def test_the_tier_can_be_read_back_from_the_rank(lead, _unused):
    rank = queue_rank(lead, NOW)
    assert tier_of(rank) == queue_tier(lead.queue_state, lead.inbound, lead.callback_owner_id)
    assert rank // SPAN < 5


@given(st.lists(st.sampled_from(["America/New_York", "America/Chicago", "Pacific/Honolulu", ""]), max_size=3),
       st.one_of(st.none(), st.sampled_from(["TX", "ny", ""])))
def test_a_window_key_round_trips(zones, state):
    key = window_key(zones, state)
    back_zones, back_state = split_window_key(key)
    assert back_zones == [zone for zone in zones if zone]
    assert back_state == ((state or "").upper() or None)
