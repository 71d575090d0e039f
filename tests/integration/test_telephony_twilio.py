"""Calls through Twilio, with a fake HTTP transport under the real twilio library: the requests it would
send are asserted on, and nothing leaves the process."""
from __future__ import annotations

import time

import jwt
import pytest
import requests
from sqlalchemy import select

from console.audit.models import AuditEvent
from console.extensions import db
from console.compliance.models import DoNotCallEntry
from console.calls.errors import NotDialable
from console.queue.services import claim_next_lead
from console.telephony import rules, services
from console.telephony.models import AgentTelephony, CampaignTelephony, PhoneCall, Recording
from console.telephony.testing import (ACCOUNT_SID, API_KEY, API_SECRET, CALLER_ID, PUBLIC_BASE_URL, TWIML_APP_SID,
                                       call_resource, error_body, twilio_config)

AGENT_PHONE = "+12125550199"
AGENT_LEG = "CA" + "a" * 32
LEAD_LEG = "CA" + "b" * 32
CALLS_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"


@pytest.fixture
def agent(users):
    return users["teleprospector"]


@pytest.fixture
def call(agent, campaign, make_lead):
    make_lead(campaign, phone="+12125550123", state="NY")
    return claim_next_lead(agent)


@pytest.fixture
def bridge(agent):
    db.session.add(AgentTelephony(user_id=agent.id, calling_mode="bridge", phone=AGENT_PHONE))
    db.session.commit()


def audit_actions() -> list[str]:
    db.session.rollback()
    return [event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def set_campaign(campaign, recording_mode=rules.RecordingMode.NEVER, machine_detection=False):
    db.session.add(CampaignTelephony(campaign_id=campaign.id, recording_mode=recording_mode,
                                     machine_detection=machine_detection))
    db.session.commit()


def test_a_bridge_call_rings_the_agents_phone_first_and_points_twilio_at_the_console(fake_twilio, bridge, agent, call):
    fake_twilio.queue(201, call_resource(AGENT_LEG, "queued"), method="POST", url_contains="/Calls.json")

    phone_call = services.place_call(call, agent)

    request = fake_twilio.last
    assert (request.method, request.url) == ("POST", CALLS_URL)
    assert request.auth == (ACCOUNT_SID, "test-auth-token")
    assert request.data["To"] == AGENT_PHONE
    assert request.data["From"] == CALLER_ID
    assert request.data["Url"] == f"{PUBLIC_BASE_URL}/twilio/voice?phone_call={phone_call.id}"
    assert request.data["Method"] == "POST"
    assert request.data["StatusCallback"] == f"{PUBLIC_BASE_URL}/twilio/status?phone_call={phone_call.id}"
    assert request.data["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert request.data["Timeout"] == 30
    # Recording and machine detection belong to the lead's leg, which <Dial> creates: not to the agent's phone.
    assert "Record" not in request.data and "MachineDetection" not in request.data
    assert (phone_call.mode, phone_call.twilio_sid, phone_call.agent_leg_status) == ("bridge", AGENT_LEG, "queued")
    assert phone_call.to_number == "+12125550123" and phone_call.agent_number == AGENT_PHONE
    assert "telephony.dial" in audit_actions()


def test_the_campaigns_caller_id_wins_over_the_default(fake_twilio, bridge, agent, call):
    call.lead.campaign.caller_id = "+13125550100"
    db.session.commit()
    fake_twilio.queue(201, call_resource(AGENT_LEG))
    services.place_call(call, agent)
    assert fake_twilio.last.data["From"] == "+13125550100"


def test_a_browser_call_asks_nothing_of_twilio_until_the_browser_connects(fake_twilio, agent, call):
    phone_call = services.place_call(call, agent)
    assert phone_call.mode == "browser" and phone_call.status == "queued"
    assert fake_twilio.requests == []


def test_an_invalid_number_is_explained_to_the_agent_and_nothing_is_lost(fake_twilio, bridge, agent, call):
    call.notes = "Spoke to the receptionist last week."
    db.session.commit()
    fake_twilio.queue(400, error_body(21211, "The 'To' number +12125550123 is not a valid phone number."))

    with pytest.raises(services.DialFailed) as refused:
        services.place_call(call, agent)

    assert "+12125550123 is not a valid phone number" in str(refused.value)
    assert "Twilio error 21211" in str(refused.value)
    db.session.rollback()
    phone_call = db.session.scalar(select(PhoneCall))
    assert (phone_call.status, phone_call.error_code) == ("failed", 21211)
    assert phone_call.error_message == str(refused.value)
    assert call.status == "open" and call.notes == "Spoke to the receptionist last week."
    assert call.lead.claimed_by_id == agent.id
    assert audit_actions()[-2:] == ["telephony.dial", "telephony.dial_failed"]


def test_the_agent_may_dial_again_after_a_failure(fake_twilio, bridge, agent, call):
    fake_twilio.queue(400, error_body(21211, "Invalid To"))
    with pytest.raises(services.DialFailed):
        services.place_call(call, agent)
    fake_twilio.queue(201, call_resource(AGENT_LEG))
    assert services.place_call(call, agent).status == "queued"


def test_twilio_being_unreachable_is_a_clear_message_too(fake_twilio, bridge, agent, call):
    fake_twilio.fail(requests.ConnectionError("Connection refused"))
    with pytest.raises(services.DialFailed, match="Could not reach Twilio"):
        services.place_call(call, agent)
    db.session.rollback()
    assert db.session.scalar(select(PhoneCall)).status == "failed"


def test_a_lead_on_the_do_not_call_list_is_never_dialled(fake_twilio, bridge, agent, call, list_number):
    list_number(call.lead.phone, reason="Asked by email")
    with pytest.raises(NotDialable, match="do-not-call"):
        services.place_call(call, agent)
    assert fake_twilio.requests == []
    assert db.session.scalar(select(PhoneCall)) is None
    assert audit_actions()[-1] == "telephony.dial_refused"


def test_a_call_already_in_progress_blocks_a_second_dial(fake_twilio, agent, call):
    services.place_call(call, agent)
    with pytest.raises(services.TelephonyError, match="already in progress"):
        services.place_call(call, agent)


def test_without_a_caller_id_nothing_is_dialled(fake_twilio, app, monkeypatch, bridge, agent, call):
    monkeypatch.setitem(app.config, "TWILIO_CALLER_ID", "")
    with pytest.raises(services.TelephonyError, match="No caller ID"):
        services.place_call(call, agent)


def test_bridge_calling_needs_the_agents_phone(fake_twilio, agent, call):
    db.session.add(AgentTelephony(user_id=agent.id, calling_mode="bridge", phone=None))
    db.session.commit()
    with pytest.raises(services.TelephonyError, match="Add your phone number"):
        services.place_call(call, agent)


def _answered_bridge_call(fake_twilio, agent, call) -> PhoneCall:
    fake_twilio.queue(201, call_resource(AGENT_LEG))
    phone_call = services.place_call(call, agent)
    services.answer_voice_request({"CallSid": AGENT_LEG, "From": CALLER_ID}, phone_call.id)
    services.record_call_progress({"CallSid": LEAD_LEG, "ParentCallSid": AGENT_LEG, "CallStatus": "in-progress"},
                                  phone_call.id)
    return db.session.get(PhoneCall, phone_call.id)


def test_hanging_up_ends_the_agents_leg_through_the_rest_api(fake_twilio, bridge, agent, call):
    phone_call = _answered_bridge_call(fake_twilio, agent, call)
    fake_twilio.queue(200, call_resource(AGENT_LEG, "completed"), url_contains=f"/Calls/{AGENT_LEG}.json")

    services.hang_up(call, agent)

    request = fake_twilio.last
    assert (request.method, request.url) == ("POST", CALLS_URL.replace(".json", f"/{AGENT_LEG}.json"))
    assert request.data == {"Status": "completed"}
    db.session.refresh(phone_call)
    assert phone_call.status == "completed"  # the agent's leg ended, so the lead's did
    assert phone_call.hangup_requested_at is not None
    assert "telephony.hang_up" in audit_actions()


def test_hanging_up_a_call_twilio_already_ended_is_fine(fake_twilio, bridge, agent, call):
    _answered_bridge_call(fake_twilio, agent, call)
    fake_twilio.queue(400, error_body(21220, "Call is not in-progress. Cannot redirect."))
    services.hang_up(call, agent)  # no error: the lead's own callback says how it ended


def test_hanging_up_a_browser_call_twilio_never_saw_ends_it_here(fake_twilio, agent, call):
    services.place_call(call, agent)
    phone_call = services.hang_up(call, agent, reason="Permission denied (microphone)")
    assert phone_call.status == "canceled"
    assert phone_call.error_message == "The browser call ended: Permission denied (microphone)"
    assert fake_twilio.requests == []


def test_an_agent_whose_phone_does_not_answer_is_told_so(fake_twilio, bridge, agent, call):
    fake_twilio.queue(201, call_resource(AGENT_LEG))
    phone_call = services.place_call(call, agent)
    services.record_call_progress({"CallSid": AGENT_LEG, "CallStatus": "no-answer"}, phone_call.id)
    db.session.refresh(phone_call)
    assert phone_call.status == "no-answer"
    assert phone_call.error_message == f"Your phone ({AGENT_PHONE}) did not answer: the lead was not dialled."


def test_on_demand_recording_in_an_all_party_state_needs_the_agents_confirmation(fake_twilio, bridge, agent, campaign,
                                                                                  make_lead):
    set_campaign(campaign, rules.RecordingMode.ON_DEMAND)
    make_lead(campaign, phone="+14155550123", state="CA")
    call = claim_next_lead(agent)
    phone_call = _answered_bridge_call(fake_twilio, agent, call)
    assert phone_call.consent_required

    with pytest.raises(services.TelephonyError, match="requires everyone's consent"):
        services.start_recording(call, agent, consent_confirmed=False)
    assert len(fake_twilio.requests) == 1  # only the dial: nothing was recorded

    fake_twilio.queue(201, {"sid": "RE" + "1" * 32, "call_sid": AGENT_LEG, "status": "in-progress"},
                      url_contains="/Recordings.json")
    recording = services.start_recording(call, agent, consent_confirmed=True)

    request = fake_twilio.last
    assert request.url == CALLS_URL.replace(".json", f"/{AGENT_LEG}/Recordings.json")
    assert request.data["RecordingStatusCallback"] == f"{PUBLIC_BASE_URL}/twilio/recording?phone_call={phone_call.id}"
    assert request.data["RecordingStatusCallbackEvent"] == ["in-progress", "completed", "absent"]
    assert request.data["RecordingChannels"] == "dual"
    assert (recording.recording_sid, recording.status, recording.started_by_id) == ("RE" + "1" * 32, "in-progress",
                                                                                   agent.id)
    db.session.refresh(phone_call)
    assert phone_call.consent_given and phone_call.consent_method == "agent_read"
    assert {"telephony.consent_given", "telephony.recording_started"} <= set(audit_actions())


def test_on_demand_recording_in_a_one_party_state_needs_no_confirmation(fake_twilio, bridge, agent, campaign, call):
    set_campaign(campaign, rules.RecordingMode.ON_DEMAND)
    _answered_bridge_call(fake_twilio, agent, call)
    fake_twilio.queue(201, {"sid": "RE" + "2" * 32, "call_sid": AGENT_LEG, "status": "in-progress"})
    assert services.start_recording(call, agent, consent_confirmed=False).status == "in-progress"


def test_a_campaign_that_never_records_offers_no_recording(fake_twilio, bridge, agent, call):
    _answered_bridge_call(fake_twilio, agent, call)
    with pytest.raises(services.TelephonyError, match="does not allow recording"):
        services.start_recording(call, agent, consent_confirmed=True)


def test_a_recording_made_without_the_consent_it_needed_is_deleted(fake_twilio, bridge, agent, campaign, make_lead):
    set_campaign(campaign, rules.RecordingMode.ALWAYS)
    make_lead(campaign, phone="+14155550123", state="CA")
    call = claim_next_lead(agent)
    phone_call = _answered_bridge_call(fake_twilio, agent, call)  # the notice was never fetched by Twilio
    recording_sid = "RE" + "3" * 32
    fake_twilio.queue(204, "", method="DELETE", url_contains=f"/Recordings/{recording_sid}.json")

    services.record_recording_progress({"CallSid": AGENT_LEG, "RecordingSid": recording_sid,
                                        "RecordingStatus": "completed", "RecordingDuration": "30",
                                        "RecordingUrl": "https://api.twilio.com/x"}, phone_call.id)

    assert fake_twilio.last.method == "DELETE"
    recording = db.session.scalar(select(Recording))
    assert (recording.status, recording.media_url) == ("deleted", None)
    assert "telephony.recording_deleted_without_consent" in audit_actions()


def test_the_access_token_grants_outgoing_calls_through_the_twiml_app_only(fake_twilio, agent):
    token = services.issue_access_token(agent)

    claims = jwt.decode(token, API_SECRET, algorithms=["HS256"])
    assert claims["iss"] == API_KEY and claims["sub"] == ACCOUNT_SID
    assert 595 <= claims["exp"] - time.time() <= 600
    assert claims["grants"]["identity"] == f"agent-{agent.id}"
    assert claims["grants"]["voice"] == {"outgoing": {"application_sid": TWIML_APP_SID}}
    assert jwt.get_unverified_header(token)["cty"] == "twilio-fpa;v=1"


def test_no_access_token_without_browser_calling(app, monkeypatch, fake_twilio, agent):
    monkeypatch.setitem(app.config, "TWILIO_TWIML_APP_SID", "")
    with pytest.raises(services.TelephonyError):
        services.issue_access_token(agent)


def test_under_testing_twilio_is_never_used_without_a_fake_transport(app, monkeypatch, agent, call):
    for key, value in twilio_config(None).items():
        monkeypatch.setitem(app.config, key, value)
    assert not services.twilio_configured()
    assert services.place_call(call, agent).mode == "simulated"
    with pytest.raises(RuntimeError, match="must inject"):
        services.twilio_client()
