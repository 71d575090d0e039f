"""A Nurture disposition sends the lead away until its recall date (the campaign's delay by default), and the queue
gives it back on that date for a new round of calls, with the call's notes as the reason the next agent reads."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from console.calls import services as calls
from console.calls.errors import CallError
from console.clock import utcnow
from console.extensions import db
from console.leads import services as leads
from console.leads.models import Lead
from console.leads.rules import QueueState, Stage
from console.queue import services as queue


def noon_in_new_york(day) -> datetime:
    return datetime.combine(day, time(12, 0), ZoneInfo("America/New_York")).astimezone(ZoneInfo("UTC")).replace(
        tzinfo=None)


def nurture(agent, campaign, make_lead, **options):
    lead = make_lead(campaign, attempts=campaign.max_attempts - 1)
    call = queue.claim_next_lead(agent)
    assert call.lead_id == lead.id
    calls.record_disposition(call, agent, "nurture", notes="Budget is set in March", **options)
    db.session.rollback()
    return db.session.get(Lead, lead.id), call


@pytest.mark.parametrize("recall_days, given", [(90, None), (14, 14), (30, 5)])
def test_a_nurtured_lead_comes_back_on_its_recall_date_for_a_new_round_of_calls(
        users, make_campaign, make_lead, recall_days, given):
    campaign = make_campaign(nurture_recall_days=recall_days)
    agent = users["teleprospector"]
    recall_on = utcnow().date() + timedelta(days=given or recall_days)
    lead, call = nurture(agent, campaign, make_lead,
                         recall_on=recall_on if given else None)  # None: the campaign's delay

    assert (lead.stage, lead.queue_state, lead.attempts) == (Stage.NURTURE, QueueState.RETRY, 0)
    assert lead.next_call_at == datetime.combine(recall_on, time(0))
    recall = leads.latest_recall(lead.id)
    assert (recall.cause, recall.reason, recall.recall_on, recall.call_id, recall.created_by_id) == (
        "nurture", "Budget is set in March", recall_on, call.id, agent.id)

    the_day_before = noon_in_new_york(recall_on - timedelta(days=1))
    assert queue.claim_next_lead(agent, now=the_day_before) is None
    again = queue.claim_next_lead(agent, now=noon_in_new_york(recall_on))
    assert again is not None and again.lead_id == lead.id


def test_a_recall_date_in_the_past_is_refused_and_nothing_changes(users, campaign, make_lead):
    agent = users["teleprospector"]
    lead = make_lead(campaign)
    call = queue.claim_next_lead(agent)
    with pytest.raises(CallError, match="The recall date must be after today."):
        calls.record_disposition(call, agent, "nurture", recall_on=utcnow().date())
    db.session.rollback()
    assert db.session.get(Lead, lead.id).stage == Stage.LEAD and leads.latest_recall(lead.id) is None


def test_a_next_step_is_kept_on_the_hand_off_with_its_time(users, campaign, make_lead):
    agent = users["teleprospector"]
    make_lead(campaign)
    call = queue.claim_next_lead(agent)
    for criterion, value in {"budget": "confirmed", "authority": "decision_maker", "need": "urgent",
                             "timeline": "under_3_months"}.items():
        calls.save_answer(call, agent, criterion, value)
    at = utcnow().replace(microsecond=0) + timedelta(days=3)
    handoff = calls.record_disposition(call, agent, "qualified",
                                       next_step=calls.AgreedStep("call_back", at, "  After the board meeting "))
    assert (handoff.next_step, handoff.next_step_at, handoff.next_step_note) == (
        "call_back", at, "After the board meeting")


def test_a_next_step_in_the_past_is_refused_before_anything_is_handed_over(users, campaign, make_lead):
    agent = users["teleprospector"]
    make_lead(campaign)
    call = queue.claim_next_lead(agent)
    for criterion, value in {"budget": "confirmed", "authority": "decision_maker", "need": "urgent",
                             "timeline": "under_3_months"}.items():
        calls.save_answer(call, agent, criterion, value)
    with pytest.raises(calls.NextStepInvalid) as refused:
        calls.record_disposition(call, agent, "qualified",
                                 next_step=calls.AgreedStep("meeting", utcnow() - timedelta(hours=1)))
    assert refused.value.field_errors == {"next_step_at": "Meeting booked time must be in the future."}
