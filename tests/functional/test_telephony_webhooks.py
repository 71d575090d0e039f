"""Twilio's webhooks over HTTP: signatures checked against the public URL, TwiML answered, and progress
callbacks applied idempotently whatever order they come in."""
from __future__ import annotations

import logging
import xml.etree.ElementTree as ElementTree

import pytest
from sqlalchemy import func, select

from console.extensions import db
from console.compliance.models import DoNotCallEntry
from console.queue.services import claim_next_lead
from console.telephony import rules, services
from console.telephony.models import CampaignTelephony, PhoneCall, Recording
from console.telephony.testing import (CALLER_ID, PUBLIC_BASE_URL, signature,
                                       signed_post)

BROWSER_LEG = "CA" + "c" * 32
LEAD_LEG = "CA" + "d" * 32


@pytest.fixture
def agent(users):
    return users["teleprospector"]


@pytest.fixture
def make_browser_call(fake_twilio, agent, campaign, make_lead):
    """A browser call the agent just placed from the call screen (Twilio has not called us yet)."""
    def make(state="NY", recording_mode=rules.RecordingMode.NEVER, machine_detection=False):
        db.session.add(CampaignTelephony(campaign_id=campaign.id, recording_mode=recording_mode,
                                         machine_detection=machine_detection))
        db.session.commit()
        make_lead(campaign, phone="+12125550123", state=state)
        call = claim_next_lead(agent)
        return services.place_call(call, agent)
    return make


@pytest.fixture
def browser_call(make_browser_call):
    return make_browser_call()


def voice_params(phone_call, agent, **overrides) -> dict:
    return {"CallSid": BROWSER_LEG, "From": f"client:agent-{agent.id}", "To": "", "phone_call": str(phone_call.id),
            "Direction": "inbound", "AccountSid": "AC", **overrides}


def reload(phone_call) -> PhoneCall:
    db.session.rollback()
    return db.session.get(PhoneCall, phone_call.id)


# --- Signatures --------------------------------------------------------------------------------

STATUS = {"CallSid": LEAD_LEG, "CallStatus": "ringing"}


def test_a_webhook_without_a_signature_is_refused(client, fake_twilio):
    assert client.post("/twilio/status", data=STATUS).status_code == 403


def test_a_forged_signature_is_refused(client, fake_twilio):
    headers = {"X-Twilio-Signature": signature(PUBLIC_BASE_URL + "/twilio/status", STATUS, "not-our-token")}
    assert client.post("/twilio/status", data=STATUS, headers=headers).status_code == 403


def test_a_signature_over_other_parameters_is_refused(client, fake_twilio):
    headers = {"X-Twilio-Signature": signature(PUBLIC_BASE_URL + "/twilio/status", STATUS)}
    tampered = {**STATUS, "CallStatus": "completed"}
    assert client.post("/twilio/status", data=tampered, headers=headers).status_code == 403


def test_a_signature_for_another_url_is_refused(client, fake_twilio):
    headers = {"X-Twilio-Signature": signature(PUBLIC_BASE_URL + "/twilio/recording", STATUS)}
    assert client.post("/twilio/status", data=STATUS, headers=headers).status_code == 403


def test_signatures_are_checked_against_the_public_url_not_the_host_the_request_reached(client, fake_twilio):
    # The test client reaches http://localhost/, as a proxy or tunnel would; Twilio signed the public URL.
    assert signed_post(client, "/twilio/status", STATUS).status_code == 204


def test_the_query_string_is_part_of_the_signed_url(client, fake_twilio, browser_call):
    path = f"/twilio/status?phone_call={browser_call.id}"
    headers = {"X-Twilio-Signature": signature(PUBLIC_BASE_URL + "/twilio/status", STATUS)}
    assert client.post(path, data=STATUS, headers=headers).status_code == 403
    assert signed_post(client, path, STATUS).status_code == 204


def test_without_twilio_configured_every_webhook_is_refused(client):
    headers = {"X-Twilio-Signature": signature("http://localhost/twilio/status", STATUS, "")}
    assert client.post("/twilio/status", data=STATUS, headers=headers).status_code == 403


def test_a_signed_in_user_cannot_post_a_webhook_either(client, auth, users, fake_twilio):
    auth.login("admin@example.com")
    response = client.post("/twilio/voice", data={"CallSid": BROWSER_LEG, "csrf_token": auth.csrf_token()})
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/twilio/voice", "/twilio/status", "/twilio/recording", "/twilio/notice"])
def test_signed_webhooks_need_no_csrf_token_and_no_sign_in(client, fake_twilio, path):
    assert signed_post(client, path, {"CallSid": "CA" + "9" * 32}).status_code in (200, 204)


# --- The voice URL: TwiML that dials the lead ---------------------------------------------------

def test_the_voice_url_dials_the_lead_with_the_caller_id_and_progress_callbacks(client, agent, browser_call):
    response = signed_post(client, "/twilio/voice", voice_params(browser_call, agent))

    assert response.status_code == 200 and response.mimetype == "text/xml"
    dial = ElementTree.fromstring(response.data).find("Dial")
    assert dial.get("callerId") == CALLER_ID
    number = dial.find("Number")
    assert number.text == "+12125550123"
    assert number.get("statusCallback") == f"{PUBLIC_BASE_URL}/twilio/status?phone_call={browser_call.id}"
    assert number.get("statusCallbackEvent") == "initiated ringing answered completed"
    assert dial.get("record") is None and number.get("machineDetection") is None
    phone_call = reload(browser_call)
    assert (phone_call.twilio_sid, phone_call.agent_leg_status) == (BROWSER_LEG, "in-progress")


def test_an_always_recorded_call_to_an_all_party_state_plays_the_notice_and_detects_machines(
        client, agent, make_browser_call):
    phone_call = make_browser_call(state="FL", recording_mode=rules.RecordingMode.ALWAYS, machine_detection=True)

    dial = ElementTree.fromstring(signed_post(client, "/twilio/voice", voice_params(phone_call, agent)).data).find("Dial")

    assert dial.get("record") == "record-from-answer-dual"
    assert dial.get("recordingStatusCallback") == f"{PUBLIC_BASE_URL}/twilio/recording?phone_call={phone_call.id}"
    number = dial.find("Number")
    assert number.get("url") == f"{PUBLIC_BASE_URL}/twilio/notice?phone_call={phone_call.id}"
    assert number.get("machineDetection") == "Enable"


def test_an_always_recorded_call_to_a_one_party_state_needs_no_notice(client, agent, make_browser_call):
    phone_call = make_browser_call(state="NY", recording_mode=rules.RecordingMode.ALWAYS)
    dial = ElementTree.fromstring(signed_post(client, "/twilio/voice", voice_params(phone_call, agent)).data).find("Dial")
    assert dial.get("record") == "record-from-answer-dual"
    assert dial.find("Number").get("url") is None


def test_the_consent_notice_is_played_and_the_consent_kept(client, agent, make_browser_call):
    phone_call = make_browser_call(state="CA", recording_mode=rules.RecordingMode.ALWAYS)
    response = signed_post(client, f"/twilio/notice?phone_call={phone_call.id}", {"CallSid": LEAD_LEG})
    assert ElementTree.fromstring(response.data).find("Say").text == rules.CONSENT_NOTICE
    phone_call = reload(phone_call)
    assert phone_call.consent_given and phone_call.consent_method == "notice_played"


def test_the_voice_url_checks_the_lead_again_and_refuses_a_number_gone_on_the_do_not_call_list(
        client, agent, browser_call, list_number):
    list_number("+12125550123", reason="Opted out by email a second ago")

    response = signed_post(client, "/twilio/voice", voice_params(browser_call, agent))

    document = ElementTree.fromstring(response.data)
    assert document.find("Dial") is None and document.find("Hangup") is not None
    assert "do-not-call" in document.find("Say").text
    phone_call = reload(browser_call)
    assert phone_call.status == "failed" and "do-not-call" in phone_call.error_message


def test_the_voice_url_refuses_a_browser_call_from_another_agent(client, agent, browser_call):
    response = signed_post(client, "/twilio/voice", voice_params(browser_call, agent, From="client:agent-999"))
    assert ElementTree.fromstring(response.data).find("Dial") is None
    assert reload(browser_call).twilio_sid is None


def test_the_voice_url_dials_each_phone_call_once(client, agent, browser_call):
    signed_post(client, "/twilio/voice", voice_params(browser_call, agent))
    replay = signed_post(client, "/twilio/voice", voice_params(browser_call, agent, CallSid="CA" + "e" * 32))
    assert ElementTree.fromstring(replay.data).find("Dial") is None


def test_the_voice_url_for_an_unknown_call_hangs_up(client, agent, fake_twilio):
    response = signed_post(client, "/twilio/voice", {"CallSid": BROWSER_LEG, "phone_call": "424242"})
    assert response.status_code == 200
    assert ElementTree.fromstring(response.data).find("Hangup") is not None


# --- Progress callbacks ---------------------------------------------------------------------------

def lead_leg(status: str, **extra) -> dict:
    return {"CallSid": LEAD_LEG, "ParentCallSid": BROWSER_LEG, "CallStatus": status, **extra}


def test_progress_fills_in_the_call_record_by_itself(client, agent, browser_call):
    signed_post(client, "/twilio/voice", voice_params(browser_call, agent))
    path = f"/twilio/status?phone_call={browser_call.id}"
    for params in (lead_leg("initiated"), lead_leg("ringing"), lead_leg("in-progress"),
                   lead_leg("completed", CallDuration="42")):
        assert signed_post(client, path, params).status_code == 204

    phone_call = reload(browser_call)
    assert (phone_call.status, phone_call.lead_call_sid, phone_call.duration_seconds) == ("completed", LEAD_LEG, 42)
    assert phone_call.initiated_at <= phone_call.ringing_at <= phone_call.answered_at <= phone_call.ended_at


def test_duplicated_and_late_callbacks_never_move_a_call_back(client, agent, browser_call):
    signed_post(client, "/twilio/voice", voice_params(browser_call, agent))
    path = f"/twilio/status?phone_call={browser_call.id}"
    signed_post(client, path, lead_leg("in-progress"))
    signed_post(client, path, lead_leg("completed", CallDuration="42"))
    ended = reload(browser_call).ended_at

    for late in (lead_leg("ringing"), lead_leg("completed", CallDuration="42"), lead_leg("initiated"),
                 lead_leg("in-progress"), lead_leg("ringing")):
        assert signed_post(client, path, late).status_code == 204

    phone_call = reload(browser_call)
    assert (phone_call.status, phone_call.duration_seconds, phone_call.ended_at) == ("completed", 42, ended)
    assert phone_call.ringing_at is None  # it was never seen ringing before it was answered
    assert db.session.scalar(select(func.count(PhoneCall.id))) == 1


def test_the_first_final_status_keeps_its_talk_time_and_a_later_one_is_logged(client, agent, browser_call, caplog):
    signed_post(client, "/twilio/voice", voice_params(browser_call, agent))
    path = f"/twilio/status?phone_call={browser_call.id}"
    signed_post(client, path, lead_leg("in-progress"))
    signed_post(client, path, lead_leg("completed", CallDuration="42"))
    ended = reload(browser_call).ended_at

    with caplog.at_level(logging.INFO, logger="console.telephony.services"):
        for later in (lead_leg("completed", CallDuration="1"), lead_leg("no-answer", CallDuration="0"),
                      lead_leg("completed")):
            assert signed_post(client, path, later).status_code == 204

    phone_call = reload(browser_call)
    assert (phone_call.status, phone_call.duration_seconds, phone_call.ended_at) == ("completed", 42, ended)
    assert "Later final status completed (CallDuration=1)" in caplog.text and "42 s already recorded" in caplog.text
    assert "Later final status no-answer (CallDuration=0)" in caplog.text


def test_the_agents_leg_ending_first_guesses_no_talk_time(client, agent, browser_call):
    signed_post(client, "/twilio/voice", voice_params(browser_call, agent))
    path = f"/twilio/status?phone_call={browser_call.id}"
    signed_post(client, path, lead_leg("in-progress"))
    signed_post(client, path, {"CallSid": BROWSER_LEG, "CallStatus": "completed", "CallDuration": "50"})
    phone_call = reload(browser_call)
    assert phone_call.status == "completed" and phone_call.duration_seconds is None  # the lead's leg will say
    signed_post(client, path, lead_leg("completed", CallDuration="44"))
    signed_post(client, path, lead_leg("completed", CallDuration="3"))  # a second report changes nothing
    assert reload(browser_call).duration_seconds == 44


def test_callbacks_linked_by_call_sid_need_no_id_in_the_url(client, agent, browser_call):
    signed_post(client, "/twilio/voice", voice_params(browser_call, agent))
    signed_post(client, "/twilio/status", lead_leg("ringing"))
    assert signed_post(client, "/twilio/status", {"CallSid": LEAD_LEG, "CallStatus": "busy"}).status_code == 204
    assert reload(browser_call).status == "busy"


def test_a_callback_for_an_unknown_call_is_logged_and_acknowledged(client, fake_twilio, caplog):
    with caplog.at_level(logging.WARNING, logger="console.telephony.services"):
        response = signed_post(client, "/twilio/status", {"CallSid": "CA" + "f" * 32, "CallStatus": "completed"})
    assert response.status_code == 204
    assert "unknown call" in caplog.text and "CA" + "f" * 32 in caplog.text


def test_a_callback_without_a_call_sid_is_acknowledged(client, fake_twilio):
    assert signed_post(client, "/twilio/status", {"CallStatus": "completed"}).status_code == 204


def test_the_agent_hanging_up_first_still_ends_the_phone_call(client, agent, browser_call):
    signed_post(client, "/twilio/voice", voice_params(browser_call, agent))
    path = f"/twilio/status?phone_call={browser_call.id}"
    signed_post(client, path, lead_leg("in-progress"))
    signed_post(client, path, {"CallSid": BROWSER_LEG, "CallStatus": "completed", "CallDuration": "50"})
    assert reload(browser_call).status == "completed"
    signed_post(client, path, lead_leg("completed", CallDuration="44"))  # the lead's leg, late: true talk time
    assert reload(browser_call).duration_seconds == 44


def test_answering_machine_detection_reports_who_answered(client, agent, make_browser_call):
    phone_call = make_browser_call(machine_detection=True)
    signed_post(client, "/twilio/voice", voice_params(phone_call, agent))
    path = f"/twilio/status?phone_call={phone_call.id}"
    signed_post(client, path, lead_leg("in-progress"))
    signed_post(client, path, {"CallSid": LEAD_LEG, "AnsweredBy": "machine_start", "MachineDetectionDuration": "2100"})
    phone_call = reload(phone_call)
    assert phone_call.answered_by == "machine_start" and phone_call.answered_by_label == "an answering machine"


def test_a_failed_call_keeps_twilios_reason(client, agent, browser_call):
    signed_post(client, "/twilio/voice", voice_params(browser_call, agent))
    signed_post(client, "/twilio/status", lead_leg("failed", ErrorCode="13224", ErrorMessage="Invalid number"))
    phone_call = reload(browser_call)
    assert phone_call.error_code == 13224 and "not a valid phone number" in phone_call.error_message


# --- Recording callbacks -----------------------------------------------------------------------

def test_recording_callbacks_are_idempotent_and_land_on_the_call(client, agent, make_browser_call):
    phone_call = make_browser_call(state="NY", recording_mode=rules.RecordingMode.ALWAYS)
    signed_post(client, "/twilio/voice", voice_params(phone_call, agent))
    path = f"/twilio/recording?phone_call={phone_call.id}"
    completed = {"CallSid": BROWSER_LEG, "RecordingSid": "RE" + "1" * 32, "RecordingStatus": "completed",
                 "RecordingDuration": "40", "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1"}
    for params in ({**completed, "RecordingStatus": "in-progress"}, completed, completed,
                   {**completed, "RecordingStatus": "in-progress"}):
        assert signed_post(client, path, params).status_code == 204

    db.session.rollback()
    recording = db.session.scalar(select(Recording))
    assert db.session.scalar(select(func.count(Recording.id))) == 1
    assert (recording.phone_call_id, recording.status, recording.duration_seconds) == (phone_call.id, "completed", 40)
    assert recording.media_url.endswith("/Recordings/RE1")


def test_a_recording_callback_for_an_unknown_call_is_acknowledged(client, app_context, fake_twilio):
    params = {"CallSid": "CA" + "0" * 32, "RecordingSid": "RE" + "0" * 32, "RecordingStatus": "completed"}
    assert signed_post(client, "/twilio/recording", params).status_code == 204
    assert db.session.scalar(select(func.count(Recording.id))) == 0


def test_the_tests_sign_exactly_as_twilio_does():
    # Twilio's published example vector (auth token 12345), reproduced by the helper every test here signs with.
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234", "From": "+14158675309",
              "To": "+18005551212"}
    assert signature("https://mycompany.com/myapp.php?foo=1&bar=2", params, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
