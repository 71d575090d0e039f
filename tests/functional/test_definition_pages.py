"""The lead definition's pages: what everyone reads, a proposal made and voted on through the browser's forms,
refusals beside the fields, and the links from every screen that shows a score."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from console.calls import services as calls
from console.queue.services import claim_next_lead

from console.auth.models import Role
from console.extensions import db
from console.outbox.worker import Worker
from console.scoring import services
from console.scoring.models import DefinitionVersion
from console.scoring.rules import SHIPPED_GLOSSARY, SHIPPED_MODEL, VersionStatus, model_to_dict

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN


@pytest.fixture
def world_with_handoff(users, campaign, make_lead):
    """A lead qualified and handed over, and the next one held by the agent: (hand-off, held call, lead) ids."""
    agent = users[T]
    make_lead(campaign)
    call = claim_next_lead(agent)
    for key, value in {"budget": "confirmed", "authority": "decision_maker", "need": "urgent",
                       "timeline": "under_3_months"}.items():
        calls.save_answer(call, agent, key, value)
    handoff = calls.record_disposition(call, agent, "qualified")
    make_lead(campaign)
    held = claim_next_lead(agent)
    return handoff.id, held.id, call.lead_id


def form_fields(html: str) -> dict[str, str]:
    """The values a browser would post from the page's proposal form (inputs, checked boxes, selects, textareas)."""
    form = re.search(r'<form method="post" action="/definition/[^"]*" novalidate>(.*?)</form>', html, re.S).group(1)
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        kind = kind.group(1) if kind else "text"
        if kind in ("checkbox", "radio") and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields[name.group(1)] = value.group(1) if value else ("y" if kind == "checkbox" else "")
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        fields[name] = body.strip()
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', body)
        first = re.search(r'<option[^>]*value="([^"]*)"', body)
        fields[name] = (chosen.group(1) or chosen.group(2)) if chosen else (first.group(1) if first else "")
    fields.pop("csrf_token", None)
    return {name: value.replace("&amp;", "&").replace("&#39;", "'").replace("&#34;", '"') for name, value in fields.items()}


def test_everyone_reads_the_definition_with_its_glossary_points_chart_and_bands(client, auth, users):
    auth.login(users[T].email)
    page = client.get("/definition/").get_data(as_text=True)
    assert "Version 1" in page and "shipped with the console" in page
    assert "Marketing-qualified lead (MQL)" in page and "Sales-accepted lead (SAL)" in page  # the glossary's words
    assert re.search(r"answers to <strong>Budget</strong>, <strong>Authority</strong>, <strong>Need</strong> and "
                     r"<strong>Timeline</strong>, and a score of <strong>50</strong> or more", page)
    assert "Budget confirmed" in page and "+25" in page
    assert '<svg class="points-chart"' in page and "Hot 70" in page
    assert "Open leads by band" in page
    assert "Propose a change" not in page  # agents read it; the two sides change it


def test_a_marketing_manager_proposes_a_change_through_the_form_and_sees_it_side_by_side(client, auth, users):
    auth.login(users[M].email)
    fields = form_fields(client.get("/definition/proposals/new").get_data(as_text=True))
    assert fields["criteria-0-options-0-points"] == "25"
    fields.update({"note": "Confirmed budget should weigh more", "criteria-0-options-0-points": "30",
                   "action": "propose"})
    response = auth.post("/definition/proposals/new", fields)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Proposed: open for votes" in page
    assert re.search(r"Budget: confirmed</th>\s*<td class=\"before\">Budget confirmed \+25</td>\s*"
                     r"<td class=\"after\">Budget confirmed \+30</td>", page)
    assert "Marketing</strong>: 1 of 1 approval" in page
    assert "Working it out" in page  # the impact job is queued


def test_an_unusable_proposal_is_refused_with_what_is_wrong_and_keeps_what_was_typed(client, auth, users):
    auth.login(users[S].email)
    fields = form_fields(client.get("/definition/proposals/new").get_data(as_text=True))
    fields.update({"note": "Harder", "hot_from": "500", "criteria-1-options-0-points": "abc"})
    response = auth.post("/definition/proposals/new", fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Not a valid integer value." in page and 'value="500"' in page and 'value="abc"' in page
    fields["criteria-1-options-0-points"] = "25"
    page = auth.post("/definition/proposals/new", fields).get_data(as_text=True)
    assert "Hot (from 500) cannot be reached: the best answers score 100" in page
    db.session.rollback()
    assert db.session.scalar(select(DefinitionVersion.id).where(DefinitionVersion.id > 1)) is None


def test_a_numeric_criterion_and_engagement_points_are_added_through_the_form(client, auth, users):
    auth.login(users[M].email)
    fields = form_fields(client.get("/definition/proposals/new").get_data(as_text=True))
    fields.update({"note": "Company size and webinars", "criteria-4-label": "Company size", "criteria-4-kind": "number",
                   "criteria-4-unit": "employees", "criteria-4-group": "fit",
                   "criteria-4-options-0-label": "Small", "criteria-4-options-0-points": "0",
                   "criteria-4-options-1-label": "Mid-market", "criteria-4-options-1-points": "10",
                   "criteria-4-options-1-at_least": "200", "caps-0-group": "fit", "caps-0-label": "Fit",
                   "caps-0-max_points": "10", "half_life_days": "30", "engagement_cap": "15",
                   "touches-0-kind": "webinar", "touches-0-label": "Webinar attended", "touches-0-points": "10",
                   "action": "draft"})
    fields.pop("criteria-4-required", None)
    response = auth.post("/definition/proposals/new", fields)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    db.session.rollback()  # a read begun before the request would not see what it wrote
    version = db.session.scalars(select(DefinitionVersion).order_by(DefinitionVersion.id.desc())).first()
    model = services.definition_of(version).model
    size = model.criterion("company_size")
    assert size.is_numeric and not size.required and size.option("250").label == "Mid-market"
    assert model.engagement.kind("webinar").points == 10 and model.engagement.half_life_days == 30
    assert version.status == VersionStatus.DRAFT


def test_votes_are_cast_on_the_page_and_a_rejection_needs_a_comment(client, auth, users, make_user):
    proposal = services.propose(users[M], campaign_id=None, model=model_to_dict(SHIPPED_MODEL) | {
        "thresholds": {"hot": 75, "warm": 40, "qualified": 50}}, glossary=SHIPPED_GLOSSARY, note="Hot from 75",
        submit=True)
    auth.login(users[S].email)
    response = auth.post(f"/definition/versions/{proposal.id}/vote", {"decision": "reject", "comment": ""})
    assert response.status_code == 422
    assert "Say why you reject it" in response.get_data(as_text=True)
    response = auth.post(f"/definition/versions/{proposal.id}/vote", {"decision": "approve"})
    assert response.status_code == 303
    page = client.get(f"/definition/versions/{proposal.id}").get_data(as_text=True)
    assert "Sales</strong>: 1 of 2 approvals" in page and "You have already voted on this revision" in page
    second = make_user(S, full_name="Second Seller")
    auth.logout()
    auth.login(second.email)
    auth.post(f"/definition/versions/{proposal.id}/vote", {"decision": "approve"})
    page = client.get("/definition/").get_data(as_text=True)
    assert f"Version {proposal.id}" in page and "Second Seller" in page and "Hot 75" in page


def test_only_its_proposer_edits_a_proposal(client, auth, users):
    proposal = services.propose(users[M], campaign_id=None, model=model_to_dict(SHIPPED_MODEL),
                                glossary=SHIPPED_GLOSSARY, note="Same", submit=False)
    auth.login(users[S].email)
    response = client.get(f"/definition/versions/{proposal.id}/edit")
    assert response.status_code == 303
    assert "Only its proposer changes a proposal" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_impact_appears_once_the_worker_has_worked_it_out(app, client, auth, users, campaign, make_lead,
                                                              answer_lead):
    lead = make_lead(campaign)
    answer_lead(lead, budget="confirmed", authority="influencer", need="some")  # 45: warm
    model = model_to_dict(SHIPPED_MODEL)
    model["criteria"][0]["options"][0]["points"] = 60  # 80: hot
    proposal = services.propose(users[M], campaign_id=None, model=model, glossary=SHIPPED_GLOSSARY,
                                note="Budget first", submit=True)
    Worker(app, name="test-worker").run(once=True)
    auth.login(users[S].email)
    fragment = client.get(f"/definition/versions/{proposal.id}/status",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<strong>1</strong> of 1 open leads would change band" in fragment
    assert "1 up a band" in fragment and "1 would reach the qualified score" in fragment
    assert lead.full_name in fragment


def test_an_admin_sets_the_approvals_each_side_gives(client, auth, users):
    auth.login(users[A].email)
    response = auth.post("/definition/approvals", {"sales": "0", "marketing": "1"})
    assert response.status_code == 422 and "From 1 to 10." in response.get_data(as_text=True)
    assert auth.post("/definition/approvals", {"sales": "3", "marketing": "2"}).status_code == 303
    db.session.rollback()
    assert services.approval_settings() == {"sales": 3, "marketing": 2}


def test_any_two_versions_are_compared(client, auth, users, make_user):
    model = model_to_dict(SHIPPED_MODEL)
    model["thresholds"]["warm"] = 35
    proposal = services.propose(users[M], campaign_id=None, model=model, glossary=SHIPPED_GLOSSARY, note="Warmer",
                                submit=True)
    auth.login(users[S].email)
    page = client.get(f"/definition/compare?from_version=1&to_version={proposal.id}").get_data(as_text=True)
    assert re.search(r"Warm from</th>\s*<td class=\"before\">40</td>\s*<td class=\"after\">35</td>", page)
    assert client.get("/definition/compare?from_version=1&to_version=999").status_code == 422


def test_every_screen_that_shows_a_score_links_to_the_definition(client, auth, users, world_with_handoff):
    handoff_id, call_id, lead_id = world_with_handoff
    auth.login(users[T].email)
    assert 'class="definition-link"' in client.get("/queue").get_data(as_text=True)
    assert 'class="definition-link"' in client.get(f"/calls/{call_id}").get_data(as_text=True)
    auth.logout()
    auth.login(users[S].email)
    packet = client.get(f"/handoffs/{handoff_id}").get_data(as_text=True)
    assert 'class="definition-link"' in packet and "lead definition version 1" in packet
    assert 'class="definition-link"' in client.get(f"/leads/{lead_id}").get_data(as_text=True)


def test_the_lead_record_explains_a_stored_score_with_the_definition_that_made_it(client, auth, users, make_user,
                                                                                 world_with_handoff):
    _handoff_id, _call_id, lead_id = world_with_handoff  # handed over with version 1: an urgent need worth 30
    model = model_to_dict(SHIPPED_MODEL)
    model["criteria"][2]["options"][0]["points"] = 50
    proposal = services.propose(users[M], campaign_id=None, model=model, glossary=SHIPPED_GLOSSARY, note="Urgent",
                                submit=True)
    services.vote(proposal, users[S], decision="approve")
    services.vote(proposal, make_user(S), decision="approve")
    db.session.commit()
    auth.login(users[M].email)
    page = client.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert "lead definition version 1" in page
    assert '<li class="plus">Urgent, stated need +30</li>' in page and "+50" not in page
