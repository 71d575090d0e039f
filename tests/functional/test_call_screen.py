"""The call screen through HTTP: what the agent sees, autosave, and refusals that lose nothing."""
import pytest

from console.extensions import db
from console.handoffs.models import Handoff

STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


@pytest.fixture
def agent_client(client, auth, users):
    auth.login("teleprospector@example.com")
    return client


@pytest.fixture
def call_url(agent_client, auth, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics")
    response = agent_client.post("/queue/next", data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    return response.headers["Location"]


def htmx_post(client, auth, url, data):
    return client.post(url, data=data, headers={"HX-Request": "true", "X-CSRFToken": auth.csrf_token()})


def test_the_call_screen_shows_the_lead_beside_the_published_guide(agent_client, call_url):
    page = agent_client.get(call_url).get_data(as_text=True)
    assert "Jordan Rivera" in page and "Globex Logistics" in page
    assert "Hi Jordan, this is" in page  # the opening, merge fields filled
    for heading in ("Opening", "Discovery", "Objections", "Competitive positioning"):
        assert heading in page
    for label in ("Budget", "Authority", "Need", "Timeline"):
        assert f">{label}</label>" in page


def test_an_answer_saves_at_once_and_returns_the_explained_score_fragment(agent_client, auth, call_url):
    response = htmx_post(agent_client, auth, f"{call_url}/answers", {"criterion": "budget", "value": "confirmed"})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in fragment and 'id="score"' in fragment
    assert "Budget confirmed +25" in fragment and "Saved" in fragment
    # A reload (or a crashed browser) finds the answer where it was left.
    assert '<option value="confirmed" selected>' in agent_client.get(call_url).get_data(as_text=True)


def test_notes_autosave_and_survive_a_reload(agent_client, auth, call_url):
    response = htmx_post(agent_client, auth, f"{call_url}/notes", {"notes": "Prefers mornings"})
    assert "Notes saved" in response.get_data(as_text=True)
    assert "Prefers mornings</textarea>" in agent_client.get(call_url).get_data(as_text=True)


def test_an_invalid_answer_is_refused_with_a_message(agent_client, auth, call_url):
    response = htmx_post(agent_client, auth, f"{call_url}/answers", {"criterion": "budget", "value": "heaps"})
    assert response.status_code == 422
    assert "is not an answer to Budget" in response.get_data(as_text=True)


def test_qualifying_too_early_is_refused_and_keeps_the_notes_typed(agent_client, auth, call_url):
    response = agent_client.post(f"{call_url}/disposition", data={
        "disposition": "qualified", "notes": "Typed during the call", "csrf_token": auth.csrf_token()})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Cannot qualify yet: answer Budget, Authority, Need, Timeline" in page
    assert "Typed during the call</textarea>" in page
    assert response.headers["HX-Replace-Url"] == call_url
    assert db.session.query(Handoff).count() == 0


def test_a_qualified_call_reaches_the_sales_inbox_and_the_campaign_report(app, agent_client, auth, call_url, campaign):
    for criterion, value in STRONG.items():
        htmx_post(agent_client, auth, f"{call_url}/answers", {"criterion": criterion, "value": value})
    response = agent_client.post(f"{call_url}/disposition", data={
        "disposition": "qualified", "notes": "Demo with the CRO", "csrf_token": auth.csrf_token()})
    assert response.status_code == 303 and response.headers["Location"] == "/queue"
    assert "qualified and handed to" in agent_client.get("/queue").get_data(as_text=True)

    from tests.conftest import AuthActions

    sales = app.test_client()
    AuthActions(sales).login("sales@example.com")
    inbox = sales.get("/handoffs/").get_data(as_text=True)
    assert "Jordan Rivera" in inbox and "Hot · 100" in inbox
    packet = sales.get(f"/handoffs/{db.session.query(Handoff.id).scalar()}").get_data(as_text=True)
    assert "Demo with the CRO" in packet and "Budget confirmed +25" in packet

    marketing = app.test_client()
    AuthActions(marketing).login("marketing@example.com")
    report = marketing.get(f"/reports/campaigns/{campaign.id}").get_data(as_text=True)
    assert '<dd id="kpi-handoffs">1</dd>' in report
    assert '<dd id="kpi-calls">1</dd>' in report


def test_a_callback_time_is_read_in_the_leads_zone(agent_client, auth, call_url):
    from console.calls.models import Call

    response = agent_client.post(f"{call_url}/disposition", data={
        "disposition": "callback", "callback_at": "2030-01-15T10:30", "csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    call = db.session.get(Call, int(call_url.rsplit("/", 1)[1]))
    # 10:30 in New York in January is 15:30 UTC.
    assert call.lead.next_call_at.isoformat() == "2030-01-15T15:30:00"


def test_an_empty_queue_says_so_and_disables_next_lead(agent_client):
    page = agent_client.get("/queue").get_data(as_text=True)
    assert '<span id="dialable-count">0</span> leads can be called right now' in page
    assert "disabled" in page


def test_note_changes_are_audited(agent_client, auth, call_url):
    from console.audit.models import AuditEvent

    htmx_post(agent_client, auth, f"{call_url}/notes", {"notes": "First"})
    htmx_post(agent_client, auth, f"{call_url}/notes", {"notes": "First"})  # unchanged: no new row
    assert db.session.query(AuditEvent).filter_by(action="call.notes_saved").count() == 1
