"""Dispositions move the lead on: retries, callbacks, closing, do-not-call and the hand-off to sales."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from console.audit.models import AuditEvent
from console.auth.models import Role
from console.calls import services
from console.queue.services import claim_next_lead
from console.calls.models import CallStatus
from console.clock import utcnow
from console.extensions import db
from console.handoffs import services as handoff_services
from console.handoffs.models import Handoff
from console.compliance.models import DoNotCallEntry
from console.leads.rules import QueueState, Stage

STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


@pytest.fixture
def agent(users):
    return users["teleprospector"]


@pytest.fixture
def open_call(agent, campaign, make_lead):
    make_lead(campaign)
    return claim_next_lead(agent)


def answer_all(call, agent, answers=STRONG):
    for key, value in answers.items():
        services.save_answer(call, agent, key, value)


def test_no_answer_schedules_a_retry_and_frees_the_lead(agent, open_call):
    services.record_disposition(open_call, agent, "no_answer")
    lead = open_call.lead
    assert open_call.status == CallStatus.COMPLETED and open_call.disposition == "no_answer"
    assert lead.queue_state == QueueState.RETRY
    assert lead.next_call_at > utcnow() + timedelta(hours=3)
    assert lead.attempts == 1
    assert lead.claimed_by_id is None


def test_the_last_allowed_attempt_closes_the_lead(agent, campaign, open_call, change_lead):
    change_lead(open_call.lead, attempts=campaign.max_attempts - 1)
    services.record_disposition(open_call, agent, "busy")
    assert open_call.lead.queue_state == QueueState.CLOSED


def test_a_callback_needs_a_future_time(agent, open_call):
    with pytest.raises(services.CallError, match="needs a date"):
        services.record_disposition(open_call, agent, "callback")
    with pytest.raises(services.CallError, match="future"):
        services.record_disposition(open_call, agent, "callback", callback_at=utcnow() - timedelta(minutes=1))


def test_a_callback_is_mine_unless_i_say_anyone(agent, open_call):
    when = utcnow() + timedelta(days=1)
    services.record_disposition(open_call, agent, "callback", callback_at=when)
    assert open_call.lead.queue_state == QueueState.CALLBACK
    assert open_call.lead.next_call_at == when
    assert open_call.lead.callback_owner_id == agent.id


def test_do_not_call_adds_the_number_at_once_with_who_and_which_call(agent, open_call):
    services.record_disposition(open_call, agent, "do_not_call")
    entry = db.session.scalar(select(DoNotCallEntry).where(DoNotCallEntry.phone == open_call.lead.phone))
    assert entry.added_by_id == agent.id and entry.call_id == open_call.id and entry.campaign_id is None
    assert entry.source == "opt_out"  # the do-not-call page shows it as the agent's opt-out on this call
    assert open_call.lead.queue_state == QueueState.CLOSED
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "lead.do_not_call")) == 1


def test_qualified_is_refused_until_required_criteria_are_answered(agent, open_call):
    services.save_answer(open_call, agent, "budget", "confirmed")
    with pytest.raises(services.QualificationIncomplete, match="answer Authority, Need, Timeline"):
        services.record_disposition(open_call, agent, "qualified")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Handoff.id))) == 0


def test_qualified_scores_the_lead_and_hands_it_to_sales_with_the_packet(agent, users, open_call):
    answer_all(open_call, agent)
    handoff = services.record_disposition(open_call, agent, "qualified", notes="Wants a demo Tuesday")
    assert handoff.assigned_to_id == users["sales"].id
    assert handoff.score == 100 and handoff.score_band == "hot"
    assert "Budget confirmed +25" in handoff.score_reasons
    assert handoff.answers["need"]["value"] == "urgent"
    assert handoff.call.notes == "Wants a demo Tuesday"
    assert open_call.lead.stage == Stage.MQL
    assert open_call.lead.queue_state == QueueState.CLOSED


def test_hand_offs_go_to_the_sales_member_with_the_least_pending_work(agent, users, make_user, campaign, make_lead):
    sales_ids = [users["sales"].id, make_user(Role.SALES).id, make_user(Role.SALES).id]
    assigned = []
    for _ in range(4):
        make_lead(campaign)
        call = claim_next_lead(agent)
        answer_all(call, agent)
        assigned.append(services.record_disposition(call, agent, "qualified").assigned_to_id)
    # Everyone gets one before anyone gets a second; the longest idle gets the fourth.
    assert assigned == sales_ids + [sales_ids[0]]


def test_a_sales_member_who_accepted_their_lead_is_next_in_line(agent, users, make_user, campaign, make_lead):
    other = make_user(Role.SALES)
    handoffs = []
    for _ in range(2):
        make_lead(campaign)
        call = claim_next_lead(agent)
        answer_all(call, agent)
        handoffs.append(services.record_disposition(call, agent, "qualified"))
    handoff_services.accept(handoffs[1], other)
    make_lead(campaign)
    call = claim_next_lead(agent)
    answer_all(call, agent)
    assert services.record_disposition(call, agent, "qualified").assigned_to_id == other.id


def test_qualifying_without_any_active_sales_member_fails_cleanly(agent, users, open_call):
    users["sales"].active = False
    db.session.commit()
    answer_all(open_call, agent)
    with pytest.raises(handoff_services.HandoffError, match="No active sales member"):
        services.record_disposition(open_call, agent, "qualified")


def test_another_agent_cannot_disposition_my_call(agent, make_user, open_call):
    with pytest.raises(services.NotYourCall):
        services.record_disposition(open_call, make_user(), "no_answer")


def test_a_closed_call_cannot_be_dispositioned_twice(agent, open_call):
    services.record_disposition(open_call, agent, "busy")
    with pytest.raises(services.CallError, match="already closed"):
        services.record_disposition(open_call, agent, "no_answer")


def test_an_answer_outside_the_options_is_refused(agent, open_call):
    with pytest.raises(services.CallError, match="is not an answer to Budget"):
        services.save_answer(open_call, agent, "budget", "loads")


def test_saving_an_answer_rescores_the_lead_and_clearing_it_removes_the_points(agent, open_call):
    assert services.save_answer(open_call, agent, "budget", "confirmed").points == 25
    assert open_call.lead.score == 25
    assert services.save_answer(open_call, agent, "budget", "").points == 0


def test_sales_accepts_or_rejects_with_a_reason(agent, users, open_call):
    answer_all(open_call, agent)
    handoff = services.record_disposition(open_call, agent, "qualified")
    with pytest.raises(handoff_services.HandoffError, match="Say why"):
        handoff_services.reject(handoff, users["sales"], handoff_services.Rejection("clerical", ""))
    handoff_services.accept(handoff, users["sales"])
    assert handoff.status == "accepted" and handoff.lead.stage == Stage.SAL
    with pytest.raises(handoff_services.HandoffError, match="no longer awaiting a decision: accepted"):
        handoff_services.reject(handoff, users["sales"], handoff_services.Rejection("clerical", "changed my mind"))


def test_an_opt_out_of_a_number_already_on_the_list_adds_no_second_entry(agent, open_call, list_number):
    # Listed while the agent was on the call (an admin, or the same person opting out by email).
    list_number(open_call.lead.phone, reason="Emailed an opt-out")
    services.record_disposition(open_call, agent, "do_not_call")
    assert db.session.scalar(select(func.count(DoNotCallEntry.id)).where(DoNotCallEntry.phone == open_call.lead.phone)) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "lead.do_not_call"))
    assert event.detail["already_listed"] is True and event.detail["call_id"] == open_call.id
