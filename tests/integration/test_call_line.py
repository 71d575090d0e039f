"""A disposition ends the phone call it closes, through the line it is on (console.calls.line, filled by
telephony): on the simulated line and through Twilio (the real twilio package over a fake HTTP transport).
Talk time is what the carrier reports; a carrier that refuses to hang up leaves the call open and nothing saved.
The top bar's state follows the same line."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import time_machine
from sqlalchemy import select

from console.audit.models import AuditEvent
from console.calls import services as calls
from console.calls.errors import CallError
from console.calls.models import Call, CallStatus
from console.clock import utcnow
from console.extensions import db
from console.leads.models import Lead
from console.telephony import services as telephony
from console.telephony.models import AgentTelephony, PhoneCall
from console.telephony.testing import ACCOUNT_SID, CALLER_ID, call_resource, error_body

from tests.integration.test_telephony_twilio import AGENT_LEG, AGENT_PHONE, LEAD_LEG, agent, call  # noqa: F401 (fixtures)
AGENT_LEG_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{AGENT_LEG}.json"


def fresh(model, key):
    db.session.rollback()  # read what the services committed
    return db.session.get(model, key)


def actions() -> list[str]:
    db.session.rollback()
    return [event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


# --- The simulated line ---------------------------------------------------------------------------

def test_a_disposition_hangs_up_the_simulated_line_and_talk_time_ends_there(agent, call):
    start = utcnow()
    with time_machine.travel(start, tick=False):
        phone_call = telephony.place_call(call, agent, outcome="answer")
    with time_machine.travel(start + timedelta(seconds=4), tick=False):
        telephony.call_progress(call)  # the dialer's poll: the lead answers (at 3 s)
    assert fresh(PhoneCall, phone_call.id).status == "in-progress"

    with time_machine.travel(start + timedelta(seconds=11), tick=False):  # seven seconds after the answer
        calls.record_disposition(fresh(Call, call.id), agent, "not_interested")

    ended = fresh(PhoneCall, phone_call.id)
    assert (ended.status, ended.agent_leg_status) == ("completed", "completed")
    assert ended.duration_seconds == 7 and ended.elapsed_seconds == 7
    assert ended.hangup_requested_at is not None
    assert fresh(Call, call.id).status == CallStatus.COMPLETED
    assert actions()[-2:] == ["telephony.hang_up", "call.dispositioned"]  # the line first, then the call

    # Views of the closed call long after change nothing: the talk time was the carrier's at the disposition.
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        telephony.call_progress(fresh(Call, call.id))
        telephony.dialer_state(fresh(Call, call.id), agent)
    assert fresh(PhoneCall, phone_call.id).duration_seconds == 7


def test_a_refused_disposition_hangs_nothing_up(agent, call):
    phone_call = telephony.place_call(call, agent, outcome="answer")
    telephony.advance_simulated_line(phone_call, phone_call.placed_at + timedelta(seconds=4))
    with pytest.raises(CallError, match="Call back needs a date and time"):
        calls.record_disposition(fresh(Call, call.id), agent, "callback")
    assert fresh(PhoneCall, phone_call.id).status == "in-progress"  # the agent is still talking
    assert fresh(Call, call.id).status == CallStatus.OPEN


def test_a_call_never_dialled_is_dispositioned_without_the_line(agent, call):
    calls.record_disposition(call, agent, "no_answer")
    assert fresh(Call, call.id).status == CallStatus.COMPLETED
    assert "telephony.hang_up" not in actions()


def test_the_top_bar_follows_the_line_and_counts_from_the_dialers_moments(agent, call):
    status = calls.agent_status(agent)
    assert (status.state, status.since, status.label) == ("ready", None, "Lead open, not dialled")

    phone_call = telephony.place_call(call, agent, outcome="answer")
    status = calls.agent_status(agent)
    assert (status.state, status.since) == ("dialling", fresh(PhoneCall, phone_call.id).placed_at)

    telephony.advance_simulated_line(fresh(PhoneCall, phone_call.id), phone_call.placed_at + timedelta(seconds=4))
    status = calls.agent_status(agent)
    answered = fresh(PhoneCall, phone_call.id)
    assert (status.state, status.since, status.label) == ("on_call", answered.answered_at, "On a call")

    telephony.hang_up(fresh(Call, call.id), agent)
    status = calls.agent_status(agent)
    assert (status.state, status.since) == ("wrap_up", fresh(PhoneCall, phone_call.id).ended_at)

    calls.record_disposition(fresh(Call, call.id), agent, "busy")
    status = calls.agent_status(agent)
    assert (status.state, status.since, status.call_id) == ("wrap_up", fresh(Call, call.id).ended_at, None)


# --- Twilio -----------------------------------------------------------------------------------------

@pytest.fixture
def answered_bridge_call(fake_twilio, agent, call) -> PhoneCall:
    db.session.add(AgentTelephony(user_id=agent.id, calling_mode="bridge", phone=AGENT_PHONE))
    db.session.commit()
    fake_twilio.queue(201, call_resource(AGENT_LEG), method="POST", url_contains="/Calls.json")
    phone_call = telephony.place_call(call, agent)
    telephony.answer_voice_request({"CallSid": AGENT_LEG, "From": CALLER_ID}, phone_call.id)
    telephony.record_call_progress({"CallSid": LEAD_LEG, "ParentCallSid": AGENT_LEG, "CallStatus": "in-progress"},
                                   phone_call.id)
    return fresh(PhoneCall, phone_call.id)


def test_a_disposition_completes_the_twilio_call_and_talk_time_is_twilios(fake_twilio, agent, call,
                                                                          answered_bridge_call):
    fake_twilio.queue(200, call_resource(AGENT_LEG, "completed", duration="9"), method="POST",
                      url_contains=f"/Calls/{AGENT_LEG}.json")

    calls.record_disposition(fresh(Call, call.id), agent, "not_interested")

    request = fake_twilio.last
    assert (request.method, request.url, request.data) == ("POST", AGENT_LEG_URL, {"Status": "completed"})
    phone_call = fresh(PhoneCall, answered_bridge_call.id)
    assert phone_call.status == "completed" and fresh(Call, call.id).status == CallStatus.COMPLETED
    assert phone_call.duration_seconds is None  # not guessed from the wall clock: the lead's leg reports it

    telephony.record_call_progress({"CallSid": LEAD_LEG, "ParentCallSid": AGENT_LEG, "CallStatus": "completed",
                                    "CallDuration": "7"}, phone_call.id)
    assert fresh(PhoneCall, phone_call.id).duration_seconds == 7


@pytest.mark.parametrize("refusal, message", [
    (lambda fake: fake.queue(400, error_body(20003, "Authenticate"), url_contains=f"/Calls/{AGENT_LEG}.json"),
     "Twilio refused the console's credentials"),
    (lambda fake: fake.queue(500, error_body(20500, "Internal Server Error", 500),
                             url_contains=f"/Calls/{AGENT_LEG}.json"),
     "Twilio could not hang up: Unable to update record: Internal Server Error (Twilio error 20500)"),
    (lambda fake: fake.fail(requests.ConnectionError("network down"), url_contains=f"/Calls/{AGENT_LEG}.json"),
     "Could not reach Twilio to hang up"),
])
def test_when_twilio_refuses_to_hang_up_the_disposition_is_refused_and_nothing_is_saved(
        fake_twilio, agent, call, answered_bridge_call, refusal, message):
    refusal(fake_twilio)
    lead_before = fresh(Lead, call.lead_id)
    attempts, version = lead_before.attempts, lead_before.version

    with pytest.raises(telephony.TelephonyError) as refused:
        calls.record_disposition(fresh(Call, call.id), agent, "not_interested", notes="Said no twice")

    assert str(refused.value).startswith("Not saved: the call is still on the line.")
    assert message in str(refused.value) and "then save the disposition again" in str(refused.value)
    closed = fresh(Call, call.id)
    assert (closed.status, closed.disposition, closed.notes) == (CallStatus.OPEN, None, "")
    lead = fresh(Lead, call.lead_id)
    assert (lead.attempts, lead.version, lead.claimed_by_id) == (attempts, version, agent.id)
    assert "call.dispositioned" not in actions()
    assert "telephony.hang_up" in actions()  # what it tried is on record (the commit rule)
    assert fresh(PhoneCall, answered_bridge_call.id).status == "in-progress"

    # Once the line is down (the agent hung up their phone: Twilio's callbacks say so), the same save goes through.
    telephony.record_call_progress({"CallSid": LEAD_LEG, "ParentCallSid": AGENT_LEG, "CallStatus": "completed",
                                    "CallDuration": "31"}, answered_bridge_call.id)
    calls.record_disposition(fresh(Call, call.id), agent, "not_interested", notes="Said no twice")
    assert fresh(Call, call.id).status == CallStatus.COMPLETED
    assert fresh(PhoneCall, answered_bridge_call.id).duration_seconds == 31


def test_a_twilio_call_that_already_ended_does_not_stop_the_disposition(fake_twilio, agent, call,
                                                                        answered_bridge_call):
    fake_twilio.queue(400, error_body(21220, "Call is not in-progress."), url_contains=f"/Calls/{AGENT_LEG}.json")
    calls.record_disposition(fresh(Call, call.id), agent, "nurture")
    assert fresh(Call, call.id).status == CallStatus.COMPLETED
