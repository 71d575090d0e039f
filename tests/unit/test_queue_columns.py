"""The lead's derived queue columns without a database: tiers, bands, ranks and window keys."""
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from console.compliance.rules import split_window_key, window_key
from console.leads.queue_columns import (
    DUE_HIGH, DUE_LOW, HELD_LOW, OWN_CALLBACK_HIGH, SPAN, TIER_CALLBACK, TIER_INBOUND, TIER_NEW, TIER_OWN_CALLBACK,
    TIER_RETRY, WAITING_HIGH, WAITING_LOW, LeadState, queue_columns, queue_rank, queue_tier, score_part,
)

NOW = datetime(2026, 1, 13, 17, 0)
LEAD = LeadState(zones=("America/New_York",), state="NY")


def sort_for_queue(candidates):
    """The documented order (docs/queue.md) of (lead_id, tier, priority, score): what queue_rank must encode."""
    return sorted(candidates, key=lambda c: (c[1], -c[2], score_part(c[3]), c[0]))


def tier_of(rank: int) -> int:
    return (rank // SPAN) % 10


def with_(lead, **changes):
    return LeadState(**{**lead.__dict__, **changes})


def test_the_columns_every_writer_stores_are_the_window_key_and_the_rank():
    assert queue_columns(LEAD, NOW) == {"window_key": "America/New_York|NY", "queue_rank": queue_rank(LEAD, NOW)}


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


scores = st.one_of(st.none(), st.integers(min_value=-2_000_000, max_value=2_000_000))


@given(st.sampled_from(["new", "retry", "callback", "closed"]), st.booleans(), st.booleans(),
       st.one_of(st.none(), st.just(7)), st.one_of(st.none(), st.integers(-120, 120)),
       st.one_of(st.none(), st.integers(-30, 30)), scores, scores)
def test_rescoring_moves_the_stored_rank_by_the_score_shift_alone(state, inbound, do_not_call, holder, due_in,
                                                                   hold_left, old, new):
    """leads.services.store_scores adds score_shift to the rank as stored: the same rank queue_rank gives."""
    from console.leads.queue_columns import score_shift
    lead = with_(LEAD, queue_state=state, inbound=inbound, do_not_call=do_not_call, callback_owner_id=holder,
                 next_call_at=NOW + timedelta(minutes=due_in) if due_in is not None else None,
                 claimed_by_id=holder, claim_expires_at=NOW + timedelta(minutes=hold_left) if hold_left is not None
                 else None, score=old)
    before = queue_rank(lead, NOW)
    after = queue_rank(with_(lead, score=new), NOW)
    assert after == (None if before is None else before + score_shift(old, new))
