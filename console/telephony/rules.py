"""Telephony rules with no Flask or database in them: call-status precedence, the recording consent rule,
Twilio error wording and the simulated line's timeline."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

# Twilio's CallStatus values. A call only moves forward through these ranks; the last five are final.
QUEUED, INITIATED, RINGING, IN_PROGRESS = "queued", "initiated", "ringing", "in-progress"
COMPLETED, BUSY, NO_ANSWER, FAILED, CANCELED = "completed", "busy", "no-answer", "failed", "canceled"
FINAL_STATUSES = frozenset((COMPLETED, BUSY, NO_ANSWER, FAILED, CANCELED))
_RANK = {QUEUED: 0, INITIATED: 1, RINGING: 2, IN_PROGRESS: 3, **{status: 4 for status in FINAL_STATUSES}}
# What the status-callback event names mean as statuses (events name "answered", Twilio sends in-progress).
_EVENT_ALIASES = {"answered": IN_PROGRESS, "cancelled": CANCELED}

STATUS_LABELS = {
    QUEUED: "Connecting…",
    INITIATED: "Dialling…",
    RINGING: "Ringing",
    IN_PROGRESS: "Connected",
    COMPLETED: "Completed",
    BUSY: "Busy",
    NO_ANSWER: "No answer",
    FAILED: "Failed",
    CANCELED: "Canceled",
}
ANSWERED_BY_LABELS = {
    "human": "a person",
    "machine_start": "an answering machine",
    "machine_end_beep": "an answering machine (after the beep)",
    "machine_end_silence": "an answering machine (after the greeting)",
    "machine_end_other": "an answering machine",
    "fax": "a fax machine",
    "unknown": "could not tell",
}


def normalise_status(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    value = _EVENT_ALIASES.get(value, value)
    return value if value in _RANK else None


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


def next_status(current: str, incoming: str | None) -> str:
    """The status after a callback: callbacks arrive late, twice or out of order, so a call never moves back.

    A late `ringing` never overwrites `in-progress` or `completed`, and the first final status wins
    (Twilio sends exactly one; a second one can only be a replay).
    """
    incoming = normalise_status(incoming)
    if incoming is None or is_final(current):
        return current
    return incoming if _RANK[incoming] > _RANK.get(current, 0) else current


def status_after_agent_leg(current: str, agent_leg_status: str | None, lead_leg_started: bool) -> str:
    """The lead's leg only starts once the agent's leg (browser or phone) connects. If the agent's leg
    ends before that, so does the phone call: the agent's phone was busy, did not answer, or hung up."""
    agent_leg_status = normalise_status(agent_leg_status)
    if lead_leg_started or agent_leg_status is None or not is_final(agent_leg_status) or is_final(current):
        return current
    return CANCELED if agent_leg_status == COMPLETED else agent_leg_status


def phase(status: str | None) -> str:
    """What the dialer shows: idle (Dial button), dialling (Hang up) or connected (Hang up, record, keypad)."""
    if status is None or is_final(status):
        return "idle"
    return "connected" if status == IN_PROGRESS else "dialling"


def format_duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes, seconds = divmod(max(int(seconds), 0), 60)
    return f"{minutes}:{seconds:02d}"


# --- Recording and consent ---------------------------------------------------------------------

class RecordingMode:
    NEVER = "never"
    ON_DEMAND = "on_demand"
    ALWAYS = "always"
    LABELS = {NEVER: "Never", ON_DEMAND: "On demand (the agent starts it)", ALWAYS: "Always"}
    ALL = (NEVER, ON_DEMAND, ALWAYS)


class RecordingStatus:
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    ABSENT = "absent"  # Twilio made no recording (silence, or the call ended first)
    FAILED = "failed"
    DELETED = "deleted"  # removed because consent was required and not obtained


class ConsentMethod:
    NOTICE_PLAYED = "notice_played"  # Twilio played the notice to the lead before the bridge
    AGENT_READ = "agent_read"  # the agent read the notice and confirmed the prospect agreed
    LABELS = {NOTICE_PLAYED: "recorded notice played", AGENT_READ: "notice read by the agent"}


CONSENT_NOTICE = "This call may be recorded for quality and training purposes."
CONSENT_NOTICE_FOR_AGENT = (
    "Before recording, tell the prospect: “I'd like to record this call for quality and training. "
    "Is that all right with you?” Record only if they agree."
)
CONSENT_DATA = Path(__file__).parent / "data" / "all_party_consent_states.yaml"


@cache
def notice_regions(path: Path = CONSENT_DATA) -> dict[str, str]:
    """Region code → name, for every state or province where a recording notice is required."""
    data = yaml.safe_load(path.read_text())
    return {**data.get("us_states", {}), **data.get("canadian_provinces", {})}


def consent_required(lead_state: str | None, regions: dict[str, str] | None = None) -> bool:
    """Must everyone on the call agree before it is recorded? Unknown state: yes (tell them when in doubt)."""
    regions = notice_regions() if regions is None else regions
    code = (lead_state or "").strip().upper()
    return not code or code in regions


@dataclass(frozen=True)
class RecordingPlan:
    record_from_answer: bool  # <Dial record=...>: the whole conversation
    play_notice: bool  # Twilio plays CONSENT_NOTICE to the lead when they answer, before the bridge
    agent_may_start: bool  # the dialer offers "Start recording"
    agent_must_confirm_consent: bool  # ... and asks the agent to confirm they read the notice first


def recording_plan(mode: str, needs_consent: bool) -> RecordingPlan:
    if mode == RecordingMode.ALWAYS:
        return RecordingPlan(True, needs_consent, False, False)
    if mode == RecordingMode.ON_DEMAND:
        return RecordingPlan(False, False, True, needs_consent)
    return RecordingPlan(False, False, False, False)


def recording_may_be_kept(needs_consent: bool, consent_given: bool) -> bool:
    return consent_given or not needs_consent


# --- Twilio errors, in words an agent can act on -----------------------------------------------

_TWILIO_ERRORS = {
    20003: "Twilio refused the console's credentials. Ask an admin to run `flask twilio check`.",
    20404: "Twilio no longer knows this call; it has probably ended already.",
    21205: "Twilio cannot reach the console's webhook URL. Ask an admin to check PUBLIC_BASE_URL.",
    21210: "The caller ID {caller_id} is not verified with Twilio. Ask an admin to verify it.",
    21211: "The number {to} is not a valid phone number. Check it with the lead, then record Bad number.",
    21212: "The caller ID {caller_id} is not a valid phone number. Ask an admin to fix the campaign's caller ID.",
    21214: "The number {to} cannot be reached. Record Bad number if it keeps failing.",
    21215: "Twilio's geographic permissions do not allow calling {to}. Ask an admin to enable that country.",
    21216: "The number {to} is blocked by Twilio (premium or high-risk). Do not try it again.",
    21217: "The number {to} does not look like a phone number. Check it with the lead.",
    21220: "The call already ended.",
    13223: "The number {to} is not a valid phone number. Check it with the lead, then record Bad number.",
    13224: "The number {to} is not a valid phone number. Check it with the lead, then record Bad number.",
    13227: "Twilio's geographic permissions do not allow calling {to}. Ask an admin to enable that country.",
}


def describe_twilio_error(code: int | None, message: str, *, to: str = "", caller_id: str = "",
                          action: str = "place the call") -> str:
    """A sentence for the agent: what went wrong and what to do, with Twilio's own words and code kept."""
    known = _TWILIO_ERRORS.get(code or 0)
    reference = f" (Twilio error {code})" if code else ""
    if known:
        return known.format(to=to or "dialled", caller_id=caller_id or "in use") + reference
    detail = (message or "no reason given").strip().rstrip(".")
    return f"Twilio could not {action}: {detail}{reference}."


# --- The simulated line's timeline -------------------------------------------------------------

class SimulatedOutcome:
    """How the pretend callee responds; chosen on the dialer so demos and tests can reach every path."""

    ANSWER = "answer"
    MACHINE = "machine"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    LABELS = {ANSWER: "Answers", MACHINE: "Voicemail picks up", BUSY: "Busy", NO_ANSWER: "No answer",
              FAILED: "Carrier failure"}
    ALL = (ANSWER, MACHINE, BUSY, NO_ANSWER, FAILED)


SIMULATED_RING_AFTER = 1  # seconds after dialling
SIMULATED_ANSWER_AFTER = 3
SIMULATED_GIVE_UP_AFTER = 6  # no answer
SIMULATED_MAX_SECONDS = 3600  # a forgotten simulated call ends by itself


@dataclass(frozen=True)
class SimulatedEvent:
    status: str
    at_second: int
    answered_by: str | None = None


def simulated_timeline(outcome: str, machine_detection: bool) -> list[SimulatedEvent]:
    """The status callbacks the pretend carrier sends for an outcome, at seconds after dialling.

    An answered call has no end here: it lasts until someone hangs up (see hang-up in services).
    """
    events = [SimulatedEvent(INITIATED, 0)]
    if outcome == SimulatedOutcome.FAILED:
        return events + [SimulatedEvent(FAILED, SIMULATED_RING_AFTER)]
    events.append(SimulatedEvent(RINGING, SIMULATED_RING_AFTER))
    if outcome == SimulatedOutcome.BUSY:
        return events + [SimulatedEvent(BUSY, SIMULATED_ANSWER_AFTER)]
    if outcome == SimulatedOutcome.NO_ANSWER:
        return events + [SimulatedEvent(NO_ANSWER, SIMULATED_GIVE_UP_AFTER)]
    answered_by = None
    if machine_detection:
        answered_by = "machine_start" if outcome == SimulatedOutcome.MACHINE else "human"
    return events + [SimulatedEvent(IN_PROGRESS, SIMULATED_ANSWER_AFTER, answered_by)]


def due_simulated_events(outcome: str, machine_detection: bool, seconds_elapsed: float) -> list[SimulatedEvent]:
    return [event for event in simulated_timeline(outcome, machine_detection) if event.at_second <= seconds_elapsed]


DTMF_DIGITS = frozenset("0123456789*#")
