"""The TwiML the console answers Twilio with."""
import xml.etree.ElementTree as ElementTree

from console.telephony import rules, twiml

PLAN = dict(to_number="+12125550123", caller_id="+12125550100",
            status_callback="https://console.example.com/twilio/status?phone_call=7",
            recording_status_callback="https://console.example.com/twilio/recording?phone_call=7")


def parse(document: str) -> ElementTree.Element:
    return ElementTree.fromstring(document)


def test_the_lead_is_dialled_with_the_campaigns_caller_id_and_progress_callbacks():
    response = parse(twiml.dial_lead(twiml.DialPlan(**PLAN, timeout=25)))
    dial = response.find("Dial")
    assert dial.get("callerId") == "+12125550100"
    assert dial.get("answerOnBridge") == "true"
    assert dial.get("timeout") == "25"
    assert dial.get("record") is None
    number = dial.find("Number")
    assert number.text == "+12125550123"
    assert number.get("statusCallback") == PLAN["status_callback"]
    assert number.get("statusCallbackEvent") == "initiated ringing answered completed"
    assert number.get("machineDetection") is None
    assert number.get("url") is None


def test_an_always_recorded_call_records_both_channels_from_answer_and_reports_the_recording():
    dial = parse(twiml.dial_lead(twiml.DialPlan(**PLAN, record=True))).find("Dial")
    assert dial.get("record") == "record-from-answer-dual"
    assert dial.get("recordingStatusCallback") == PLAN["recording_status_callback"]
    assert dial.get("recordingStatusCallbackEvent") == "in-progress completed absent"


def test_the_consent_notice_is_played_to_the_lead_before_the_bridge():
    notice = "https://console.example.com/twilio/notice?phone_call=7"
    number = parse(twiml.dial_lead(twiml.DialPlan(**PLAN, record=True, notice_url=notice))).find("Dial/Number")
    assert number.get("url") == notice


def test_machine_detection_reports_to_the_status_callback():
    number = parse(twiml.dial_lead(twiml.DialPlan(**PLAN, machine_detection=True))).find("Dial/Number")
    assert number.get("machineDetection") == "Enable"
    assert number.get("amdStatusCallback") == PLAN["status_callback"]


def test_the_consent_notice_says_the_call_may_be_recorded():
    assert parse(twiml.consent_notice()).find("Say").text == rules.CONSENT_NOTICE


def test_a_refusal_says_why_and_hangs_up():
    response = parse(twiml.refuse("Not now."))
    assert [child.tag for child in response] == ["Say", "Hangup"]
    assert response.find("Say").text == "Not now."
