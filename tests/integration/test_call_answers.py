"""Autosaved answers and the stale-save refusal, through the service and the real database."""
import pytest
from sqlalchemy import select

from console.calls import services
from console.calls.models import Call, QualificationAnswer
from console.extensions import db
from console.queue.services import claim_next_lead


@pytest.fixture
def agent(users):
    return users["teleprospector"]


@pytest.fixture
def open_call(agent, campaign, make_lead):
    make_lead(campaign)
    return claim_next_lead(agent)


def stored_answer(lead, criterion):
    db.session.expire_all()
    return db.session.scalar(select(QualificationAnswer.value).where(
        QualificationAnswer.lead_id == lead.id, QualificationAnswer.criterion == criterion))


def test_an_answer_saved_against_the_current_version_is_kept_and_moves_the_version_on(agent, open_call):
    version = open_call.lead.version
    services.save_answer(open_call, agent, "budget", "confirmed", expected_version=version)
    assert stored_answer(open_call.lead, "budget") == "confirmed"
    assert open_call.lead.version == version + 1


def test_a_page_can_keep_saving_with_the_version_each_save_returns(agent, open_call):
    version = open_call.lead.version
    for criterion, value in (("budget", "planned"), ("need", "some"), ("budget", "confirmed")):
        services.save_answer(open_call, agent, criterion, value, expected_version=version)
        version = open_call.lead.version
    assert stored_answer(open_call.lead, "budget") == "confirmed"


def test_a_save_from_a_page_drawn_before_the_lead_changed_is_refused_and_overwrites_nothing(agent, open_call):
    page_version = open_call.lead.version
    services.save_answer(open_call, agent, "budget", "confirmed", expected_version=page_version)  # another window
    with pytest.raises(services.StaleSave, match="changed since your page loaded"):
        services.save_answer(open_call, agent, "budget", "none", expected_version=page_version)
    db.session.rollback()
    assert stored_answer(open_call.lead, "budget") == "confirmed"
    assert open_call.lead.score == 25


def test_a_stale_save_that_would_clear_an_answer_is_refused_too(agent, open_call):
    page_version = open_call.lead.version
    services.save_answer(open_call, agent, "need", "urgent", expected_version=page_version)
    with pytest.raises(services.StaleSave):
        services.save_answer(open_call, agent, "need", "", expected_version=page_version)
    db.session.rollback()
    assert stored_answer(open_call.lead, "need") == "urgent"


def test_answers_survive_a_new_session_as_a_reload_or_crash_would_see_them(agent, open_call):
    services.save_answer(open_call, agent, "timeline", "under_3_months", expected_version=open_call.lead.version)
    call_id = open_call.id
    db.session.remove()  # what a crashed browser leaves behind: nothing but the database
    call = db.session.get(Call, call_id)
    assert services.answers_for(call.lead)["timeline"].value == "under_3_months"
