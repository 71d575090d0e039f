"""Hand-off routing (console/handoffs/routing.py): first match wins, the catch-all, availability, the methods."""
from collections import Counter
from datetime import datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.handoffs.routing import (Conditions, Fallback, LeadFacts, Member, Method, NoMember, Rule, WorkingHours,
                                      decide)

# A Monday, 15:00 UTC: 10:00 in New York, 07:00 in Los Angeles.
MONDAY = datetime(2030, 1, 7, 15, 0)
NINE_TO_FIVE_LA = WorkingHours("America/Los_Angeles", frozenset(range(5)), time(9), time(17))

DANA, LEE, SAM = Member(1, "Dana"), Member(2, "Lee"), Member(3, "Sam")
TEAM = {member.id: member for member in (DANA, LEE, SAM)}
WEST = Rule(10, "West coast", Conditions(states=("CA", "OR")), Method.ROUND_ROBIN, ((1, 1), (2, 1)))
CATCH_ALL = Rule(11, "Everyone else", Conditions(), Method.MEMBER, ((3, 1),))


def test_the_first_matching_rule_decides_and_says_why():
    decision = decide([WEST, CATCH_ALL], TEAM, LeadFacts(state="CA"), MONDAY)
    assert (decision.member_id, decision.rule_position, decision.rule_name) == (1, 1, "West coast")
    assert decision.note == "Rule 1 'West coast': state CA matched; round robin → Dana"
    assert decision.cursor == {"last": 1}


def test_a_lead_no_rule_names_goes_to_the_catch_all():
    decision = decide([WEST, CATCH_ALL], TEAM, LeadFacts(state="TX"), MONDAY)
    assert (decision.member_id, decision.rule_position) == (3, 2)
    assert decision.note == "Rule 2 'Everyone else': catch-all; → Sam"


def test_round_robin_takes_the_next_after_the_last_one_given_and_passes_over_the_away():
    assert decide([WEST, CATCH_ALL], TEAM, LeadFacts(state="CA"), MONDAY, {10: {"last": 1}}).member_id == 2
    assert decide([WEST, CATCH_ALL], TEAM, LeadFacts(state="CA"), MONDAY, {10: {"last": 2}}).member_id == 1
    away = {**TEAM, 1: Member(1, "Dana", away=True)}
    decision = decide([WEST, CATCH_ALL], away, LeadFacts(state="CA"), MONDAY, {10: {"last": 2}})
    assert decision.member_id == 2
    assert decision.note == "Rule 1 'West coast': state CA matched; Dana away, skipped; round robin → Lee"


def test_a_member_outside_working_hours_is_skipped_in_their_own_zone():
    early = {**TEAM, 1: Member(1, "Dana", hours=NINE_TO_FIVE_LA)}  # 07:00 in Los Angeles
    decision = decide([WEST, CATCH_ALL], early, LeadFacts(state="CA"), MONDAY)
    assert decision.member_id == 2
    assert "Dana outside working hours, skipped" in decision.note
    later = MONDAY.replace(hour=18)  # 10:00 in Los Angeles
    assert decide([WEST, CATCH_ALL], early, LeadFacts(state="CA"), later).member_id == 1


def test_when_a_rule_has_nobody_available_the_next_matching_rule_decides():
    away = {**TEAM, 1: Member(1, "Dana", away=True), 2: Member(2, "Lee", away=True)}
    decision = decide([WEST, CATCH_ALL], away, LeadFacts(state="OR"), MONDAY)
    assert (decision.member_id, decision.rule_position) == (3, 2)
    assert decision.explanation[0] == ("Rule 1 'West coast': state OR matched; Dana away, skipped; Lee away, "
                                       "skipped; nobody available")


def test_nobody_available_anywhere_gives_the_lead_to_the_catch_alls_member_available_soonest():
    sam_later = Member(3, "Sam", hours=NINE_TO_FIVE_LA)
    decision = decide([CATCH_ALL], {3: sam_later}, LeadFacts(), MONDAY)
    assert (decision.member_id, decision.fallback) == (3, Fallback.SOONEST)
    assert "available soonest (2030-01-07 17:00 UTC)" in decision.note


def test_when_everyone_is_away_any_active_member_takes_it_and_the_decision_says_so():
    decision = decide([CATCH_ALL], {3: Member(3, "Sam", away=True)}, LeadFacts(), MONDAY)
    assert (decision.member_id, decision.fallback) == (3, Fallback.ANY)
    assert "nobody will be available" in decision.note


def test_without_rules_the_built_in_default_routes_by_workload_then_the_longest_idle():
    members = {1: Member(1, "Dana", open_handoffs=2), 2: Member(2, "Lee", open_handoffs=1, last_assigned=9),
               3: Member(3, "Sam", open_handoffs=1, last_assigned=4)}
    decision = decide([], members, LeadFacts(), MONDAY)
    assert (decision.member_id, decision.rule_name, decision.rule_id) == (3, "Built-in default", None)


def test_without_any_member_routing_refuses():
    try:
        decide([], {}, LeadFacts(), MONDAY)
    except NoMember:
        return
    raise AssertionError("routing should refuse")


def test_conditions_match_every_named_field_and_size_bounds():
    rule = Conditions(countries=("US",), industries=("Software",), size_min=50, size_max=500, bands=("hot",),
                      personas=("decision maker",))
    lead = LeadFacts(country="us", industry="software", employees=120, band="hot", persona="Decision maker")
    assert rule.matched(lead) == ["country us matched", "industry software matched", "score band hot matched",
                                  "persona Decision maker matched", "company size 120 matched"]
    assert rule.matched(LeadFacts(country="US", industry="Software", employees=501, band="hot",
                                  persona="decision maker")) is None
    assert rule.matched(LeadFacts(country="US", industry="Software", band="hot", persona="decision maker")) is None


def test_a_rule_member_no_longer_active_is_skipped():
    rule = Rule(5, "Gone", Conditions(), Method.MEMBER, ((99, 1),))
    decision = decide([rule], TEAM, LeadFacts(), MONDAY)
    assert decision.fallback == Fallback.ANY
    assert "member #99 no longer active, skipped" in decision.note


# Properties over generated teams, rules and leads.

STATES = ("CA", "OR", "TX", "NY")
members_st = st.lists(st.tuples(st.booleans(), st.sampled_from([None, NINE_TO_FIVE_LA]),
                                st.integers(0, 5)), min_size=1, max_size=5).map(
    lambda specs: {index + 1: Member(index + 1, f"M{index + 1}", away=away, hours=hours, open_handoffs=load)
                   for index, (away, hours, load) in enumerate(specs)})
conditions_st = st.builds(Conditions, states=st.lists(st.sampled_from(STATES), max_size=2).map(tuple),
                          bands=st.lists(st.sampled_from(("hot", "warm", "cool")), max_size=2).map(tuple))
method_st = st.sampled_from((Method.ROUND_ROBIN, Method.WEIGHTED, Method.WORKLOAD, Method.MEMBER))
lead_st = st.builds(LeadFacts, state=st.sampled_from(STATES + (None,)),
                    band=st.sampled_from(("hot", "warm", "cool", None)))
moment_st = st.datetimes(min_value=datetime(2030, 1, 1), max_value=datetime(2031, 1, 1))


@st.composite
def scopes(draw):
    members = draw(members_st)
    ids = sorted(members)
    rules = []
    for index in range(draw(st.integers(0, 3))):
        pool = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        method = draw(method_st)
        rules.append(Rule(index + 1, f"R{index + 1}", draw(conditions_st), method,
                          tuple((member_id, draw(st.integers(1, 4))) for member_id in pool[:1 if method ==
                                                                                           Method.MEMBER else 3])))
    catch_all_pool = draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))
    rules.append(Rule(99, "Catch-all", Conditions(), draw(method_st), tuple((i, 1) for i in catch_all_pool)))
    return rules, members


@settings(max_examples=300, deadline=None)
@given(scopes(), lead_st, moment_st)
def test_the_chosen_member_is_available_whenever_anyone_in_a_matching_rule_is(scope, lead, now):
    rules, members = scope
    decision = decide(rules, members, lead, now)
    assert decision.member_id in members
    reachable = set()
    for rule in rules:
        if rule.conditions.matched(lead) is not None:
            reachable |= {member_id for member_id, _w in rule.members} or set(members)
    if any(members[member_id].unavailable_because(now) is None for member_id in reachable if member_id in members):
        assert members[decision.member_id].unavailable_because(now) is None
        assert decision.fallback == Fallback.NONE


@settings(max_examples=300, deadline=None)
@given(scopes(), lead_st, moment_st)
def test_the_first_matching_rule_with_someone_available_decides_and_the_catch_all_always_matches(scope, lead, now):
    rules, members = scope
    decision = decide(rules, members, lead, now)
    assert rules[-1].conditions.matched(lead) is not None
    for position, rule in enumerate(rules, start=1):
        pool = {member_id for member_id, _w in rule.members} or set(members)
        if rule.conditions.matched(lead) is not None and any(
                members[member_id].unavailable_because(now) is None for member_id in pool):
            assert decision.rule_position == position
            assert members[decision.member_id].id in pool
            return
    assert decision.rule_position == len(rules)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=4), st.integers(1, 4))
def test_weighted_round_robin_gives_each_member_their_share(weights, cycles):
    members = {index + 1: Member(index + 1, f"M{index + 1}") for index in range(len(weights))}
    rule = Rule(1, "Weighted", Conditions(), Method.WEIGHTED, tuple((index + 1, w) for index, w in enumerate(weights)))
    cursors, given_to = {}, Counter()
    for _ in range(sum(weights) * cycles):
        decision = decide([rule], members, LeadFacts(), MONDAY, cursors)
        cursors = {1: decision.cursor}
        given_to[decision.member_id] += 1
    assert given_to == {index + 1: w * cycles for index, w in enumerate(weights)}


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(1, 3))
def test_round_robin_gives_each_available_member_a_lead_in_turn(size, cycles):
    members = {index + 1: Member(index + 1, f"M{index + 1}") for index in range(size)}
    rule = Rule(1, "Pool", Conditions(), Method.ROUND_ROBIN, tuple((index + 1, 1) for index in range(size)))
    cursors, order = {}, []
    for _ in range(size * cycles):
        decision = decide([rule], members, LeadFacts(), MONDAY, cursors)
        cursors = {1: decision.cursor}
        order.append(decision.member_id)
    assert order == list(range(1, size + 1)) * cycles


def test_a_member_who_rejected_the_lead_is_passed_over_and_the_decision_says_so():
    decision = decide([WEST, CATCH_ALL], TEAM, LeadFacts(state="CA"), MONDAY, {10: {"last": 2}},
                      exclude=frozenset({1}))
    assert decision.member_id == 2
    assert "Dana rejected this lead, skipped" in decision.note


def test_a_named_member_who_rejected_the_lead_sends_it_on_to_the_next_matching_rule():
    decision = decide([CATCH_ALL], TEAM, LeadFacts(), MONDAY, exclude=frozenset({3}))
    assert decision.member_id in {1, 2}
    assert decision.explanation[0] == ("Rule 1 'Everyone else': catch-all; Sam rejected this lead, skipped; "
                                       "nobody available")


def test_the_fallbacks_never_give_the_lead_back_to_who_rejected_it():
    everyone_away = {key: Member(key, member.name, away=True) for key, member in TEAM.items()}
    decision = decide([WEST, CATCH_ALL], everyone_away, LeadFacts(state="CA"), MONDAY, exclude=frozenset({3}))
    assert decision.member_id in {1, 2} and decision.fallback == Fallback.ANY


def test_routing_refuses_when_everyone_left_has_rejected_the_lead():
    with pytest.raises(NoMember, match="everyone left has rejected it"):
        decide([WEST, CATCH_ALL], TEAM, LeadFacts(state="CA"), MONDAY, exclude=frozenset(TEAM))


@settings(max_examples=300, deadline=None)
@given(scopes(), lead_st, moment_st, st.data())
def test_an_excluded_member_is_never_chosen(scope, lead, now, data):
    rules, members = scope
    excluded = frozenset(data.draw(st.sets(st.sampled_from(sorted(members)), max_size=len(members) - 1)))
    assert decide(rules, members, lead, now, exclude=excluded).member_id not in excluded
