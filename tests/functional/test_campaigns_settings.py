"""Marketing edits a campaign's settings and its dispositions' next actions; agents' calls follow them."""
import re

import pytest

from console.campaigns.models import Campaign
from console.extensions import db
from console.leads.rules import QueueState

VALID = {"name": "Q1 Push", "source": "paid search", "message": "Forecast with confidence",
         "start_date": "2030-01-01", "end_date": "2030-03-31", "priority": "5", "calling_start": "09:00",
         "calling_end": "18:30", "calling_days": ["1", "2", "3", "4", "5"], "holidays": "2030-02-17\n2030-01-20\n",
         "max_attempts": "4", "min_retry_minutes": "90", "call_guide_id": "0"}


@pytest.fixture
def marketing_client(client, auth, users):
    auth.login("marketing@example.com")
    return client


def post(client, auth, url, data):
    return client.post(url, data={**data, "csrf_token": auth.csrf_token()})


def fresh(model, id_):
    """Read a row as the requests left it: end the test's own (snapshot) transaction first."""
    db.session.rollback()
    return db.session.get(model, id_)


def test_the_campaign_list_links_to_each_campaigns_settings_and_dispositions(marketing_client, campaign):
    page = marketing_client.get("/campaigns/").get_data(as_text=True)
    assert f'href="/campaigns/{campaign.id}/settings"' in page
    assert f'href="/campaigns/{campaign.id}/dispositions"' in page


def test_the_settings_form_shows_the_campaign_as_it_is(marketing_client, campaign):
    campaign.calling_days, campaign.holidays = "12345", ["2030-12-25", "2031-01-01"]
    db.session.commit()
    page = marketing_client.get(f"/campaigns/{campaign.id}/settings").get_data(as_text=True)
    assert re.search(r'<input checked id="calling_days-4" name="calling_days" type="checkbox" value="5">', page)
    assert re.search(r'<input id="calling_days-5" name="calling_days" type="checkbox" value="6">', page)
    assert "2030-12-25\n2031-01-01</textarea>" in page
    assert 'type="checkbox" required' not in page and "required type=\"checkbox\"" not in page
    assert 'value="Main campaign"' in page and 'value="webinar"' in page
    assert re.search(r'<input id="max_attempts"[^>]*value="6"', page)


def test_marketing_saves_a_campaigns_settings(marketing_client, auth, campaign):
    response = post(marketing_client, auth, f"/campaigns/{campaign.id}/settings", VALID)
    assert response.status_code == 303 and response.headers["Location"] == "/campaigns/"
    saved = fresh(Campaign, campaign.id)
    assert (saved.name, saved.source, saved.priority, saved.max_attempts, saved.min_retry_minutes) == (
        "Q1 Push", "paid search", 5, 4, 90)
    assert saved.calling_start.strftime("%H:%M") == "09:00" and saved.calling_end.strftime("%H:%M") == "18:30"
    assert saved.call_guide_id is None and saved.active
    assert saved.calling_days == "12345" and saved.holidays == ["2030-01-20", "2030-02-17"]
    assert "Q1 Push: settings saved." in marketing_client.get("/campaigns/").get_data(as_text=True)


def test_marketing_names_the_states_a_campaign_does_not_serve(marketing_client, auth, campaign):
    response = post(marketing_client, auth, f"/campaigns/{campaign.id}/settings", {**VALID, "excluded_states": "tx; FL"})
    assert response.status_code == 303
    assert fresh(Campaign, campaign.id).excluded_states == ["FL", "TX"]
    assert 'value="FL, TX"' in marketing_client.get(f"/campaigns/{campaign.id}/settings").get_data(as_text=True)


@pytest.mark.parametrize("changes, message", [
    ({"name": ""}, "Give the campaign a name."),
    ({"end_date": "2029-12-01"}, "The campaign cannot end before it starts."),
    ({"calling_start": "07:30"}, "Calls may not start before 08:00"),
    ({"calling_end": "21:30"}, "Calls must stop by 21:00"),
    ({"calling_start": "17:00", "calling_end": "10:00"}, "Calling must end after it starts."),
    ({"max_attempts": "0"}, "Number must be between 1 and 50."),
    ({"min_retry_minutes": "lots"}, "Not a valid integer value."),
    ({"calling_days": []}, "Choose at least one calling day."),
    ({"holidays": "2030-12-25\nChristmas"}, "Christmas is not a date: write one date per line"),
    ({"excluded_states": "TX, Texas"}, "TEXAS: not a US state or Canadian province code"),
    ({"nurture_recall_days": "0"}, "Number must be between 1 and 730."),
    ({"nurture_recall_days": "731"}, "Number must be between 1 and 730."),
])
def test_an_invalid_setting_is_refused_and_every_typed_value_is_kept(marketing_client, auth, campaign, changes, message):
    data = {**VALID, **changes}
    response = post(marketing_client, auth, f"/campaigns/{campaign.id}/settings", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "Nothing was saved" in page
    for field in ("source", "message"):
        assert data[field] in page
    assert fresh(Campaign, campaign.id).name == "Main campaign"


def test_a_name_another_campaign_has_is_refused_on_the_name_field(marketing_client, auth, campaign, make_campaign):
    make_campaign("Taken")
    response = post(marketing_client, auth, f"/campaigns/{campaign.id}/settings", {**VALID, "name": "Taken"})
    assert response.status_code == 422
    assert re.search(r'id="name-error">Another campaign already has this name.', response.get_data(as_text=True))


def test_the_dispositions_page_shows_every_disposition_and_which_are_fixed(marketing_client, campaign):
    page = marketing_client.get(f"/campaigns/{campaign.id}/dispositions").get_data(as_text=True)
    for label in ("No answer", "Busy", "Voicemail left", "Bad number", "Gatekeeper", "Wrong person", "Not interested",
                  "Call back at…", "Nurture", "Do not call", "Qualified"):
        assert f'<th scope="row">{label}</th>' in page
    assert "fixed: An opt-out is never called again (compliance)." in page
    assert page.count('<select') == 7  # the editable ones
    # Nurture recalls the lead on a date the agent sets; the campaign's own delay is its default.
    assert re.search(r'id="nurture-recall-days">· proposed recall in 90 days \(<a href="/campaigns/\d+/settings'
                     r'#nurture_recall_days">campaign settings</a>\)', page)


def disposition_rows(page: str) -> dict:
    """The form as the browser would post it: every row's code, next action and delay."""
    data = {}
    for index, code in re.findall(r'name="rows-(\d+)-code" type="hidden" value="(\w+)"', page):
        data[f"rows-{index}-code"] = code
        selected = re.search(rf'name="rows-{index}-next_action">.*?<option selected value="(\w+)"', page, re.S)
        data[f"rows-{index}-next_action"] = selected.group(1)
        minutes = re.search(rf'name="rows-{index}-retry_minutes"[^>]*value="(\d*)"', page)
        data[f"rows-{index}-retry_minutes"] = minutes.group(1) if minutes else ""
    return data


def row_of(data: dict, code: str) -> str:
    return next(key.split("-")[1] for key, value in data.items() if key.endswith("-code") and value == code)


def test_marketing_changes_a_next_action_and_the_agents_next_busy_call_follows_it(
        app, marketing_client, auth, campaign, make_lead):
    page = marketing_client.get(f"/campaigns/{campaign.id}/dispositions").get_data(as_text=True)
    data = disposition_rows(page)
    busy = row_of(data, "busy")
    data[f"rows-{busy}-next_action"] = "close"
    response = post(marketing_client, auth, f"/campaigns/{campaign.id}/dispositions", data)
    assert response.status_code == 303
    assert "1 disposition changed." in marketing_client.get(response.headers["Location"]).get_data(as_text=True)

    from tests.conftest import AuthActions

    db.session.rollback()
    lead = make_lead(campaign)
    agent = app.test_client()
    agent_auth = AuthActions(agent)
    agent_auth.login("teleprospector@example.com")
    call_url = agent.post("/queue/next", data={"csrf_token": agent_auth.csrf_token()}).headers["Location"]
    agent.post(f"{call_url}/disposition", data={"disposition": "busy", "csrf_token": agent_auth.csrf_token()})
    assert fresh(type(lead), lead.id).queue_state == QueueState.CLOSED


def test_retry_in_without_minutes_is_refused_on_its_row_and_keeps_the_choices(marketing_client, auth, campaign):
    data = disposition_rows(marketing_client.get(f"/campaigns/{campaign.id}/dispositions").get_data(as_text=True))
    nurture, busy = row_of(data, "not_interested"), row_of(data, "busy")
    data[f"rows-{nurture}-next_action"] = "retry_in"
    data[f"rows-{nurture}-retry_minutes"] = ""
    data[f"rows-{busy}-next_action"] = "end_of_queue"
    response = post(marketing_client, auth, f"/campaigns/{campaign.id}/dispositions", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Say after how many minutes to retry." in page
    assert re.search(rf'name="rows-{busy}-next_action">.*?<option selected value="end_of_queue"', page, re.S)
    assert re.search(rf'name="rows-{nurture}-next_action">.*?<option selected value="retry_in"', page, re.S)


def test_a_forged_row_for_a_fixed_disposition_is_refused(marketing_client, auth, campaign):
    response = post(marketing_client, auth, f"/campaigns/{campaign.id}/dispositions", {
        "rows-0-code": "do_not_call", "rows-0-next_action": "retry_in", "rows-0-retry_minutes": "5"})
    assert response.status_code == 422
    assert "Do not call cannot be changed" in response.get_data(as_text=True)


def test_campaign_changes_are_audited(marketing_client, auth, campaign):
    from console.audit.models import AuditEvent

    post(marketing_client, auth, f"/campaigns/{campaign.id}/settings", VALID)
    db.session.rollback()
    event = db.session.query(AuditEvent).filter_by(action="campaign.updated").one()
    assert event.detail["changes"]["name"] == ["Main campaign", "Q1 Push"]


def test_marketing_sets_the_recall_delay_a_nurture_disposition_proposes(marketing_client, auth, campaign):
    response = post(marketing_client, auth, f"/campaigns/{campaign.id}/settings", {**VALID, "nurture_recall_days": "30"})
    assert response.status_code == 303
    assert fresh(type(campaign), campaign.id).nurture_recall_days == 30
    # Left blank, it stays as it was.
    post(marketing_client, auth, f"/campaigns/{campaign.id}/settings", {**VALID, "nurture_recall_days": ""})
    assert fresh(type(campaign), campaign.id).nurture_recall_days == 30
    page = marketing_client.get(f"/campaigns/{campaign.id}/dispositions").get_data(as_text=True)
    assert "proposed recall in 30 days" in page
