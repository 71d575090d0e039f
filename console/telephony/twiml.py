"""The TwiML documents the console answers Twilio with, built from plain values (no Flask, no database)."""
from __future__ import annotations

from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from console.telephony import rules

PROGRESS_EVENTS = "initiated ringing answered completed"
RECORDING_EVENTS = "in-progress completed absent"


@dataclass(frozen=True)
class DialPlan:
    """Everything <Dial> needs to reach a lead; the webhook URLs are absolute public URLs."""

    to_number: str
    caller_id: str
    status_callback: str
    recording_status_callback: str
    timeout: int = 30
    record: bool = False
    notice_url: str | None = None  # played to the lead when they answer, before the bridge
    machine_detection: bool = False


def dial_lead(plan: DialPlan) -> str:
    response = VoiceResponse()
    dial_options = {
        "caller_id": plan.caller_id,
        # The agent hears ringing, not silence, until the lead picks up (and browser calls stay "ringing").
        "answer_on_bridge": True,
        "timeout": plan.timeout,
    }
    if plan.record:
        # Dual channel keeps the agent and the lead on separate tracks; it starts when the lead answers,
        # so the consent notice, played on answer, is the first thing on the recording.
        dial_options.update(record="record-from-answer-dual", recording_status_callback=plan.recording_status_callback,
                            recording_status_callback_method="POST", recording_status_callback_event=RECORDING_EVENTS)
    dial = response.dial(**dial_options)
    number_options = {
        "status_callback": plan.status_callback,
        "status_callback_method": "POST",
        "status_callback_event": PROGRESS_EVENTS,
    }
    if plan.notice_url:
        number_options.update(url=plan.notice_url, method="POST")
    if plan.machine_detection:
        # On <Number> detection runs alongside the call and reports to amdStatusCallback.
        number_options.update(machine_detection="Enable", amd_status_callback=plan.status_callback,
                              amd_status_callback_method="POST")
    dial.number(plan.to_number, **number_options)
    return str(response)


def consent_notice() -> str:
    response = VoiceResponse()
    response.say(rules.CONSENT_NOTICE)
    return str(response)


def refuse(message: str) -> str:
    """Tell whoever is on the line why the console will not connect the call, then hang up."""
    response = VoiceResponse()
    response.say(message)
    response.hangup()
    return str(response)


def empty() -> str:
    return str(VoiceResponse())
