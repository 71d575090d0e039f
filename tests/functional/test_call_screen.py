"""The call screen through HTTP: what the agent sees, autosave, and refusals that lose nothing."""
import re

import pytest

from console.extensions import db
from console.handoffs.models import Handoff
from tests.builders import winter_day_ahead

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


def page_version(client, call_url) -> str:
    """The lead version the call screen was drawn with (sent back with every answer)."""
    match = re.search(r'id="lead-version" name="version" value="(\d+)"', client.get(call_url).get_data(as_text=True))
    return match.group(1)


def save_answer(client, auth, call_url, criterion, value, version=None):
    version = version or page_version(client, call_url)
    return htmx_post(client, auth, f"{call_url}/answers", {"criterion": criterion, "value": value, "version": version})


def test_the_call_screen_shows_the_lead_beside_the_published_guide(agent_client, call_url):
    page = agent_client.get(call_url).get_data(as_text=True)
    assert "Jordan Rivera" in page and "Globex Logistics" in page
    assert "Hi Jordan, this is" in page  # the opening, merge fields filled
    for heading in ("Opening", "Discovery", "Objections", "Competitive positioning"):
        assert heading in page
    for label in ("Budget", "Authority", "Need", "Timeline"):
        assert f'<legend class="answer-head"><span>{label}</span>' in page  # each question a radio group


def test_an_answer_saves_at_once_and_returns_the_explained_score_fragment(agent_client, auth, call_url):
    response = save_answer(agent_client, auth, call_url, "budget", "confirmed")
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in fragment and 'id="score"' in fragment
    assert "Budget confirmed +25" in fragment and "Saved" in fragment
    # A reload (or a crashed browser) finds the answer where it was left.
    assert '<input type="radio" name="value" value="confirmed" checked>' in agent_client.get(call_url).get_data(as_text=True)


def test_notes_autosave_and_survive_a_reload(agent_client, auth, call_url):
    response = htmx_post(agent_client, auth, f"{call_url}/notes", {"notes": "Prefers mornings"})
    assert "Notes saved" in response.get_data(as_text=True)
    assert "Prefers mornings</textarea>" in agent_client.get(call_url).get_data(as_text=True)


def test_an_invalid_answer_is_refused_with_a_message(agent_client, auth, call_url):
    response = save_answer(agent_client, auth, call_url, "budget", "heaps")
    assert response.status_code == 422
    assert "is not an answer to Budget" in response.get_data(as_text=True)


def test_qualifying_too_early_is_refused_and_keeps_the_notes_typed(agent_client, auth, call_url):
    response = agent_client.post(f"{call_url}/disposition", data={
        "disposition": "qualified", "next_step": "send_info", "notes": "Typed during the call", "csrf_token": auth.csrf_token()})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Cannot qualify yet: answer Budget, Authority, Need, Timeline" in page
    assert "Typed during the call</textarea>" in page
    assert response.headers["HX-Replace-Url"] == call_url
    assert db.session.query(Handoff).count() == 0


def test_a_qualified_call_reaches_the_sales_inbox_and_the_campaign_report(app, agent_client, auth, call_url, campaign):
    for criterion, value in STRONG.items():
        save_answer(agent_client, auth, call_url, criterion, value)
    response = agent_client.post(f"{call_url}/disposition", data={
        "disposition": "qualified", "next_step": "send_info", "notes": "Demo with the CRO", "csrf_token": auth.csrf_token()})
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
    assert '<dd id="kpi-handed-over">1</dd>' in report
    assert '<dd id="kpi-dials">1</dd>' in report and '<dd id="kpi-qualified">1</dd>' in report


def test_a_callback_time_is_read_in_the_leads_zone(agent_client, auth, call_url):
    from console.calls.models import Call

    day = winter_day_ahead()
    response = agent_client.post(f"{call_url}/disposition", data={
        "disposition": "callback", "callback_at": f"{day}T10:30", "csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    call = db.session.get(Call, int(call_url.rsplit("/", 1)[1]))
    # 10:30 in New York in winter is 15:30 UTC.
    assert call.lead.next_call_at.isoformat() == f"{day}T15:30:00"


def test_an_empty_queue_says_so_and_disables_next_lead(agent_client):
    page = agent_client.get("/queue").get_data(as_text=True)
    assert '<span id="dialable-count">0</span> leads can be called right now' in page
    assert "disabled" in page


def test_note_changes_are_audited(agent_client, auth, call_url):
    from console.audit.models import AuditEvent

    htmx_post(agent_client, auth, f"{call_url}/notes", {"notes": "First"})
    htmx_post(agent_client, auth, f"{call_url}/notes", {"notes": "First"})  # unchanged: no new row
    assert db.session.query(AuditEvent).filter_by(action="call.notes_saved").count() == 1


# --- Autosave and the stale-save refusal ---------------------------------------------------------

def test_a_saved_answer_marks_its_field_saved_and_gives_the_page_the_new_version(agent_client, auth, call_url):
    version = page_version(agent_client, call_url)
    fragment = save_answer(agent_client, auth, call_url, "need", "urgent", version).get_data(as_text=True)
    assert '<span id="answer-status-need" class="answer-status is-saved" hx-swap-oob="true">Saved</span>' in fragment
    assert f'id="lead-version" name="version" value="{int(version) + 1}" hx-swap-oob="true"' in fragment


def test_a_stale_answer_is_refused_with_409_and_a_message_and_the_newer_answer_stays(agent_client, auth, call_url):
    old_page = page_version(agent_client, call_url)
    assert save_answer(agent_client, auth, call_url, "budget", "confirmed", old_page).status_code == 200
    response = save_answer(agent_client, auth, call_url, "budget", "none", old_page)  # e.g. from a second window
    fragment = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Not saved: this lead changed since your page loaded" in fragment and "Reload the call" in fragment
    assert 'class="answer-status is-error" hx-swap-oob="true">Not saved</span>' in fragment
    assert "Budget confirmed +25" in fragment  # what is actually stored, shown at once
    assert '<input type="radio" name="value" value="confirmed" checked>' in agent_client.get(call_url).get_data(as_text=True)


def test_an_answer_without_the_page_version_is_a_bad_request(agent_client, auth, call_url):
    response = htmx_post(agent_client, auth, f"{call_url}/answers", {"criterion": "budget", "value": "confirmed"})
    assert response.status_code == 400


# --- The lead context ------------------------------------------------------------------------------

def test_the_lead_context_shows_role_touches_earlier_calls_colleagues_and_score(
        agent_client, auth, users, campaign, make_lead):
    from datetime import timedelta

    from console.calls.models import Call, QualificationAnswer
    from console.clock import utcnow
    from console.leads.models import Touch
    from console.queue.services import claim_next_lead

    lead = make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics",
                     title="Head of Sales Ops", buying_role="champion", attempts=1)
    make_lead(campaign, first_name="Casey", last_name="Nguyen", title="CFO", account=lead.account,
              buying_role="economic buyer", phone="+13125550111", queue_state="closed")
    yesterday = utcnow() - timedelta(days=1)
    agent = users["teleprospector"]
    db.session.add_all([
        Touch(lead_id=lead.id, kind="webinar", description="Attended 'Pipeline Reviews'", occurred_at=yesterday),
        Call(lead_id=lead.id, campaign_id=campaign.id, agent_id=agent.id, status="completed", disposition="gatekeeper",
             notes="Assistant said call Tuesday <b>early</b>", started_at=yesterday, ended_at=yesterday),
        QualificationAnswer(lead_id=lead.id, criterion="budget", value="planned"),
    ])
    db.session.commit()
    call = claim_next_lead(agent)
    assert call.lead_id == lead.id

    page = agent_client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Head of Sales Ops" in page and "Champion" in page and "Globex Logistics" in page
    assert "Attended &#39;Pipeline Reviews&#39;" in page
    assert "<strong>Gatekeeper</strong>" in page
    assert "Assistant said call Tuesday &lt;b&gt;early&lt;/b&gt;" in page  # notes are escaped
    assert "Others at Globex Logistics" in page and "Casey Nguyen" in page and "economic buyer" in page
    assert re.search(r'<span id="lead-score">\s*<span class="band band-cool">Cool · 15</span>', page)
    assert "Attempt</dt><dd id=\"attempt\">2 of 6" in page


def test_an_answer_updates_the_score_beside_the_contact_too(agent_client, auth, call_url):
    fragment = save_answer(agent_client, auth, call_url, "budget", "confirmed").get_data(as_text=True)
    assert re.search(r'<span id="lead-score" hx-swap-oob="true">\s*<span class="band band-cool">Cool · 25</span>', fragment)


# --- Dispositions: referral, auto-advance, pause ---------------------------------------------------

def test_a_wrong_person_referral_with_a_bad_number_keeps_everything_typed(agent_client, auth, call_url):
    response = agent_client.post(f"{call_url}/disposition", data={
        "disposition": "wrong_person", "notes": "Pointed me to Dana", "referral_first_name": "Dana",
        "referral_last_name": "Whitfield", "referral_title": "RevOps lead", "referral_phone": "555-01",
        "csrf_token": auth.csrf_token()})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "555-01 is not a valid phone number." in page
    for typed in ('value="Dana"', 'value="Whitfield"', 'value="RevOps lead"', 'value="555-01"', "Pointed me to Dana</textarea>"):
        assert typed in page
    assert 'value="wrong_person" data-key="6"' in page and "checked" in page.split('value="wrong_person"')[1][:200]


def test_a_wrong_person_referral_adds_the_contact_and_says_so(agent_client, auth, call_url):
    response = agent_client.post(f"{call_url}/disposition", data={
        "disposition": "wrong_person", "referral_first_name": "Dana", "referral_last_name": "Whitfield",
        "referral_title": "RevOps lead", "referral_phone": "312 555 0187", "csrf_token": auth.csrf_token()},
        follow_redirects=True)
    page = response.get_data(as_text=True)
    # Auto-advance: the referred contact is the next lead, on the screen at once.
    assert '<h1 id="lead-heading">Dana Whitfield</h1>' in page
    assert "Jordan Rivera: Wrong person recorded; Dana Whitfield added as a new contact." in page


def test_after_a_disposition_the_next_lead_opens_without_another_click(agent_client, auth, campaign, make_lead, call_url):
    make_lead(campaign, first_name="Morgan", last_name="Lee")
    response = agent_client.post(f"{call_url}/disposition", data={"disposition": "busy", "csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    next_url = response.headers["Location"]
    assert next_url.startswith("/calls/") and next_url != call_url
    page = agent_client.get(next_url).get_data(as_text=True)
    assert '<h1 id="lead-heading">Morgan Lee</h1>' in page
    assert "Jordan Rivera: Busy recorded; retry in 1 h." in page  # the campaign's 60-minute spacing wins over 30


def test_with_auto_advance_paused_a_disposition_returns_to_the_queue_in_wrap_up(agent_client, auth, campaign, make_lead, call_url):
    make_lead(campaign, first_name="Morgan", last_name="Lee")
    response = agent_client.post("/agent/auto-advance", data={"auto_advance": "off", "next": call_url,
                                                               "csrf_token": auth.csrf_token()})
    assert response.status_code == 303 and response.headers["Location"] == call_url
    response = agent_client.post(f"{call_url}/disposition", data={"disposition": "busy", "csrf_token": auth.csrf_token()})
    assert response.headers["Location"] == "/queue"
    page = agent_client.get("/queue").get_data(as_text=True)
    assert 'class="agent-status state-wrap_up"' in page and "Wrap-up" in page
    assert "Auto-advance paused" in page
    assert "No lead can be called right now" not in page


def test_the_auto_advance_switch_answers_htmx_with_the_status_fragment(agent_client, auth, call_url):
    response = htmx_post(agent_client, auth, "/agent/auto-advance", {"auto_advance": "off"})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert 'id="agent-status"' in fragment
    assert 'data-auto-advance="off"' in fragment and 'name="auto_advance" value="on"' in fragment
    assert "Saving returns to the queue (auto-advance paused)." in agent_client.get(call_url).get_data(as_text=True)


def test_when_the_queue_is_empty_auto_advance_lands_on_the_queue_and_says_why(agent_client, auth, call_url):
    response = agent_client.post(f"{call_url}/disposition", data={"disposition": "no_answer", "csrf_token": auth.csrf_token()},
                                 follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/queue"
    assert "No lead can be called right now" in page


# --- Callbacks, pace and the keyboard help -----------------------------------------------------------

def test_the_callbacks_page_lists_my_callbacks_in_the_leads_time_and_my_pace(agent_client, auth, call_url):
    day = winter_day_ahead()
    agent_client.post(f"{call_url}/disposition", data={
        "disposition": "callback", "callback_at": f"{day}T10:30", "notes": "Call after the board meeting",
        "csrf_token": auth.csrf_token()})
    page = agent_client.get("/callbacks").get_data(as_text=True)
    assert "Your callbacks" in page
    mine = page.split("Open to any agent")[0]
    assert "Jordan Rivera" in mine and f"{day:%a %b %d}, 10:30 EST" in mine and "Call after the board meeting" in mine
    assert '<dd id="pace-calls">1</dd>' in page
    assert 'id="next-lead-form"' in page


def test_agents_find_callbacks_and_the_shortcut_help_in_every_page(agent_client):
    page = agent_client.get("/queue").get_data(as_text=True)
    assert 'href="/callbacks"' in page
    assert 'id="shortcut-help"' in page
    for shortcut in ("Next lead", "Dial the lead", "Write notes", "Search objections", "Choose a disposition",
                     "Pause or resume auto-advance"):
        assert shortcut in page


def test_other_roles_see_neither_the_agent_status_nor_the_callbacks_link(client, auth, users):
    auth.login("marketing@example.com")
    page = client.get("/campaigns/").get_data(as_text=True)
    assert 'id="agent-status"' not in page and 'href="/callbacks"' not in page


def test_qualifying_with_no_sales_member_to_receive_it_is_refused_on_the_call_screen(agent_client, auth, users, call_url):
    users["sales"].active = False
    db.session.commit()
    for criterion, value in STRONG.items():
        save_answer(agent_client, auth, call_url, criterion, value)
    response = agent_client.post(f"{call_url}/disposition", data={
        "disposition": "qualified", "next_step": "send_info", "notes": "Ready for a demo", "csrf_token": auth.csrf_token()})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "No active sales member to hand the lead to" in page and "Ready for a demo</textarea>" in page


def test_the_callbacks_page_shows_the_average_seconds_between_my_calls(agent_client, auth, campaign, make_lead, call_url):
    make_lead(campaign, first_name="Morgan", last_name="Lee")
    next_url = agent_client.post(f"{call_url}/disposition", data={
        "disposition": "busy", "csrf_token": auth.csrf_token()}).headers["Location"]  # auto-advance claims at once
    agent_client.post(f"{next_url}/disposition", data={"disposition": "busy", "csrf_token": auth.csrf_token()})
    page = agent_client.get("/callbacks").get_data(as_text=True)
    assert '<dd id="pace-calls">2</dd>' in page
    assert re.search(r'<dd id="pace-average">[01] s</dd>', page)  # claimed within a second of the disposition


# --- A closed call, the top bar and the line --------------------------------------------------------

def test_a_closed_call_shows_what_was_recorded_and_no_form(agent_client, auth, call_url):
    assert 'id="attempt">1 of 6' in agent_client.get(call_url).get_data(as_text=True)  # the first call
    save_answer(agent_client, auth, call_url, "budget", "confirmed")
    agent_client.post(f"{call_url}/disposition", data={"disposition": "not_interested", "notes": "Uses <Acme>",
                                                        "csrf_token": auth.csrf_token()})
    page = agent_client.get(call_url).get_data(as_text=True)
    for editable in ('id="disposition-form"', "data-answer", 'id="notes"', 'type="radio"', "<textarea",
                     'id="dial-button"', "hx-post"):
        assert editable not in page.split('<main id="main"')[1], editable
    assert re.search(r'id="recorded-disposition"><kbd>7</kbd> Not interested', page)
    assert re.search(r'id="recorded-budget">Budget confirmed <span class="points">\+25', page)
    assert re.search(r'id="recorded-need"><span class="muted">Not answered', page)
    assert 'id="recorded-notes">Uses &lt;Acme&gt;</p>' in page
    assert 'id="attempt">1 of 6' in page  # still the first attempt, though the lead has used one since


def test_the_top_bar_says_lead_open_with_no_clock_until_the_lead_is_dialled(agent_client, auth, call_url):
    page = agent_client.get(call_url).get_data(as_text=True)
    status = re.search(r'<div id="agent-status".*?</span>', page, re.S).group(0)
    assert "Lead open, not dialled" in status and "On a call" not in status and "data-since" not in status

    dialled = htmx_post(agent_client, auth, f"{call_url}/dial", {"outcome": "answer"}).get_data(as_text=True)
    # The dialer's answer carries the top bar along (out of band): one state, drawn from one phone call.
    assert re.search(r'<div id="agent-status" class="agent-status state-dialling"[^>]*hx-swap-oob="true"', dialled)
    assert "Dialling" in dialled


def test_on_the_line_the_top_bar_and_the_dialer_count_from_the_same_moment(agent_client, auth, call_url):
    from datetime import timedelta

    from console.telephony import services as telephony
    from console.telephony.models import PhoneCall

    htmx_post(agent_client, auth, f"{call_url}/dial", {"outcome": "answer"})
    db.session.rollback()
    phone_call = db.session.scalar(db.select(PhoneCall))
    telephony.advance_simulated_line(phone_call, phone_call.placed_at + timedelta(seconds=4))

    page = agent_client.get(call_url).get_data(as_text=True)
    top_bar = re.search(r'id="agent-clock" datetime="([^"]+)" data-since="([^"]+)"', page)
    timer = re.search(r'id="call-timer" datetime="([^"]+)" data-since="([^"]+)"', page)
    assert top_bar and timer and top_bar.group(2) == timer.group(2)
    assert 'class="agent-status state-on_call"' in page and ">On a call <time" in page
    progress = agent_client.get(f"{call_url}/dialer/progress?phase=connected").get_data(as_text=True)
    assert f'data-since="{timer.group(2)}"' in progress


def test_a_disposition_on_a_live_call_hangs_it_up(agent_client, auth, call_url):
    from datetime import timedelta

    from console.telephony import services as telephony
    from console.telephony.models import PhoneCall

    htmx_post(agent_client, auth, f"{call_url}/dial", {"outcome": "answer"})
    db.session.rollback()
    phone_call = db.session.scalar(db.select(PhoneCall))
    telephony.advance_simulated_line(phone_call, phone_call.placed_at + timedelta(seconds=4))
    response = agent_client.post(f"{call_url}/disposition", data={"disposition": "busy",
                                                                   "csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(PhoneCall, phone_call.id).status == "completed"


def test_when_twilio_will_not_hang_up_the_call_screen_says_so_and_keeps_what_was_typed(
        agent_client, auth, call_url, fake_twilio):
    from console.telephony import services as telephony
    from console.telephony.models import PhoneCall
    from console.telephony.testing import CALLER_ID, call_resource, error_body

    agent_leg, lead_leg = "CA" + "a" * 32, "CA" + "b" * 32
    agent_client.post("/telephony/settings", data={"calling_mode": "bridge", "phone": "+12125550199",
                                                   "csrf_token": auth.csrf_token()})
    fake_twilio.queue(201, call_resource(agent_leg), url_contains="/Calls.json")
    htmx_post(agent_client, auth, f"{call_url}/dial", {})
    db.session.rollback()
    phone_call = db.session.scalar(db.select(PhoneCall))
    telephony.answer_voice_request({"CallSid": agent_leg, "From": CALLER_ID}, phone_call.id)
    telephony.record_call_progress({"CallSid": lead_leg, "ParentCallSid": agent_leg, "CallStatus": "in-progress"},
                                   phone_call.id)
    fake_twilio.queue(400, error_body(20003, "Authenticate"), url_contains=f"/Calls/{agent_leg}.json")

    response = agent_client.post(f"{call_url}/disposition", data={"disposition": "not_interested",
                                                                   "notes": "Said no twice",
                                                                   "csrf_token": auth.csrf_token()})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="disposition-error">Not saved: the call is still on the line\. Twilio refused', page)
    assert "Said no twice</textarea>" in page and 'value="not_interested" data-key="7"' in page
    db.session.rollback()
    assert db.session.get(PhoneCall, phone_call.id).status == "in-progress"
    assert db.session.scalar(db.select(Handoff)) is None
