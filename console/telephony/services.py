"""Placing calls and recording their progress: the only code that writes telephony records.

One Dialer interface, three back ends: Twilio browser calling, Twilio bridge calling (the agent's own
phone rings first) and the simulated line used when Twilio is not configured. Whatever the back end,
call progress goes through record_call_progress() and record_recording_progress(), the functions
Twilio's signed webhooks call, so demos and tests exercise the same handling as real calls.
"""
from __future__ import annotations

import io
import logging
import uuid
import wave
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import requests
from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from console.audit import services as audit
from console.auth.models import Role
from console.calls.models import Call, CallStatus
from console.campaigns.models import Campaign
from console.clock import utcnow
from console.extensions import db
from console.forms import bounded_int
from console.handoffs.models import Handoff
from console.leads.models import Lead
from console.leads.rules import InvalidPhoneNumber, normalise_phone
from console.database import writers
from console.calls.errors import CallError, NotDialable, NotYourCall
from console.calls.line import LinePhase, LineState
from console.queue.services import assert_dialable, dialability_problems
from console.telephony import rules, twiml
from console.telephony.models import AgentTelephony, CallingMode, CampaignTelephony, PhoneCall, Recording

log = logging.getLogger(__name__)

VOICE_SDK_FILE = "vendor/twilio-voice-2.18.5.min.js"


class TelephonyError(CallError):
    """A call could not be placed or changed; the message says why, in words the agent can act on."""


class DialFailed(TelephonyError):
    """The carrier refused the call. The phone call is kept, marked failed, with the reason."""


# --- Settings ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    caller_id: str
    api_key: str
    api_secret: str
    twiml_app_sid: str
    public_base_url: str
    token_ttl: int
    ring_timeout: int

    @classmethod
    def from_config(cls, config: Mapping) -> TwilioSettings:
        return cls(
            account_sid=config.get("TWILIO_ACCOUNT_SID", ""), auth_token=config.get("TWILIO_AUTH_TOKEN", ""),
            caller_id=config.get("TWILIO_CALLER_ID", ""), api_key=config.get("TWILIO_API_KEY", ""),
            api_secret=config.get("TWILIO_API_SECRET", ""), twiml_app_sid=config.get("TWILIO_TWIML_APP_SID", ""),
            public_base_url=(config.get("PUBLIC_BASE_URL") or "").rstrip("/"),
            token_ttl=int(config.get("TWILIO_TOKEN_TTL_SECONDS", 600)),
            ring_timeout=int(config.get("TWILIO_RING_TIMEOUT_SECONDS", 30)),
        )

    @property
    def places_calls(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.public_base_url)

    @property
    def browser_calling(self) -> bool:
        return self.places_calls and bool(self.api_key and self.api_secret and self.twiml_app_sid)


def twilio_settings() -> TwilioSettings:
    return TwilioSettings.from_config(current_app.config)


def twilio_configured() -> bool:
    """Calls go through Twilio (else through the simulated line).

    Under TESTING, Twilio counts as configured only when a test injected a fake transport, so that
    credentials left in a developer's environment can never make a test reach the network.
    """
    if not twilio_settings().places_calls:
        return False
    return not current_app.testing or current_app.config.get("TWILIO_HTTP_CLIENT") is not None


def browser_calling_available() -> bool:
    return twilio_configured() and twilio_settings().browser_calling


def twilio_client() -> Client:
    settings = twilio_settings()
    if current_app.testing and current_app.config.get("TWILIO_HTTP_CLIENT") is None:
        raise RuntimeError("Tests must inject TWILIO_HTTP_CLIENT: no test may reach Twilio.")
    # Tests inject a fake transport here; production uses the library's own HTTP client.
    return Client(settings.account_sid, settings.auth_token, http_client=current_app.config.get("TWILIO_HTTP_CLIENT"))


def public_url(endpoint: str, **values) -> str:
    """The absolute URL Twilio uses to reach an endpoint: PUBLIC_BASE_URL + its path (works without a request)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return twilio_settings().public_base_url + path


def webhook_signature_valid(full_path: str, form: Mapping, signature: str | None) -> bool:
    """Was this request signed by Twilio with our auth token, for the public URL it was sent to?

    Validation uses PUBLIC_BASE_URL, not the Host header, so it holds behind a proxy or tunnel.
    """
    settings = twilio_settings()
    if not (signature and settings.auth_token and settings.public_base_url):
        return False
    url = settings.public_base_url + (full_path[:-1] if full_path.endswith("?") else full_path)
    return RequestValidator(settings.auth_token).validate(url, form, signature)


def client_identity(agent) -> str:
    """The agent's name on Twilio: an id, never an email address."""
    return f"agent-{agent.id}"


# --- Calling settings ----------------------------------------------------------------------------

def agent_telephony(agent) -> AgentTelephony:
    return db.session.get(AgentTelephony, agent.id) or AgentTelephony(user_id=agent.id,
                                                                      calling_mode=CallingMode.BROWSER)


def campaign_telephony(campaign_id: int) -> CampaignTelephony:
    return db.session.get(CampaignTelephony, campaign_id) or CampaignTelephony(
        campaign_id=campaign_id, recording_mode=rules.RecordingMode.NEVER, machine_detection=False)


def save_agent_telephony(agent, calling_mode: str, phone: str | None) -> AgentTelephony:
    if calling_mode not in (CallingMode.BROWSER, CallingMode.BRIDGE):
        raise TelephonyError("Choose how you call: in the browser or on your phone.")
    number = None
    if phone and phone.strip():
        try:
            number = normalise_phone(phone.strip())
        except InvalidPhoneNumber as error:
            raise TelephonyError(f"Your phone number: {error}.") from error
    if calling_mode == CallingMode.BRIDGE and not number:
        raise TelephonyError("To be called on your phone, give its number.")
    with writers.write_transaction(db.session):
        settings = db.session.get(AgentTelephony, agent.id)
        if settings is None:
            settings = AgentTelephony(user_id=agent.id)
            db.session.add(settings)
        settings.calling_mode, settings.phone = calling_mode, number
        audit.record("telephony.agent_settings_saved", agent, actor=agent, calling_mode=calling_mode, phone=number)
    return settings


def save_campaign_telephony(campaign: Campaign, editor, recording_mode: str, machine_detection: bool) -> CampaignTelephony:
    if recording_mode not in rules.RecordingMode.ALL:
        raise TelephonyError(f"Unknown recording mode {recording_mode!r}.")
    with writers.write_transaction(db.session):
        settings = db.session.get(CampaignTelephony, campaign.id)
        if settings is None:
            settings = CampaignTelephony(campaign_id=campaign.id)
            db.session.add(settings)
        settings.recording_mode, settings.machine_detection = recording_mode, machine_detection
        settings.updated_by_id = editor.id
        audit.record("telephony.campaign_settings_saved", campaign, actor=editor, recording_mode=recording_mode,
                     machine_detection=machine_detection)
    return settings


# --- The dialers -----------------------------------------------------------------------------------

class Dialer(Protocol):
    """What the console needs from a line. The server always decides whether a call may be placed."""

    mode: str

    def prepare(self, phone_call: PhoneCall) -> None:
        """Fill in what is known before the call is recorded (SIDs, the agent's phone)."""

    def place(self, phone_call: PhoneCall) -> None:
        """Start the call at the carrier (the browser starts its own; see TwilioBrowserDialer)."""

    def hang_up(self, phone_call: PhoneCall) -> bool:
        """End the call; False when the carrier never had it, so the console ends it itself."""

    def start_recording(self, phone_call: PhoneCall) -> str:
        """Start recording now; returns the recording's SID."""

    def discard_recording(self, recording: Recording) -> None:
        """Delete a recording that may not be kept."""


class _TwilioDialer:
    """What browser and bridge calling share: hanging up and recording through the REST API."""

    mode = ""

    def hang_up(self, phone_call: PhoneCall) -> bool:
        if phone_call.twilio_sid is None:
            return False
        # Twilio ends a call that was answered with "completed", and one still ringing with "canceled".
        answered = phone_call.agent_leg_status == rules.IN_PROGRESS
        try:
            instance = twilio_client().calls(phone_call.twilio_sid).update(
                status=rules.COMPLETED if answered else rules.CANCELED)
        except TwilioRestException as error:
            if error.code in (20404, 21220):  # already over: its own callbacks will say how it ended
                log.info("Hang-up of %s: Twilio says the call already ended (%s)", phone_call.twilio_sid, error.code)
                return True
            raise
        record_call_progress({"CallSid": instance.sid, "CallStatus": instance.status}, phone_call.id)
        return True

    def start_recording(self, phone_call: PhoneCall) -> str:
        if phone_call.twilio_sid is None:
            raise TelephonyError("The call is not connected yet.")
        # The agent's leg carries both voices once bridged; dual channel keeps them apart.
        recording = twilio_client().calls(phone_call.twilio_sid).recordings.create(
            recording_status_callback=public_url("telephony.recording_callback", phone_call=phone_call.id),
            recording_status_callback_method="POST",
            recording_status_callback_event=["in-progress", "completed", "absent"],
            recording_channels="dual",
        )
        return recording.sid

    def discard_recording(self, recording: Recording) -> None:
        twilio_client().recordings(recording.recording_sid).delete()


class TwilioBrowserDialer(_TwilioDialer):
    """The agent talks through the call screen (Twilio Voice JS SDK). The browser starts the call with
    the phone call's id; Twilio then asks /twilio/voice, which re-checks the lead and <Dial>s it."""

    mode = CallingMode.BROWSER

    def prepare(self, phone_call: PhoneCall) -> None:
        pass

    def place(self, phone_call: PhoneCall) -> None:
        pass


class TwilioBridgeDialer(_TwilioDialer):
    """Twilio rings the agent's own phone; when they answer, /twilio/voice <Dial>s the lead."""

    mode = CallingMode.BRIDGE

    def __init__(self, agent_phone: str):
        self.agent_phone = agent_phone

    def prepare(self, phone_call: PhoneCall) -> None:
        phone_call.agent_number = self.agent_phone

    def place(self, phone_call: PhoneCall) -> None:
        instance = twilio_client().calls.create(
            to=phone_call.agent_number,
            from_=phone_call.caller_id,
            url=public_url("telephony.voice", phone_call=phone_call.id),
            method="POST",
            # The phone call's id rides along in every webhook URL, so progress that arrives before
            # this request returns (and before we know the CallSid) still finds its record.
            status_callback=public_url("telephony.status_callback", phone_call=phone_call.id),
            status_callback_method="POST",
            status_callback_event=["initiated", "ringing", "answered", "completed"],
            timeout=twilio_settings().ring_timeout,
        )
        record_call_progress({"CallSid": instance.sid, "CallStatus": instance.status}, phone_call.id)


class SimulatedLine:
    """A pretend carrier for demos and tests: it produces the callbacks Twilio would send, on a clock,
    and feeds them to the same functions the webhooks call. Only the network is missing."""

    mode = CallingMode.SIMULATED

    def prepare(self, phone_call: PhoneCall) -> None:
        phone_call.twilio_sid = "SIMCA" + uuid.uuid4().hex
        phone_call.simulated_outcome = phone_call.simulated_outcome or rules.SimulatedOutcome.ANSWER

    def place(self, phone_call: PhoneCall) -> None:
        advance_simulated_line(phone_call, phone_call.placed_at)

    def hang_up(self, phone_call: PhoneCall, now: datetime | None = None) -> bool:
        now = now or utcnow()
        for recording in list(phone_call.recordings):
            if recording.status == rules.RecordingStatus.IN_PROGRESS:
                record_recording_progress({
                    "RecordingSid": recording.recording_sid, "CallSid": phone_call.twilio_sid,
                    "RecordingStatus": rules.RecordingStatus.COMPLETED,
                    "RecordingDuration": str(_seconds_between(recording.started_at, now)),
                }, phone_call.id)
        if phone_call.status == rules.IN_PROGRESS:
            _simulate(phone_call, rules.COMPLETED, CallDuration=str(_seconds_between(phone_call.answered_at, now)))
        else:
            _simulate(phone_call, rules.CANCELED)
        record_call_progress({"CallSid": phone_call.twilio_sid, "CallStatus": rules.COMPLETED}, phone_call.id)
        return True

    def start_recording(self, phone_call: PhoneCall) -> str:
        return "SIMRE" + uuid.uuid4().hex

    def discard_recording(self, recording: Recording) -> None:
        pass


def _lead_leg_sid(phone_call: PhoneCall) -> str:
    return phone_call.twilio_sid.replace("SIMCA", "SIMLD", 1)


def _simulate(phone_call: PhoneCall, status: str, **extra: str) -> None:
    """One status callback from the pretend carrier, for the lead's leg (child of the agent's leg)."""
    record_call_progress({"CallSid": _lead_leg_sid(phone_call), "ParentCallSid": phone_call.twilio_sid,
                          "CallStatus": status, **extra}, phone_call.id)


def _seconds_between(start: datetime | None, end: datetime) -> int:
    return max(int((end - start).total_seconds()), 0) if start else 0


def advance_simulated_line(phone_call: PhoneCall, now: datetime | None = None) -> None:
    """Send the simulated callbacks that are due by now; answered calls last until someone hangs up
    (or the console call is closed, which is when the agent has moved on)."""
    if phone_call.mode != CallingMode.SIMULATED or not phone_call.is_active:
        return
    now = now or utcnow()
    elapsed = (now - phone_call.placed_at).total_seconds()
    for event in rules.due_simulated_events(phone_call.simulated_outcome, phone_call.machine_detection, elapsed):
        if rules.next_status(phone_call.status, event.status) == phone_call.status:
            continue  # already delivered: skip the write (delivering it again would change nothing)
        extra = {"AnsweredBy": event.answered_by} if event.answered_by else {}
        _simulate(phone_call, event.status, **extra)
        if event.status == rules.IN_PROGRESS:
            _simulate_answer(phone_call, now)
    if phone_call.status == rules.IN_PROGRESS and (
            phone_call.call.status != CallStatus.OPEN or elapsed > rules.SIMULATED_MAX_SECONDS):
        # A call closed while its line lived on (a lapsed claim): the talk ended when the call did, not now.
        closed_at = phone_call.call.ended_at if phone_call.call.status != CallStatus.OPEN else None
        SimulatedLine().hang_up(phone_call, min(closed_at, now) if closed_at else now)


def _simulate_answer(phone_call: PhoneCall, now: datetime) -> None:
    """What Twilio does when the lead answers: play the notice, then start an always-on recording."""
    plan = rules.recording_plan(phone_call.recording_mode, phone_call.consent_required)
    if plan.play_notice:
        consent_notice_played(phone_call.id)
    if plan.record_from_answer:
        record_recording_progress({"RecordingSid": "SIMRE" + uuid.uuid4().hex, "CallSid": phone_call.twilio_sid,
                                   "RecordingStatus": rules.RecordingStatus.IN_PROGRESS}, phone_call.id)


def dialer_for(agent) -> Dialer:
    """The line this agent calls on now; raises TelephonyError saying what to set up when there is none."""
    if not twilio_configured():
        return SimulatedLine()
    preferences = agent_telephony(agent)
    if preferences.calling_mode == CallingMode.BRIDGE:
        if not preferences.phone:
            raise TelephonyError("Add your phone number in Calling settings to be called on your phone.")
        return TwilioBridgeDialer(preferences.phone)
    if twilio_settings().browser_calling:
        return TwilioBrowserDialer()
    raise TelephonyError("Browser calling is not set up (an admin must set TWILIO_API_KEY, TWILIO_API_SECRET and "
                         "TWILIO_TWIML_APP_SID). Choose “Your phone” in Calling settings instead.")


def _dialer_of(phone_call: PhoneCall) -> Dialer:
    if phone_call.mode == CallingMode.SIMULATED:
        return SimulatedLine()
    if phone_call.mode == CallingMode.BRIDGE:
        return TwilioBridgeDialer(phone_call.agent_number or "")
    return TwilioBrowserDialer()


# --- Placing, ending and recording calls (the agent's actions) --------------------------------

def active_phone_call(call: Call) -> PhoneCall | None:
    return db.session.scalar(select(PhoneCall).where(PhoneCall.call_id == call.id,
                                                     PhoneCall.status.not_in(rules.FINAL_STATUSES))
                             .order_by(PhoneCall.id.desc()).limit(1))


def latest_phone_call(call: Call) -> PhoneCall | None:
    return db.session.scalar(select(PhoneCall).where(PhoneCall.call_id == call.id)
                             .order_by(PhoneCall.id.desc()).limit(1))


def _own_call(call: Call, agent) -> None:
    if call.agent_id != agent.id:
        raise NotYourCall("This call belongs to another agent.")


def place_call(call: Call, agent, *, outcome: str | None = None, now: datetime | None = None) -> PhoneCall:
    """Dial the lead of this call, after the server's own check that it may be dialled now.

    Refusals and carrier errors are audited and committed before they are raised, and the failed
    phone call is kept with its reason: nothing the agent did is lost.
    """
    now = now or utcnow()
    try:
        assert_dialable(call, agent, now)
        if call.status != CallStatus.OPEN:
            raise NotDialable("Cannot dial: this call already has a disposition.")
    except NotYourCall:
        raise
    except NotDialable as refusal:
        with writers.write_transaction(db.session):
            audit.record("telephony.dial_refused", call, actor=agent, lead_id=call.lead_id, reason=str(refusal))
        raise
    if active_phone_call(call) is not None:
        raise TelephonyError("A call is already in progress: hang up before dialling again.")
    dialer = dialer_for(agent)
    lead, campaign = call.lead, call.lead.campaign
    caller_id = campaign.caller_id or twilio_settings().caller_id or None
    if dialer.mode != CallingMode.SIMULATED and not caller_id:
        raise TelephonyError("No caller ID: set one on the campaign, or TWILIO_CALLER_ID.")
    settings = campaign_telephony(campaign.id)
    recording = settings.recording_mode
    phone_call = PhoneCall(
        call_id=call.id, placed_by_id=agent.id, mode=dialer.mode, status=rules.QUEUED, to_number=lead.phone,
        caller_id=caller_id, recording_mode=recording, machine_detection=settings.machine_detection,
        consent_required=recording != rules.RecordingMode.NEVER and rules.consent_required(lead.state),
        placed_at=now,
        simulated_outcome=(outcome if outcome in rules.SimulatedOutcome.ALL else None)
        if dialer.mode == CallingMode.SIMULATED else None,
    )
    dialer.prepare(phone_call)
    with writers.write_transaction(db.session):  # the attempt is on record before any carrier is asked
        db.session.add(phone_call)
        db.session.flush()
        audit.record("telephony.dial", call, actor=agent, lead_id=lead.id, phone_call_id=phone_call.id,
                     mode=dialer.mode, to=lead.phone, caller_id=caller_id, recording_mode=recording)
    phone_call_id = phone_call.id
    try:
        dialer.place(phone_call)
    except TwilioRestException as error:
        message = rules.describe_twilio_error(error.code, error.msg, to=lead.phone,
                                              caller_id=caller_id or "")
        _record_dial_failure(phone_call_id, agent, message, error.code, error.msg)
        raise DialFailed(message) from error
    except (TwilioException, requests.RequestException, OSError) as error:
        message = "Could not reach Twilio to place the call. Try again in a moment; if it keeps failing, tell an admin."
        _record_dial_failure(phone_call_id, agent, message, None, str(error))
        raise DialFailed(message) from error
    return db.session.get(PhoneCall, phone_call_id)


def _record_dial_failure(phone_call_id: int, agent, message: str, code: int | None, carrier_message: str) -> None:
    with writers.write_transaction(db.session):
        phone_call = db.session.get(PhoneCall, phone_call_id)
        if phone_call.is_active:
            phone_call.status, phone_call.ended_at = rules.FAILED, utcnow()
        phone_call.error_code, phone_call.error_message = code, message
        audit.record("telephony.dial_failed", phone_call.call, actor=agent, lead_id=phone_call.call.lead_id,
                     phone_call_id=phone_call.id, twilio_code=code, twilio_message=carrier_message)
    log.warning("Dial of phone call %s failed: %s (%s)", phone_call_id, carrier_message, code)


def hang_up(call: Call, agent, *, reason: str | None = None) -> PhoneCall | None:
    """End the active phone call. `reason` comes from the browser when its own call failed (microphone
    refused, network lost) before the carrier reported anything."""
    _own_call(call, agent)
    with writers.write_transaction(db.session):
        phone_call = active_phone_call(call)
        if phone_call is None:
            return latest_phone_call(call)
        phone_call.hangup_requested_at = utcnow()
        if reason:
            phone_call.error_message = f"The browser call ended: {reason[:300]}"
        audit.record("telephony.hang_up", call, actor=agent, lead_id=call.lead_id, phone_call_id=phone_call.id,
                     reason=reason)
    phone_call_id = phone_call.id
    try:
        reached_carrier = _dialer_of(phone_call).hang_up(phone_call)
    except TwilioRestException as error:
        db.session.rollback()
        raise TelephonyError(rules.describe_twilio_error(error.code, error.msg, action="hang up")) from error
    except (TwilioException, requests.RequestException, OSError) as error:
        db.session.rollback()
        raise TelephonyError("Could not reach Twilio to hang up. Hang up on your phone or headset.") from error
    with writers.write_transaction(db.session):
        phone_call = db.session.get(PhoneCall, phone_call_id, populate_existing=True)
        if not reached_carrier and phone_call.is_active:
            phone_call.status, phone_call.ended_at = rules.CANCELED, utcnow()
    return phone_call


class TelephonyLine:
    """What the calls area asks of the line (console.calls.line), registered by create_app."""

    def state(self, call_id: int) -> LineState:
        phone_call = db.session.scalar(select(PhoneCall).where(PhoneCall.call_id == call_id)
                                       .order_by(PhoneCall.id.desc()).limit(1))
        if phone_call is None:
            return LineState(LinePhase.NONE)
        if not phone_call.is_active:
            return LineState(LinePhase.ENDED, phone_call.ended_at)
        if phone_call.status == rules.IN_PROGRESS:
            return LineState(LinePhase.CONNECTED, phone_call.answered_at)
        return LineState(LinePhase.DIALLING, phone_call.placed_at)

    def end_for_disposition(self, call: Call, agent) -> None:
        end_line_for_disposition(call, agent)


def end_line_for_disposition(call: Call, agent) -> PhoneCall | None:
    """A disposition ends the call: hang up its live phone call first, through the dialer it was placed on.

    The simulated line is moved on to now first (an answer due by now is an answer), so the talk time it
    reports ends at the disposition. When the carrier refuses to hang up, TelephonyError says so and what to
    do; the caller then saves nothing. Commit rule as in hang_up(): the request, the carrier, its answer.
    """
    phone_call = active_phone_call(call)
    if phone_call is None:
        return None
    if phone_call.mode == CallingMode.SIMULATED:
        advance_simulated_line(phone_call)
        if active_phone_call(call) is None:
            return db.session.get(PhoneCall, phone_call.id, populate_existing=True)
    try:
        return hang_up(call, agent)
    except TelephonyError as error:
        raise TelephonyError(f"Not saved: the call is still on the line. {error} Hang up on your phone or headset, "
                             "then save the disposition again.") from error


def start_recording(call: Call, agent, *, consent_confirmed: bool) -> Recording:
    """On-demand recording: only while connected, and where consent is needed only once the agent
    confirms they read the notice and the prospect agreed."""
    _own_call(call, agent)
    phone_call = active_phone_call(call)
    if phone_call is None or phone_call.status != rules.IN_PROGRESS:
        raise TelephonyError("Recording starts once the lead is on the line.")
    plan = rules.recording_plan(phone_call.recording_mode, phone_call.consent_required)
    if not plan.agent_may_start:
        raise TelephonyError("This campaign does not allow recording on demand.")
    if phone_call.is_recording:
        raise TelephonyError("This call is already being recorded.")
    if plan.agent_must_confirm_consent:
        if not consent_confirmed:
            raise TelephonyError(f"{call.lead.state or 'This lead’s state'} requires everyone's consent to record: "
                                 "read the notice, and confirm the prospect agreed.")
        with writers.write_transaction(db.session):
            phone_call = db.session.get(PhoneCall, phone_call.id)
            phone_call.consent_method, phone_call.consent_at = rules.ConsentMethod.AGENT_READ, utcnow()
            audit.record("telephony.consent_given", call, actor=agent, lead_id=call.lead_id,
                         phone_call_id=phone_call.id, method=rules.ConsentMethod.AGENT_READ, state=call.lead.state)
    phone_call_id = phone_call.id
    try:
        recording_sid = _dialer_of(phone_call).start_recording(phone_call)
    except TwilioRestException as error:
        db.session.rollback()
        raise TelephonyError(rules.describe_twilio_error(error.code, error.msg)) from error
    except (TwilioException, requests.RequestException, OSError) as error:
        db.session.rollback()
        raise TelephonyError("Could not reach Twilio to start recording.") from error
    recording = record_recording_progress({"RecordingSid": recording_sid, "CallSid": phone_call.twilio_sid,
                                           "RecordingStatus": rules.RecordingStatus.IN_PROGRESS}, phone_call_id)
    with writers.write_transaction(db.session):
        recording = db.session.get(Recording, recording.id)
        recording.started_by_id = agent.id
        audit.record("telephony.recording_started", call, actor=agent, lead_id=call.lead_id,
                     phone_call_id=phone_call_id, recording_sid=recording_sid)
    return recording


def issue_access_token(agent) -> str:
    """A short-lived Voice token for the call screen: outgoing calls through the TwiML app only."""
    settings = twilio_settings()
    if not browser_calling_available():
        raise TelephonyError("Browser calling is not configured.")
    token = AccessToken(settings.account_sid, settings.api_key, settings.api_secret,
                        identity=client_identity(agent), ttl=settings.token_ttl)
    token.add_grant(VoiceGrant(outgoing_application_sid=settings.twiml_app_sid, incoming_allow=False))
    return token.to_jwt()


# --- Webhooks: what Twilio (or the simulated line) reports -------------------------------------

class _Discard(Exception):
    """Leave a webhook's write transaction without keeping what it changed (rolled back), answering `result`."""

    def __init__(self, result=None):
        super().__init__()
        self.result = result


@contextmanager
def _callback_transaction():
    """Callbacks for one call can arrive together: each is one write transaction, which serialises their
    read-modify-write per call (SQLite's writer turn, PostgreSQL's row lock in _load_for_update).
    Raise _Discard inside to roll back and answer its result."""
    box = {}
    try:
        with writers.write_transaction(db.session):
            yield box
    except _Discard as discarded:
        box["result"] = discarded.result


def _load_for_update(condition) -> PhoneCall | None:
    statement = select(PhoneCall).where(condition).limit(1)
    if db.session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return db.session.scalar(statement.execution_options(populate_existing=True))


def _find_leg(call_sid: str | None, parent_sid: str | None, phone_call_id: int | None) -> tuple[PhoneCall | None, str]:
    """Which phone call, and which of its legs ("agent" or "lead"), a callback is about. Linked by CallSid;
    the id in the webhook URL (signed, so trustworthy) covers callbacks that beat the SID to the database."""
    if call_sid:
        phone_call = _load_for_update(PhoneCall.twilio_sid == call_sid)
        if phone_call is not None:
            return phone_call, "agent"
        phone_call = _load_for_update(PhoneCall.lead_call_sid == call_sid)
        if phone_call is not None:
            return phone_call, "lead"
    if parent_sid:
        phone_call = _load_for_update(PhoneCall.twilio_sid == parent_sid)
        if phone_call is not None and phone_call.lead_call_sid is None:
            phone_call.lead_call_sid = call_sid
            return phone_call, "lead"
    if phone_call_id is not None and call_sid:
        phone_call = _load_for_update(PhoneCall.id == phone_call_id)
        if phone_call is not None and phone_call.twilio_sid is None and not parent_sid:
            phone_call.twilio_sid = call_sid
            return phone_call, "agent"
    return None, ""


def record_call_progress(params: Mapping[str, str], phone_call_id: int | None = None,
                         now: datetime | None = None) -> PhoneCall | None:
    """Apply one call-status (or answering-machine) callback. Idempotent; never moves a call backwards;
    an unknown call is logged and ignored. Returns the phone call, if known."""
    call_sid = params.get("CallSid")
    with _callback_transaction() as box:
        phone_call, leg = _find_leg(call_sid, params.get("ParentCallSid"), phone_call_id)
        if phone_call is None:
            log.warning("Call progress for an unknown call (CallSid=%s, status=%s): ignored",
                        call_sid, params.get("CallStatus"))
            raise _Discard(None)
        now = now or utcnow()
        incoming = rules.normalise_status(params.get("CallStatus"))
        if leg == "lead":
            _apply_lead_leg(phone_call, incoming, params, now)
        else:
            _apply_agent_leg(phone_call, incoming, now)
        answered_by = (params.get("AnsweredBy") or "").strip()
        if answered_by and phone_call.answered_by is None and phone_call.machine_detection:
            phone_call.answered_by = answered_by[:30]
        box["result"] = phone_call
    return box["result"]


_STAMPS = {rules.INITIATED: "initiated_at", rules.RINGING: "ringing_at", rules.IN_PROGRESS: "answered_at"}


def _whole_number(params: Mapping[str, str], name: str) -> int | None:
    """A count Twilio sent (seconds, an error code), or None when it is missing or not one the database can store."""
    try:
        number = bounded_int(params.get(name, ""))
    except ValueError:
        return None
    return number if number >= 0 else None


def _apply_lead_leg(phone_call: PhoneCall, incoming: str | None, params: Mapping[str, str], now: datetime) -> None:
    if incoming is None:
        return
    if rules.is_final(incoming):
        # The lead's own leg knows the true talk time, even if the call was already closed from the agent's side.
        # Its first final status is the carrier's report and wins; a later one (a replay, a second report) is
        # logged and changes nothing. Only this leg's report ever sets the duration.
        reported = _whole_number(params, "CallDuration")
        if phone_call.duration_seconds is not None:
            log.info("Later final status %s (CallDuration=%s) for phone call %s ignored: %s s already recorded",
                     incoming, reported, phone_call.id, phone_call.duration_seconds)
        elif reported is not None:
            phone_call.duration_seconds = reported
        elif phone_call.answered_at:
            phone_call.duration_seconds = _seconds_between(phone_call.answered_at, now)
    status = rules.next_status(phone_call.status, incoming)
    if status == phone_call.status:
        return  # a replay, or late: the call never moves back
    phone_call.status = status
    if status in _STAMPS and getattr(phone_call, _STAMPS[status]) is None:
        setattr(phone_call, _STAMPS[status], now)
    if rules.is_final(status):
        phone_call.ended_at = now
        code = _whole_number(params, "ErrorCode")
        if status == rules.FAILED and code is not None and phone_call.error_message is None:
            phone_call.error_code = code
            phone_call.error_message = rules.describe_twilio_error(code, params.get("ErrorMessage", ""),
                                                                   to=phone_call.to_number)


def _apply_agent_leg(phone_call: PhoneCall, incoming: str | None, now: datetime) -> None:
    if incoming is None:
        return
    phone_call.agent_leg_status = rules.next_status(phone_call.agent_leg_status or rules.QUEUED, incoming)
    if not rules.is_final(phone_call.agent_leg_status) or not phone_call.is_active:
        return
    if phone_call.lead_call_sid is None:
        phone_call.status = rules.status_after_agent_leg(phone_call.status, phone_call.agent_leg_status, False)
        if phone_call.mode == CallingMode.BRIDGE and phone_call.status != rules.CANCELED:
            phone_call.error_message = phone_call.error_message or (
                f"Your phone ({phone_call.agent_number}) {_AGENT_LEG_ENDINGS.get(phone_call.status, 'did not connect')}:"
                " the lead was not dialled.")
    else:
        # A <Dial>ed leg cannot outlive the leg that dialled it: if the lead's final callback is late
        # or lost, the phone call still ends. Its talk time stays the carrier's to report (the lead's leg).
        phone_call.status = rules.COMPLETED if phone_call.answered_at else rules.CANCELED
    phone_call.ended_at = now


_AGENT_LEG_ENDINGS = {rules.BUSY: "was busy", rules.NO_ANSWER: "did not answer", rules.FAILED: "could not be reached"}


def answer_voice_request(params: Mapping[str, str], phone_call_id: int | None) -> str:
    """TwiML for Twilio's request to the voice URL: check again that the lead may be called, then <Dial> it.

    Browser calls arrive here from the TwiML app with the phone call's id as a custom parameter; bridge
    calls arrive when the agent answers their own phone, with the id in the URL.
    """
    with _callback_transaction() as box:
        box["result"] = _answer_voice_request(params, phone_call_id)
    return box["result"]


def _answer_voice_request(params: Mapping[str, str], phone_call_id: int | None) -> str:
    phone_call = _load_for_update(PhoneCall.id == phone_call_id) if phone_call_id else None
    if phone_call is None:
        log.warning("Voice request for an unknown phone call %s (CallSid=%s)", phone_call_id, params.get("CallSid"))
        raise _Discard(twiml.refuse("This call is not known to the console. Goodbye."))
    agent = phone_call.placed_by
    if phone_call.mode == CallingMode.BROWSER and params.get("From") != f"client:{client_identity(agent)}":
        log.warning("Voice request for phone call %s from %s, placed by %s: refused",
                    phone_call.id, params.get("From"), client_identity(agent))
        raise _Discard(twiml.refuse("This call was placed by another agent. Goodbye."))
    call_sid = params.get("CallSid")
    if phone_call.twilio_sid is None:
        phone_call.twilio_sid = call_sid
    if phone_call.twilio_sid != call_sid or phone_call.lead_call_sid is not None or not phone_call.is_active:
        raise _Discard(twiml.refuse("This call was already placed. Goodbye."))
    phone_call.agent_leg_status = rules.next_status(phone_call.agent_leg_status or rules.QUEUED, rules.IN_PROGRESS)
    try:
        assert_dialable(phone_call.call, agent)
        if phone_call.call.status != CallStatus.OPEN:
            raise NotDialable("Cannot dial: this call already has a disposition.")
    except (NotDialable, NotYourCall) as refusal:
        phone_call.status, phone_call.ended_at, phone_call.error_message = rules.FAILED, utcnow(), str(refusal)
        audit.record("telephony.dial_refused", phone_call.call, actor=agent, lead_id=phone_call.call.lead_id,
                     phone_call_id=phone_call.id, reason=str(refusal), at="voice webhook")
        return twiml.refuse("The console did not place this call. " + str(refusal))
    return twiml.dial_lead(_dial_plan(phone_call))


def _dial_plan(phone_call: PhoneCall) -> twiml.DialPlan:
    plan = rules.recording_plan(phone_call.recording_mode, phone_call.consent_required)
    return twiml.DialPlan(
        to_number=phone_call.to_number,
        caller_id=phone_call.caller_id or "",
        status_callback=public_url("telephony.status_callback", phone_call=phone_call.id),
        recording_status_callback=public_url("telephony.recording_callback", phone_call=phone_call.id),
        timeout=twilio_settings().ring_timeout,
        record=plan.record_from_answer,
        notice_url=public_url("telephony.consent_notice", phone_call=phone_call.id) if plan.play_notice else None,
        machine_detection=phone_call.machine_detection,
    )


def consent_notice_played(phone_call_id: int | None) -> str:
    """The lead answered and hears the recording notice before being connected: that is the consent on record."""
    with _callback_transaction():
        phone_call = _load_for_update(PhoneCall.id == phone_call_id) if phone_call_id else None
        if phone_call is None:
            log.warning("Consent notice for an unknown phone call %s", phone_call_id)
        elif phone_call.consent_at is None:
            phone_call.consent_method, phone_call.consent_at = rules.ConsentMethod.NOTICE_PLAYED, utcnow()
            audit.record("telephony.consent_given", phone_call.call, lead_id=phone_call.call.lead_id,
                         phone_call_id=phone_call.id, method=rules.ConsentMethod.NOTICE_PLAYED,
                         state=phone_call.call.lead.state)
    return twiml.consent_notice()


_RECORDING_FINAL = {rules.RecordingStatus.COMPLETED, rules.RecordingStatus.ABSENT, rules.RecordingStatus.FAILED,
                    rules.RecordingStatus.DELETED}


def record_recording_progress(params: Mapping[str, str], phone_call_id: int | None = None) -> Recording | None:
    """Apply one recording-status callback: idempotent, linked by CallSid (or the signed id in the URL).

    A finished recording that needed consent nobody gave is deleted at once, and the deletion audited.
    """
    recording_sid = params.get("RecordingSid")
    if recording_sid is not None and len(recording_sid) > 64:  # no carrier sid is that long (the column's size)
        log.warning("Recording callback with a RecordingSid of %s characters: ignored", len(recording_sid))
        return None
    try:
        with _callback_transaction() as box:
            box["result"] = _apply_recording_progress(params, phone_call_id, recording_sid)
    except IntegrityError:
        # The same callback, delivered twice at once: the other delivery already stored it.
        return db.session.scalar(select(Recording).where(Recording.recording_sid == recording_sid))
    return box["result"]


def _apply_recording_progress(params: Mapping[str, str], phone_call_id: int | None,
                              recording_sid: str | None) -> Recording:
    phone_call, _leg = _find_leg(params.get("CallSid"), None, phone_call_id)
    if phone_call is None and phone_call_id is not None:
        phone_call = _load_for_update(PhoneCall.id == phone_call_id)
    if phone_call is None or not recording_sid:
        log.warning("Recording callback for an unknown call (CallSid=%s, RecordingSid=%s): ignored",
                    params.get("CallSid"), recording_sid)
        raise _Discard(None)
    recording = db.session.scalar(select(Recording).where(Recording.recording_sid == recording_sid)
                                  .execution_options(populate_existing=True))
    if recording is None:
        recording = Recording(phone_call=phone_call, recording_sid=recording_sid,
                              status=rules.RecordingStatus.IN_PROGRESS, started_at=utcnow())
        db.session.add(recording)
    status = (params.get("RecordingStatus") or "").lower()
    if recording.status in _RECORDING_FINAL or status not in _RECORDING_FINAL:
        db.session.flush()
        return recording
    recording.status, recording.completed_at = status, utcnow()
    if status == rules.RecordingStatus.COMPLETED:
        recording.media_url = params.get("RecordingUrl") or None
        if _whole_number(params, "RecordingDuration") is not None:
            recording.duration_seconds = _whole_number(params, "RecordingDuration")
        if not rules.recording_may_be_kept(phone_call.consent_required, phone_call.consent_given):
            _discard(recording, phone_call)
        else:
            audit.record("telephony.recording_completed", phone_call.call, lead_id=phone_call.call.lead_id,
                         phone_call_id=phone_call.id, recording_sid=recording_sid,
                         duration=recording.duration_seconds)
    db.session.flush()
    return recording


def _discard(recording: Recording, phone_call: PhoneCall) -> None:
    try:
        _dialer_of(phone_call).discard_recording(recording)
    except (TwilioException, requests.RequestException, OSError):
        log.exception("Could not delete recording %s made without consent", recording.recording_sid)
        audit.record("telephony.recording_delete_failed", phone_call.call, lead_id=phone_call.call.lead_id,
                     recording_sid=recording.recording_sid)
    recording.status, recording.media_url = rules.RecordingStatus.DELETED, None
    audit.record("telephony.recording_deleted_without_consent", phone_call.call, lead_id=phone_call.call.lead_id,
                 phone_call_id=phone_call.id, recording_sid=recording.recording_sid)


# --- What the call screen shows ------------------------------------------------------------------

@dataclass
class DialerState:
    """Everything the dialer panel shows for one console call, to one viewer."""

    call: Call
    mode: str | None  # None: Twilio is configured but this agent has no way to call yet
    setup_problem: str | None
    can_act: bool  # the viewer is the agent holding the call
    problems: list[str]  # why the lead may not be dialled now (empty: dialable)
    phone_call: PhoneCall | None  # the latest phone call of this console call
    recording_mode: str
    consent_required: bool
    recordings: list[Recording] = field(default_factory=list)

    @property
    def phase(self) -> str:
        return rules.phase(self.phone_call.status if self.phone_call else None)

    @property
    def can_dial(self) -> bool:
        return self.can_act and self.mode is not None and not self.problems and self.phase == "idle"

    @property
    def recording_plan(self) -> rules.RecordingPlan:
        needs_consent = self.phone_call.consent_required if self.phone_call else self.consent_required
        mode = self.phone_call.recording_mode if self.phone_call and self.phone_call.is_active else self.recording_mode
        return rules.recording_plan(mode, needs_consent)

    @property
    def mode_label(self) -> str:
        return CallingMode.LABELS.get(self.mode or "", "Not set up")


def dialer_state(call: Call, viewer, now: datetime | None = None) -> DialerState:
    phone_call = latest_phone_call(call)
    if phone_call is not None and phone_call.is_active and phone_call.mode == CallingMode.SIMULATED:
        advance_simulated_line(phone_call, now)
        phone_call = db.session.get(PhoneCall, phone_call.id, populate_existing=True)
    mode, setup_problem = None, None
    try:
        mode = dialer_for(call.agent).mode
    except TelephonyError as problem:
        setup_problem = str(problem)
    can_act = call.agent_id == viewer.id and call.status == CallStatus.OPEN
    problems = dialability_problems(call.lead, call.agent, now) if can_act else []
    settings = campaign_telephony(call.campaign_id)
    return DialerState(
        call=call, mode=mode, setup_problem=setup_problem, can_act=can_act, problems=problems,
        phone_call=phone_call, recording_mode=settings.recording_mode,
        consent_required=settings.recording_mode != rules.RecordingMode.NEVER
        and rules.consent_required(call.lead.state),
        recordings=recordings_for_lead(call.lead),
    )


def call_progress(call: Call, now: datetime | None = None) -> PhoneCall | None:
    """The latest phone call of a console call, with the simulated line moved on to `now`."""
    phone_call = latest_phone_call(call)
    if phone_call is not None and phone_call.is_active and phone_call.mode == CallingMode.SIMULATED:
        advance_simulated_line(phone_call, now)
        phone_call = db.session.get(PhoneCall, phone_call.id, populate_existing=True)
    return phone_call


# --- Recordings ----------------------------------------------------------------------------------

def recordings_for_lead(lead: Lead) -> list[Recording]:
    """Every kept recording of every call to this lead, newest first (for the call screen and hand-off packet)."""
    return list(db.session.scalars(
        select(Recording).join(PhoneCall, PhoneCall.id == Recording.phone_call_id)
        .join(Call, Call.id == PhoneCall.call_id)
        .where(Call.lead_id == lead.id, Recording.status != rules.RecordingStatus.DELETED)
        .options(selectinload(Recording.phone_call).selectinload(PhoneCall.placed_by))
        .order_by(Recording.started_at.desc(), Recording.id.desc())
    ))


def can_hear_recordings(user, lead: Lead) -> bool:
    """Who may listen: marketing and admins, an agent who called the lead, the sales member it was handed to."""
    if user.has_role(Role.MARKETING):
        return True
    if user.role == Role.TELEPROSPECTOR:
        return db.session.scalar(select(exists().where(Call.lead_id == lead.id, Call.agent_id == user.id)))
    if user.role == Role.SALES:
        return db.session.scalar(select(exists().where(Handoff.lead_id == lead.id,
                                                       Handoff.assigned_to_id == user.id)))
    return False


@dataclass
class RecordingAudio:
    chunks: Iterator[bytes]
    content_type: str
    length: int | None


def recording_audio(recording: Recording, listener) -> RecordingAudio:
    """The audio of a recording the listener may hear (the caller checked can_hear_recordings)."""
    if not recording.playable:
        raise TelephonyError("This recording is not available.")
    with writers.write_transaction(db.session):
        audit.record("telephony.recording_played", recording.phone_call.call, actor=listener,
                     lead_id=recording.phone_call.call.lead_id, recording_sid=recording.recording_sid)
    if recording.phone_call.mode == CallingMode.SIMULATED or not recording.media_url:
        audio = _silence(recording.duration_seconds or 1)
        return RecordingAudio(iter([audio]), "audio/wav", len(audio))
    return _twilio_media(recording.media_url)


def _twilio_media(media_url: str) -> RecordingAudio:
    """Stream the MP3 from Twilio with the account's credentials: the browser never sees Twilio's URL."""
    session = current_app.config.get("TWILIO_MEDIA_SESSION")
    if session is None:
        if current_app.testing:
            raise RuntimeError("Tests must inject TWILIO_MEDIA_SESSION: no test may reach Twilio.")
        session = requests.Session()
    settings = twilio_settings()
    url = media_url if media_url.endswith(".mp3") else media_url + ".mp3"
    try:
        response = session.get(url, auth=(settings.account_sid, settings.auth_token), stream=True, timeout=15)
    except requests.RequestException as error:
        raise TelephonyError("Could not reach Twilio for the recording. Try again in a moment.") from error
    if response.status_code != 200:
        response.close()
        raise TelephonyError(f"Twilio did not return the recording (HTTP {response.status_code}).")
    length = response.headers.get("Content-Length")
    return RecordingAudio(response.iter_content(64 * 1024), response.headers.get("Content-Type", "audio/mpeg"),
                          int(length) if length and length.isdigit() else None)


def _silence(seconds: int) -> bytes:
    """A simulated recording: silence as long as the call (capped), so the player has something to play."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(1)
        audio.setframerate(8000)
        audio.writeframes(b"\x80" * 8000 * max(1, min(seconds, 60)))
    return buffer.getvalue()
