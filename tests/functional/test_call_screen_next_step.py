"""The call screen asks Qualified for the next step agreed and Nurture for a recall date, refuses what cannot be kept
beside the field with what was typed, and tells the next agent why a lead came back."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.handoffs.models import Handoff
from console.leads import services as leads
from console.leads.models import Lead, Recall

STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def agent_client(client, auth, users):
    auth.login("teleprospector@example.com")
    return client


@pytest.fixture
def call_url(agent_client, auth, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics")
    return agent_client.post("/queue/next", data={"csrf_token": auth.csrf_token()}).headers["Location"]


@pytest.fixture
def answered(agent_client, auth, call_url):
    for criterion, value in STRONG.items():
        agent_client.post(f"{call_url}/answers", data={"criterion": criterion, "value": value,
                                                       "version": version(agent_client, call_url),
                                                       "csrf_token": auth.csrf_token()})
    return call_url


def version(client, call_url) -> str:
    return re.search(r'id="lead-version" name="version" value="(\d+)"',
                     client.get(call_url).get_data(as_text=True)).group(1)


def qualify(client, auth, call_url, **fields):
    return client.post(f"{call_url}/disposition", data={"disposition": "qualified", "notes": "Ready for a demo",
                                                        "csrf_token": auth.csrf_token(), **fields})


def local(when) -> str:
    """A naive UTC time as the agent types it: the lead's local time (New York)."""
    return when.replace(tzinfo=ZoneInfo("UTC")).astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M")


def test_the_call_screen_offers_the_next_steps_and_the_recall_date(agent_client, call_url, campaign):
    page = agent_client.get(call_url).get_data(as_text=True)
    for code, label in (("meeting", "Meeting booked"), ("send_info", "Send information"),
                        ("call_back", "Sales calls back")):
        assert re.search(rf'<input type="radio" name="next_step" value="{code}"[^>]*>{label}</label>', page)
    assert 'id="next_step_at" name="next_step_at"' in page and 'name="next_step_note"' in page
    default = utcnow().date() + timedelta(days=campaign.nurture_recall_days)
    assert f'id="recall_on" name="recall_on" value="{default.isoformat()}"' in page


def test_qualified_without_a_next_step_is_refused_beside_the_field_keeping_the_notes(agent_client, auth, answered):
    response = qualify(agent_client, auth, answered, next_step_note="Wants a demo")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'<p class="field-error" id="next_step-error">Say what was agreed with the prospect', page)
    assert 'value="Wants a demo"' in page and "Ready for a demo</textarea>" in page
    assert db.session.query(Handoff).count() == 0


def test_a_meeting_without_a_time_or_in_the_past_is_refused_keeping_what_was_typed(agent_client, auth, answered):
    response = qualify(agent_client, auth, answered, next_step="meeting", next_step_note="Demo with the CFO")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="next_step_at-error">Meeting booked needs a date and time.' in page
    assert re.search(r'name="next_step" value="meeting"[^>]* checked', page) and 'value="Demo with the CFO"' in page

    # Earlier today in New York: the form (which does not know the zone) lets it through, the lead's clock refuses it.
    earlier = local(utcnow() - timedelta(hours=2))
    response = qualify(agent_client, auth, answered, next_step="meeting", next_step_at=earlier)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="next_step_at-error">Meeting booked time must be in the future.' in page
    assert f'name="next_step_at" value="{earlier}"' in page
    assert db.session.query(Handoff).count() == 0

    response = qualify(agent_client, auth, answered, next_step="call_back", next_step_at="next tuesday")
    assert response.status_code == 422 and 'name="next_step_at" value="next tuesday"' in response.get_data(as_text=True)


def test_the_next_step_is_handed_over_its_time_typed_in_the_leads_zone(agent_client, auth, answered):
    meeting = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = qualify(agent_client, auth, answered, next_step="meeting", next_step_at=local(meeting),
                       next_step_note="Demo with the CFO")
    assert response.status_code == 303
    handoff = db.session.query(Handoff).one()
    assert (handoff.next_step, handoff.next_step_at, handoff.next_step_note) == ("meeting", meeting,
                                                                                 "Demo with the CFO")


def test_send_information_needs_no_time(agent_client, auth, answered):
    assert qualify(agent_client, auth, answered, next_step="send_info", next_step_at="").status_code == 303
    assert db.session.query(Handoff).one().next_step_at is None


def test_nurture_recalls_the_lead_on_the_date_chosen_and_refuses_one_past(agent_client, auth, call_url):
    lead_id = db.session.query(Lead.id).scalar()
    response = agent_client.post(f"{call_url}/disposition", data={
        "disposition": "nurture", "notes": "Budget in March", "recall_on": utcnow().date().isoformat(),
        "csrf_token": auth.csrf_token()})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="recall_on-error">The recall date must be after today.' in page
    assert f'name="recall_on" value="{utcnow().date().isoformat()}"' in page

    recall_on = utcnow().date() + timedelta(days=45)
    response = agent_client.post(f"{call_url}/disposition", data={
        "disposition": "nurture", "notes": "Budget in March", "recall_on": recall_on.isoformat(),
        "csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    assert f"nurture recorded; back in the queue on {recall_on:%a %b %d, %Y}" in agent_client.get(
        response.headers["Location"]).get_data(as_text=True)
    db.session.rollback()
    recall = db.session.query(Recall).one()
    assert (recall.lead_id, recall.recall_on, recall.reason) == (lead_id, recall_on, "Budget in March")


@pytest.mark.parametrize("cause, expected", [
    ("rejected", "<strong>Back from nurture</strong> (set by Sales Person on <time datetime=\"{day}\">{label}</time>: "
                 "rejected by sales as not ready — ‘budget next year’)"),
    ("nurture", "<strong>Back from nurture</strong> (set by Sales Person on <time datetime=\"{day}\">{label}</time>: "
                "nurtured on a call — ‘budget next year’)"),
])
def test_the_next_agent_reads_why_a_recalled_lead_came_back(agent_client, auth, users, campaign, make_lead, cause,
                                                             expected):
    lead = make_lead(campaign, first_name="Jordan", last_name="Rivera")
    with writers.write_transaction(db.session):
        leads.recall(lead, utcnow().date(), cause=cause, reason="budget next year", actor_id=users["sales"].id)
    call_url = agent_client.post("/queue/next", data={"csrf_token": auth.csrf_token()}).headers["Location"]
    page = agent_client.get(call_url).get_data(as_text=True)
    today = utcnow().date()
    note = page.split('id="recall-note">')[1].split("</p>")[0]
    assert note == expected.format(day=today.isoformat(), label=today.strftime("%b %d"))


def test_a_lead_sent_back_by_sales_says_so_with_the_note(agent_client, auth, users, campaign, make_lead):
    lead = make_lead(campaign)
    with writers.write_transaction(db.session):
        leads.return_to_agent(lead, users["teleprospector"].id, reason="The number is the switchboard",
                              actor_id=users["sales"].id)
    call_url = agent_client.post("/queue/next", data={"csrf_token": auth.csrf_token()}).headers["Location"]
    note = agent_client.get(call_url).get_data(as_text=True).split('id="recall-note">')[1].split("</p>")[0]
    assert note.startswith("<strong>Sent back by sales:</strong> bad data — ‘The number is the switchboard’")
    assert "Sales Person" in note


def test_a_lead_never_recalled_shows_no_note(agent_client, call_url):
    assert 'id="recall-note"' not in agent_client.get(call_url).get_data(as_text=True)
