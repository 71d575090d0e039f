"""The queue's pages: the agent's queue explains itself, campaigns show N of M dialable, leads say why."""
from datetime import time, timedelta

import pytest

from console.clock import utcnow
from console.extensions import db
from console.leads.models import Lead
from console.leads.rules import QueueState


@pytest.fixture
def agent_client(client, auth, users):
    auth.login("teleprospector@example.com")
    return client


@pytest.fixture
def marketing_client(client, auth, users):
    auth.login("marketing@example.com")
    return client


def test_the_queue_page_counts_the_leads_that_can_be_called(agent_client, campaign, make_lead):
    make_lead(campaign)
    make_lead(campaign)
    page = agent_client.get("/queue").get_data(as_text=True)
    assert '<span id="dialable-count">2</span> leads can be called right now.' in page
    assert "Why nothing can be called now" not in page


def test_an_empty_queue_explains_itself_instead_of_a_generic_sentence(agent_client, make_user, campaign, make_lead):
    make_lead(campaign, queue_state=QueueState.RETRY, next_call_at=utcnow() + timedelta(hours=2), attempts=1)
    make_lead(campaign, time_zones="")
    page = agent_client.get("/queue").get_data(as_text=True)
    assert "Why nothing can be called now" in page
    assert "1 lead waits for its retry delay; the next is due at" in page
    assert "1 lead has no known time zone: set the state to call." in page
    assert f"/queue/campaigns/{campaign.id}" in page


def test_a_marketing_manager_sees_n_of_m_leads_dialable_with_a_chart(marketing_client, campaign, make_lead):
    make_lead(campaign)
    make_lead(campaign, time_zones="")
    page = marketing_client.get(f"/queue/campaigns/{campaign.id}").get_data(as_text=True)
    assert '<strong id="dialable-now">1</strong> of <strong id="dialable-total">2</strong> leads dialable now' in page
    assert 'data-reason="zone_unknown"' in page and "<meter" in page


def test_the_campaign_breakdown_is_a_fragment_for_htmx(marketing_client, campaign, make_lead):
    make_lead(campaign)
    response = marketing_client.get(f"/queue/campaigns/{campaign.id}", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div class="campaign-dialability"')
    assert "HX-Request" in response.headers.get("Vary", "")


def test_a_lead_page_says_why_it_cannot_be_called(marketing_client, make_campaign, make_lead):
    campaign = make_campaign(calling_start=time(8), calling_end=time(21))
    lead = make_lead(campaign, time_zones="", state=None, phone="+18005550100")
    page = marketing_client.get(f"/queue/leads/{lead.id}").get_data(as_text=True)
    assert "Not dialable now." in page
    assert "time zone unknown: set the lead&#39;s zone or state before calling" in page


def test_the_lead_explanation_is_a_fragment_for_htmx(agent_client, campaign, make_lead):
    lead = make_lead(campaign)
    response = agent_client.get(f"/queue/leads/{lead.id}", headers={"HX-Request": "true"})
    assert response.get_data(as_text=True).lstrip().startswith('<div class="lead-dialability"')
    assert "HX-Request" in response.headers.get("Vary", "")


def test_an_unknown_lead_or_campaign_is_a_404_not_an_error(marketing_client):
    assert marketing_client.get("/queue/leads/999999").status_code == 404
    assert marketing_client.get("/queue/campaigns/999999").status_code == 404


def test_setting_the_state_of_a_toll_free_lead_makes_it_dialable(marketing_client, auth, campaign, make_lead):
    lead = make_lead(campaign, time_zones="", state=None, phone="+18005550100")
    response = auth.post(f"/queue/leads/{lead.id}/location", {"state": "NY", "time_zones": ""})
    assert response.status_code == 303
    db.session.rollback()  # read what the request committed, not this session's snapshot
    lead = db.session.get(Lead, lead.id)
    assert lead.time_zones == "America/New_York" and lead.state == "NY"


def test_a_misspelt_time_zone_is_refused_with_a_message(marketing_client, auth, campaign, make_lead):
    lead = make_lead(campaign, time_zones="")
    response = auth.post(f"/queue/leads/{lead.id}/location", {"state": "", "time_zones": "America/Chicgo"},
                         headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "is not a time zone name" in response.get_data(as_text=True)
    db.session.rollback()  # read what the request committed, not this session's snapshot
    assert db.session.get(Lead, lead.id).time_zones == ""
