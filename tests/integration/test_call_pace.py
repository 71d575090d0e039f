"""Wrap-up, seconds between calls per agent, auto-advance and callbacks: the agent's pace through the day."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from console.auth.models import Role
from console.calls import services
from console.calls.models import Call
from console.calls.rules import BREAK_AFTER
from console.clock import utcnow
from console.extensions import db
from console.queue import services as queue
from console.queue.services import claim_next_lead


@pytest.fixture
def agent(users):
    return users["teleprospector"]


def finish(call, agent, code="busy", seconds_ago=0, **kwargs):
    """Disposition the call, as if it had happened `seconds_ago`."""
    services.record_disposition(call, agent, code, **kwargs)
    if seconds_ago:
        db.session.execute(update(Call).where(Call.id == call.id).values(ended_at=utcnow() - timedelta(seconds=seconds_ago)))
        db.session.commit()


def test_the_first_claim_of_the_day_records_no_time_between_calls(agent, campaign, make_lead):
    make_lead(campaign)
    assert claim_next_lead(agent).seconds_since_previous_call is None


def test_each_claim_records_the_seconds_since_the_agents_previous_disposition(agent, campaign, make_lead):
    make_lead(campaign)
    make_lead(campaign)
    finish(claim_next_lead(agent), agent, seconds_ago=42)
    second = claim_next_lead(agent)
    assert 42 <= second.seconds_since_previous_call <= 44


def test_time_between_calls_is_per_agent(agent, make_user, campaign, make_lead):
    other = make_user(Role.TELEPROSPECTOR)
    for _ in range(3):
        make_lead(campaign)
    finish(claim_next_lead(agent), agent, seconds_ago=20)
    assert claim_next_lead(other).seconds_since_previous_call is None  # the other agent's first call


def test_a_gap_longer_than_a_break_is_not_counted(agent, campaign, make_lead):
    make_lead(campaign)
    make_lead(campaign)
    finish(claim_next_lead(agent), agent, seconds_ago=int(BREAK_AFTER.total_seconds()) + 60)
    assert claim_next_lead(agent).seconds_since_previous_call is None


def test_the_agents_pace_averages_the_seconds_between_their_calls(agent, campaign, make_lead):
    for _ in range(3):
        make_lead(campaign)
    finish(claim_next_lead(agent), agent, seconds_ago=30)
    finish(claim_next_lead(agent), agent, seconds_ago=10)
    finish(claim_next_lead(agent), agent)
    pace = services.agent_pace(agent)
    assert pace.calls == 3 and pace.gaps_measured == 2
    assert 20 <= pace.average_seconds_between_calls <= 21  # (30 + 10) / 2, give or take the test's own second


def test_an_agent_has_a_lead_open_then_is_in_wrap_up_then_not_working(agent, campaign, make_lead):
    make_lead(campaign)
    assert services.agent_status(agent).state == services.AgentState.IDLE
    call = claim_next_lead(agent)
    status = services.agent_status(agent)
    # Nothing dialled yet: not "on a call", and no clock (tests/integration/test_call_line.py follows the line).
    assert status.state == services.AgentState.READY and status.call_id == call.id and status.since is None
    finish(call, agent)
    status = services.agent_status(agent)
    assert status.state == services.AgentState.WRAP_UP and status.since == db.session.get(Call, call.id).ended_at
    later = utcnow() + BREAK_AFTER + timedelta(minutes=1)
    assert services.agent_status(agent, now=later).state == services.AgentState.IDLE


def test_auto_advance_is_on_until_the_agent_pauses_it(agent, campaign, make_lead):
    make_lead(campaign)
    assert services.auto_advance_enabled(agent)
    assert queue.claim_after_disposition(agent) is not None
    services.set_auto_advance(agent, False)
    assert not services.auto_advance_enabled(agent)
    make_lead(campaign)
    finish(services.current_call(agent), agent)
    assert queue.claim_after_disposition(agent) is None
    services.set_auto_advance(agent, True)
    assert queue.claim_after_disposition(agent) is not None


def test_an_agent_sees_their_own_callbacks_and_the_open_ones_but_not_a_colleagues(agent, make_user, campaign, make_lead):
    colleague = make_user(Role.TELEPROSPECTOR)
    tomorrow = utcnow() + timedelta(days=1)
    for who, anyone, name in ((agent, False, "Mine"), (agent, True, "Open"), (colleague, False, "Theirs")):
        make_lead(campaign, first_name=name)
        finish(claim_next_lead(who), who, "callback", callback_at=tomorrow, callback_anyone=anyone, notes=f"{name} note")
    callbacks = services.upcoming_callbacks(agent)
    assert [entry.lead.first_name for entry in callbacks.mine] == ["Mine"]
    assert [entry.lead.first_name for entry in callbacks.anyone] == ["Open"]
    mine = callbacks.mine[0]
    assert mine.set_by == agent.full_name and mine.note == "Mine note" and not mine.due
    assert mine.local_due_at.utcoffset() is not None  # shown on the lead's clock


def test_a_callback_whose_time_has_come_is_marked_due_and_counted_in_the_top_bar(agent, campaign, make_lead,
                                                                                   change_lead):
    make_lead(campaign)
    call = claim_next_lead(agent)
    finish(call, agent, "callback", callback_at=utcnow() + timedelta(minutes=5))
    lead = db.session.get(Call, call.id).lead
    change_lead(lead, next_call_at=utcnow() - timedelta(minutes=1))
    assert services.upcoming_callbacks(agent).mine[0].due
    assert services.agent_status(agent).due_callbacks == 1
