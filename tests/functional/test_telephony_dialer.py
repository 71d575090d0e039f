"""The dialer on the call screen, over HTTP, on the simulated line (no Twilio configured): the same code
paths and the same progress handling as real calls, with the carrier's clock moved by the test."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from console.extensions import db
from console.compliance.models import DoNotCallEntry
from console.queue.services import claim_next_lead
from console.telephony import rules, services
from console.telephony.models import AgentTelephony, CampaignTelephony, PhoneCall, Recording
from console.telephony.testing import FakeMediaSession, FakeTwilioHttp, twilio_config


@pytest.fixture
def agent(users):
    return users["teleprospector"]


@pytest.fixture
def call(agent, campaign, make_lead):
    make_lead(campaign, phone="+12125550123", state="NY", first_name="Jordan", last_name="Rivera")
    return claim_next_lead(agent)


@pytest.fixture
def signed_in(auth, agent):
    auth.login(agent.email)
    db.session.rollback()  # end this session's read snapshot: the sign-in wrote since (SQLite WAL)
    return auth


def latest(call) -> PhoneCall:
    db.session.rollback()
    return services.latest_phone_call(call)


def carrier_clock(call, seconds: float) -> PhoneCall:
    """Move the simulated carrier to `seconds` after the dial, as the dialer's polling does in real time."""
    phone_call = latest(call)
    services.advance_simulated_line(phone_call, phone_call.placed_at + timedelta(seconds=seconds))
    return latest(call)


def test_the_call_screen_loads_the_dialer(client, signed_in, call):
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert 'id="dial-button"' in page and "Loading the dialer" not in page  # drawn with the page, no placeholder
    assert "twilio-voice" not in page  # no SDK without browser calling

    dialer = client.get(f"/calls/{call.id}/dialer").get_data(as_text=True)
    assert 'id="dial-button"' in dialer and "Simulated line" in dialer
    assert 'name="outcome"' in dialer


def test_a_simulated_call_goes_from_dial_to_completed(client, signed_in, agent, call):
    response = signed_in.post(f"/calls/{call.id}/dial", {"outcome": "answer"})
    assert response.status_code == 200
    assert "Dialling…" in response.get_data(as_text=True)
    assert 'id="hang-up-button"' in response.get_data(as_text=True)

    carrier_clock(call, 1.5)
    progress = client.get(f"/calls/{call.id}/dialer/progress?phase=dialling")
    assert "Ringing" in progress.get_data(as_text=True) and "HX-Retarget" not in progress.headers

    carrier_clock(call, 4)
    progress = client.get(f"/calls/{call.id}/dialer/progress?phase=dialling")
    assert progress.headers["HX-Retarget"] == "#dialer"  # answered: the whole dialer follows
    assert "Connected" in progress.get_data(as_text=True) and 'class="keypad"' in progress.get_data(as_text=True)

    response = signed_in.post(f"/calls/{call.id}/hang-up", {})
    assert response.status_code == 200
    assert "Completed" in response.get_data(as_text=True)
    assert 'id="dial-button"' in response.get_data(as_text=True)
    phone_call = latest(call)
    assert (phone_call.mode, phone_call.status, phone_call.agent_leg_status) == ("simulated", "completed", "completed")
    assert phone_call.answered_at is not None and phone_call.duration_seconds is not None
    assert phone_call.lead_call_sid is not None  # linked through the same CallSid handling as Twilio's callbacks


@pytest.mark.parametrize("outcome, seconds, status, label", [
    ("busy", 3, "busy", "Busy"), ("no-answer", 6, "no-answer", "No answer"), ("failed", 1, "failed", "Failed"),
])
def test_the_simulated_lead_can_be_busy_unanswered_or_unreachable(client, signed_in, call, outcome, seconds, status,
                                                                  label):
    signed_in.post(f"/calls/{call.id}/dial", {"outcome": outcome})
    assert carrier_clock(call, seconds).status == status
    response = client.get(f"/calls/{call.id}/dialer/progress?phase=dialling")
    assert label in response.get_data(as_text=True) and 'id="dial-button"' in response.get_data(as_text=True)


def test_the_simulated_line_hangs_up_when_the_agent_moves_on(signed_in, agent, call):
    signed_in.post(f"/calls/{call.id}/dial", {"outcome": "answer"})
    carrier_clock(call, 4)
    signed_in.post(f"/calls/{call.id}/disposition", {"disposition": "not_interested", "version": call.lead.version})
    assert carrier_clock(call, 30).status == "completed"


def test_the_server_refuses_to_dial_a_lead_on_the_do_not_call_list_and_says_why(client, signed_in, call, list_number):
    list_number("+12125550123", reason="Opted out")

    dialer = client.get(f"/calls/{call.id}/dialer").get_data(as_text=True)
    assert "Cannot dial now" in dialer and "on the do-not-call list" in dialer
    assert 'id="dial-button" class="primary big" disabled' in dialer

    response = signed_in.post(f"/calls/{call.id}/dial", {"outcome": "answer"})  # the button is only a courtesy
    assert response.status_code == 422
    assert "Cannot dial: on the do-not-call list." in response.get_data(as_text=True)
    assert latest(call) is None


def test_the_server_refuses_a_lead_outside_its_calling_window(client, signed_in, call):
    from datetime import time
    call.lead.campaign.calling_start, call.lead.campaign.calling_end = time(0, 0), time(0, 1)
    db.session.commit()
    response = signed_in.post(f"/calls/{call.id}/dial", {"outcome": "answer"})
    assert response.status_code == 422 and "Cannot dial" in response.get_data(as_text=True)


def test_an_admin_may_watch_the_dialer_but_not_dial(client, auth, call):
    auth.login("admin@example.com")
    dialer = client.get(f"/calls/{call.id}/dialer").get_data(as_text=True)
    assert 'id="dial-button"' not in dialer and "who holds this call, can dial" in dialer
    assert auth.post(f"/calls/{call.id}/dial", {"outcome": "answer"}).status_code == 403


def test_a_twilio_error_is_shown_on_the_call_screen(client, app, monkeypatch, signed_in, agent, call):
    fake = FakeTwilioHttp().queue(400, {"code": 21211, "message": "The 'To' number is not valid.", "status": 400})
    for key, value in twilio_config(fake).items():
        monkeypatch.setitem(app.config, key, value)
    db.session.add(AgentTelephony(user_id=agent.id, calling_mode="bridge", phone="+12125550199"))
    db.session.commit()

    response = signed_in.post(f"/calls/{call.id}/dial", {})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "is not a valid phone number. Check it with the lead, then record Bad number. (Twilio error 21211)" in page
    assert 'id="dial-button"' in page  # and the agent can try again, or disposition


def test_the_access_token_endpoint_answers_json(client, app, monkeypatch, signed_in):
    assert client.get("/telephony/token").status_code == 404  # no browser calling here
    for key, value in twilio_config(FakeTwilioHttp()).items():
        monkeypatch.setitem(app.config, key, value)
    response = client.get("/telephony/token")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.json["identity"].startswith("agent-") and response.json["token"].count(".") == 2


def test_browser_calling_loads_the_voice_sdk_and_widens_the_csp_for_twilio(client, app, monkeypatch, signed_in, call):
    assert "twilio.com" not in client.get(f"/calls/{call.id}").headers["Content-Security-Policy"]
    for key, value in twilio_config(FakeTwilioHttp()).items():
        monkeypatch.setitem(app.config, key, value)
    response = client.get(f"/calls/{call.id}")
    assert "/static/vendor/twilio-voice-2.18.5.min.js" in response.get_data(as_text=True)
    policy = response.headers["Content-Security-Policy"]
    assert "connect-src 'self' wss://*.twilio.com https://*.twilio.com" in policy
    assert "script-src 'self';" in policy  # the SDK is served from here, never from a CDN
    dialer = client.get(f"/calls/{call.id}/dialer").get_data(as_text=True)
    assert 'data-mode="browser"' in dialer and 'data-token-url="/telephony/token"' in dialer


def test_a_browser_dial_tells_the_page_which_phone_call_to_connect(client, app, monkeypatch, signed_in, call):
    for key, value in twilio_config(FakeTwilioHttp()).items():
        monkeypatch.setitem(app.config, key, value)
    response = signed_in.post(f"/calls/{call.id}/dial", {})
    assert f'data-connect="{latest(call).id}"' in response.get_data(as_text=True)


# --- Recording on the simulated line, and who may listen ---------------------------------------

def recorded_call(signed_in, call, campaign, mode=rules.RecordingMode.ALWAYS) -> Recording:
    db.session.add(CampaignTelephony(campaign_id=campaign.id, recording_mode=mode))
    db.session.commit()
    signed_in.post(f"/calls/{call.id}/dial", {"outcome": "answer"})
    carrier_clock(call, 4)
    signed_in.post(f"/calls/{call.id}/hang-up", {})
    db.session.rollback()
    return db.session.scalar(select(Recording))


def test_an_always_recorded_simulated_call_leaves_a_recording_on_the_lead(client, signed_in, call, campaign):
    recording = recorded_call(signed_in, call, campaign)
    assert recording.status == "completed" and recording.playable
    assert services.recordings_for_lead(call.lead) == [recording]
    dialer = client.get(f"/calls/{call.id}/dialer").get_data(as_text=True)
    assert f'src="/recordings/{recording.id}"' in dialer

    audio = client.get(f"/recordings/{recording.id}")
    assert audio.status_code == 200 and audio.mimetype == "audio/wav" and audio.data[:4] == b"RIFF"
    assert audio.headers["Cache-Control"] == "private, no-store"


def test_an_all_party_state_lead_hears_the_notice_before_an_always_on_recording(signed_in, agent, campaign, make_lead):
    make_lead(campaign, phone="+14155550123", state="CA")
    call = claim_next_lead(agent)
    recorded_call(signed_in, call, campaign)
    phone_call = latest(call)
    assert phone_call.consent_required and phone_call.consent_method == "notice_played"
    assert db.session.scalar(select(Recording)).status == "completed"


def test_on_demand_recording_in_an_all_party_state_asks_the_agent_to_read_the_notice(client, signed_in, agent,
                                                                                      campaign, make_lead):
    db.session.add(CampaignTelephony(campaign_id=campaign.id, recording_mode=rules.RecordingMode.ON_DEMAND))
    db.session.commit()
    make_lead(campaign, phone="+13125550123", state="IL")
    call = claim_next_lead(agent)
    signed_in.post(f"/calls/{call.id}/dial", {"outcome": "answer"})
    carrier_clock(call, 4)

    dialer = client.get(f"/calls/{call.id}/dialer").get_data(as_text=True)
    assert "like to record this call" in dialer and 'id="record-button"' in dialer

    refused = signed_in.post(f"/calls/{call.id}/recording", {})
    assert refused.status_code == 422 and "requires everyone&#39;s consent" in refused.get_data(as_text=True)
    started = signed_in.post(f"/calls/{call.id}/recording", {"consent_confirmed": "y"})
    assert started.status_code == 200 and "● Recording" in started.get_data(as_text=True)
    assert latest(call).consent_method == "agent_read"


@pytest.mark.parametrize("who, status", [("teleprospector", 200), ("marketing", 200), ("admin", 200),
                                         ("sales", 403), ("other-agent", 403)])
def test_only_those_who_may_see_the_lead_can_play_its_recordings(client, auth, make_user, signed_in, call, campaign,
                                                                  who, status):
    recording = recorded_call(signed_in, call, campaign)
    make_user("teleprospector", email="other-agent@example.com")
    auth.logout()
    auth.login(f"{who}@example.com")
    assert client.get(f"/recordings/{recording.id}").status_code == status


def test_the_sales_member_handed_the_lead_can_play_its_recordings(client, auth, signed_in, agent, call, campaign):
    recording = recorded_call(signed_in, call, campaign)
    for criterion, value in {"budget": "confirmed", "authority": "decision_maker", "need": "urgent",
                             "timeline": "under_3_months"}.items():
        signed_in.post(f"/calls/{call.id}/answers", {"criterion": criterion, "value": value,
                                                     "version": latest(call).call.lead.version})
    assert signed_in.post(f"/calls/{call.id}/disposition", {"disposition": "qualified", "next_step": "send_info"}).status_code in (303, 302)
    auth.logout()
    auth.login("sales@example.com")
    assert client.get(f"/recordings/{recording.id}").status_code == 200


def test_a_twilio_recording_is_streamed_through_the_console_with_the_accounts_credentials(
        client, app, monkeypatch, signed_in, agent, call):
    media = FakeMediaSession(content=b"ID3" + b"\x00" * 100)
    for key, value in twilio_config(FakeTwilioHttp(), TWILIO_MEDIA_SESSION=media).items():
        monkeypatch.setitem(app.config, key, value)
    phone_call = PhoneCall(call_id=call.id, placed_by_id=agent.id, mode="bridge", status="completed",
                           to_number=call.lead.phone, twilio_sid="CA" + "1" * 32)
    url = "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE" + "1" * 32
    recording = Recording(phone_call=phone_call, recording_sid="RE" + "1" * 32, status="completed", media_url=url)
    db.session.add_all([phone_call, recording])
    db.session.commit()

    response = client.get(f"/recordings/{recording.id}")

    assert response.status_code == 200 and response.mimetype == "audio/mpeg" and response.data.startswith(b"ID3")
    assert media.gets == [(url + ".mp3", (app.config["TWILIO_ACCOUNT_SID"], app.config["TWILIO_AUTH_TOKEN"]))]


# --- Settings ------------------------------------------------------------------------------------

def test_an_agent_sets_their_phone_for_bridge_calling(client, signed_in, agent):
    page = client.get("/telephony/settings").get_data(as_text=True)
    assert "simulated line" in page
    response = signed_in.post("/telephony/settings", {"calling_mode": "bridge", "phone": "(212) 555-0199"})
    assert response.status_code == 303
    db.session.rollback()
    settings = db.session.get(AgentTelephony, agent.id)
    assert (settings.calling_mode, settings.phone) == ("bridge", "+12125550199")


def test_bridge_calling_without_a_phone_is_refused(signed_in):
    response = signed_in.post("/telephony/settings", {"calling_mode": "bridge", "phone": ""})
    assert response.status_code == 422 and "give its number" in response.get_data(as_text=True)


def test_marketing_sets_a_campaigns_recording_mode_and_machine_detection(client, auth, users, campaign):
    auth.login("marketing@example.com")
    page = client.get(f"/telephony/campaigns/{campaign.id}").get_data(as_text=True)
    assert "verify it with counsel" in page and "California" in page
    response = auth.post(f"/telephony/campaigns/{campaign.id}", {"recording_mode": "always", "machine_detection": "y"})
    assert response.status_code == 303
    db.session.rollback()
    settings = db.session.get(CampaignTelephony, campaign.id)
    assert (settings.recording_mode, settings.machine_detection) == ("always", True)
