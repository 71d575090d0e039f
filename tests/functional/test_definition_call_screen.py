"""The call screen scores with the definition in force: required criteria marked, a numeric criterion answered with
a number, engagement on its own lines, *Qualified* refused naming what is missing; and a guide that stops asking
what a new definition requires is flagged to its editors and to that definition's approvers."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from console.auth.models import Role
from console.calls import services as calls
from console.clock import utcnow
from console.extensions import db
from console.leads.models import Touch
from console.outbox.models import OutboxEntry
from console.outbox.worker import Worker
from console.queue.services import claim_next_lead
from console.scoring import services
from console.scoring.rules import SHIPPED_GLOSSARY, SHIPPED_MODEL, model_to_dict

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN


def with_company_size() -> dict:
    model = model_to_dict(SHIPPED_MODEL)
    model["criteria"].append({
        "key": "company_size", "label": "Company size", "question": "How many people work there?", "kind": "number",
        "required": True, "group": "", "unit": "employees",
        "options": [{"value": "small", "label": "Small business", "points": 0, "at_least": None},
                    {"value": "mid", "label": "Mid-market", "points": 15, "at_least": 200}]})
    model["engagement"] = {"half_life_days": 16, "cap": None,
                           "kinds": [{"kind": "webinar", "label": "Webinar attended", "points": 10}]}
    return model


@pytest.fixture
def in_force(users, make_user):
    proposal = services.propose(users[M], campaign_id=None, model=with_company_size(), glossary=SHIPPED_GLOSSARY,
                                note="Company size matters", submit=True)
    services.vote(proposal, users[S], decision="approve")
    services.vote(proposal, make_user(S, full_name="Second Seller"), decision="approve")
    db.session.commit()
    return proposal


@pytest.fixture
def call(users, campaign, make_lead, in_force):
    make_lead(campaign, touches=[Touch(kind="webinar", description="Attended the webinar",
                                       occurred_at=utcnow() - timedelta(days=12, hours=3))])
    return claim_next_lead(users[T])


def test_the_capture_form_marks_required_criteria_and_asks_a_number_for_a_numeric_one(client, auth, users, call):
    auth.login(users[T].email)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert page.count('title="Required to qualify">required</abbr>') == 5
    assert 'type="number" name="value" id="answer-company_size"' in page
    assert "under 200 employees +0 · 200 or more employees +15" in page
    assert "Webinar attended 12 days ago +6 (decayed from 10)" in page  # engagement, on its own lines


def test_a_number_is_saved_and_scored_by_its_band_and_a_word_is_refused(client, auth, users, call):
    auth.login(users[T].email)
    version = call.lead.version
    response = auth.post(f"/calls/{call.id}/answers", {"criterion": "company_size", "value": "1,250",
                                                       "version": version}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "Company size 1,250 employees: Mid-market +15" in fragment
    db.session.rollback()
    assert calls.answer_values(call.lead)["company_size"] == "1250"
    response = auth.post(f"/calls/{call.id}/answers", {"criterion": "company_size", "value": "lots",
                                                       "version": version + 1}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "Company size: enter a whole number." in response.get_data(as_text=True)


def test_qualified_is_refused_until_every_required_criterion_is_answered_naming_them(client, auth, users, call):
    agent = users[T]
    for key, value in {"budget": "confirmed", "authority": "decision_maker", "need": "urgent",
                       "timeline": "under_3_months"}.items():
        calls.save_answer(call, agent, key, value)
    auth.login(agent.email)
    response = auth.post(f"/calls/{call.id}/disposition", {"disposition": "qualified", "next_step": "send_info"})
    assert response.status_code == 422
    assert "Cannot qualify yet: answer Company size." in response.get_data(as_text=True)
    calls.save_answer(call, agent, "company_size", "300")
    handoff = calls.record_disposition(call, agent, "qualified")
    assert handoff.score == 121 and handoff.score_model_version == services.current_model().version
    assert "Webinar attended 12 days ago +6 (decayed from 10)" in handoff.score_reasons


def test_a_guide_that_does_not_ask_a_newly_required_criterion_is_flagged_to_its_editors_and_approvers(
        app, client, auth, users, default_guide, in_force):
    Worker(app, name="test-worker").run(once=True)
    db.session.rollback()
    flagged = db.session.scalars(select(OutboxEntry).where(OutboxEntry.kind == "notification")).all()
    titles = {row.payload["title"]: row.payload for row in flagged}
    flag = titles[f"{default_guide.name} does not ask Company size"]
    assert users[S].id in flag["user_ids"] and users[M].id in flag["user_ids"]  # an approver, the proposer
    auth.login(users[S].email)
    assert "Does not ask: Company size" in client.get("/guides/").get_data(as_text=True)
    page = client.get(f"/guides/{default_guide.id}/edit").get_data(as_text=True)
    assert 'id="missing-criteria"' in page and "Company size" in page


def test_a_lead_scored_by_its_touches_alone_shows_its_score_not_unscored(client, auth, users, call):
    auth.login(users[T].email)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert '<span class="band band-cool">Cool · 6</span>' in page  # no answer yet: the webinar's 6 points count
    assert "Unscored" not in page


def test_a_source_criterion_is_scored_on_the_call_screen_but_never_asked(client, auth, users, make_user, campaign,
                                                                         make_lead):
    model = model_to_dict(SHIPPED_MODEL)
    model["criteria"].append({"key": "lead_source", "label": "Source", "question": "", "kind": "source",
                              "required": False, "group": "", "unit": "", "options": [
                                  {"value": "webinar attendees", "label": "Attended a webinar", "points": 15,
                                   "at_least": None}]})
    proposal = services.propose(users[M], campaign_id=None, model=model, glossary=SHIPPED_GLOSSARY,
                                note="Webinar leads buy", submit=True)
    services.vote(proposal, users[S], decision="approve")
    services.vote(proposal, make_user(S), decision="approve")
    db.session.commit()
    make_lead(campaign, source="Webinar Attendees")
    call = claim_next_lead(users[T])
    auth.login(users[T].email)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert 'id="question-need"' in page and 'id="question-lead_source"' not in page
    assert "Attended a webinar +15" in page
    response = auth.post(f"/calls/{call.id}/answers", {"criterion": "lead_source", "value": "webinar attendees",
                                                       "version": call.lead.version}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "Source is not asked: it is the lead&#39;s source." in response.get_data(as_text=True)
    auth.logout()
    auth.login(users[M].email)
    definition = client.get("/definition/").get_data(as_text=True)
    assert "Not asked: the lead's source" in definition and "Any other source" in definition
