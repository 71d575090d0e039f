"""A lead sent to nurture comes back to the queue on its recall date; one sent back to its agent is theirs now."""
from datetime import timedelta

from console.calls.models import CallStatus
from console.database import writers
from console.extensions import db
from console.leads import services as leads
from console.leads.rules import QueueState, Stage
from console.queue import services as queue
from tests.builders import at_local


def test_a_recalled_lead_waits_for_its_date_then_is_claimed_with_a_new_round_of_attempts(users, campaign,
                                                                                          make_lead):
    lead = make_lead(campaign, attempts=campaign.max_attempts)
    recall_at_noon = at_local(12, 0, "America/New_York")
    with writers.write_transaction(db.session):
        leads.recall(lead, recall_at_noon.date(), cause="rejected", reason="Budget comes next fiscal year",
                     actor_id=users["sales"].id)
    db.session.refresh(lead)
    assert (lead.stage, lead.queue_state, lead.attempts) == (Stage.NURTURE, QueueState.RETRY, 0)

    agent = users["teleprospector"]
    the_day_before = recall_at_noon - timedelta(days=1)
    assert any("next attempt due" in problem for problem in queue.dialability_problems(lead, agent, the_day_before))
    assert queue.claim_next_lead(agent, now=the_day_before) is None

    call = queue.claim_next_lead(agent, now=recall_at_noon)
    assert call is not None and call.lead_id == lead.id and call.status == CallStatus.OPEN
    recall = leads.latest_recall(lead.id)
    assert (recall.cause, recall.reason, recall.recall_on) == ("rejected", "Budget comes next fiscal year",
                                                              recall_at_noon.date())


def test_a_lead_returned_to_its_agent_is_their_callback_due_now_and_nobody_elses(users, make_user, campaign,
                                                                                   make_lead):
    lead = make_lead(campaign)
    agent, other_agent = users["teleprospector"], make_user()
    with writers.write_transaction(db.session):
        leads.return_to_agent(lead, agent.id, reason="The number is the switchboard", actor_id=users["sales"].id)
    db.session.refresh(lead)
    assert (lead.stage, lead.queue_state, lead.callback_owner_id) == (Stage.LEAD, QueueState.CALLBACK, agent.id)

    now = at_local(12, 0, "America/New_York")
    assert queue.claim_next_lead(other_agent, now=now) is None
    call = queue.claim_next_lead(agent, now=now)
    assert call is not None and call.lead_id == lead.id
    assert leads.latest_recall(lead.id).cause == "clerical"
