"""The hand-off packet: what sales receives with a qualified lead, recordings included."""
import pytest

from console.calls import services as call_services
from console.extensions import db
from console.queue.services import claim_next_lead
from console.telephony.models import PhoneCall, Recording

STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


@pytest.fixture
def handoff(users, campaign, make_lead):
    agent = users["teleprospector"]
    make_lead(campaign, first_name="Jordan", last_name="Rivera")
    call = claim_next_lead(agent)
    phone_call = PhoneCall(call_id=call.id, placed_by_id=agent.id, mode="simulated", status="completed",
                           to_number=call.lead.phone, twilio_sid="CA" + "1" * 32)
    db.session.add(phone_call)
    db.session.flush()
    db.session.add(Recording(phone_call_id=phone_call.id, recording_sid="RE" + "2" * 32, status="completed",
                             media_url="https://api.twilio.com/recordings/RE", duration_seconds=95))
    db.session.commit()
    for key, value in STRONG.items():
        call_services.save_answer(call, agent, key, value)
    return call_services.record_disposition(call, agent, "qualified", notes="Wants pricing")


def test_the_packet_lists_the_calls_recordings_playable_through_the_console(client, auth, handoff):
    auth.login("sales@example.com")
    page = client.get(f"/handoffs/{handoff.id}").get_data(as_text=True)
    assert "Wants pricing" in page and "Budget confirmed +25" in page
    recording = db.session.query(Recording).one()
    assert f'src="/recordings/{recording.id}"' in page
    assert "api.twilio.com" not in page  # the carrier's media URL never reaches the browser
