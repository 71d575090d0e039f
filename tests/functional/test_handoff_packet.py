"""The hand-off packet: everything sales needs before calling, on one printable page and as the CRM's JSON document."""
import json
import re
from datetime import timedelta

import pytest

from console.calls import services as call_services
from console.calls.models import QualificationAnswer
from console.clock import utcnow
from console.extensions import db
from console.handoffs.packet import packet_document
from console.leads.models import Touch
from console.queue.services import claim_next_lead
from console.telephony.models import PhoneCall, Recording

STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}
FIELDS = [{"key": "fleet_size", "label": "Fleet size"}]


def _phone_call(call, agent, *, seconds: int, recorded: bool):
    phone_call = PhoneCall(call_id=call.id, placed_by_id=agent.id, mode="simulated", status="completed",
                           to_number=call.lead.phone, duration_seconds=seconds)
    db.session.add(phone_call)
    db.session.flush()
    if recorded:
        db.session.add(Recording(phone_call_id=phone_call.id, recording_sid=f"RE{call.id:032d}", status="completed",
                                 media_url="https://api.twilio.com/recordings/RE", duration_seconds=seconds))
    db.session.commit()


@pytest.fixture
def handoff(users, make_user, make_campaign, make_lead, change_lead):
    """A lead with every kind of history: two calls by two agents with notes, talk time and a recording, objections
    that worked and did not, marketing touches, answers with what the prospect said, a campaign field, a next step."""
    campaign = make_campaign("Fleet webinar", message="Offer the fleet ROI study.", custom_fields=FIELDS)
    first_agent, agent = make_user(full_name="Dana Scully"), users["teleprospector"]
    touched = utcnow() - timedelta(days=20)
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics",
              custom_fields={"fleet_size": "40"},
              touches=[Touch(kind="webinar", description="Attended the fleet ROI webinar", occurred_at=touched)])

    first = claim_next_lead(first_agent)
    _phone_call(first, first_agent, seconds=42, recorded=False)
    call_services.mark_objection(first, first_agent, "no-budget", "failed")
    call_services.record_disposition(first, first_agent, "busy", notes="Gatekeeper said try after lunch")
    change_lead(first.lead, next_call_at=utcnow() - timedelta(minutes=1), last_called_at=utcnow() - timedelta(hours=3))

    second = claim_next_lead(agent)
    assert second.lead_id == first.lead_id
    _phone_call(second, agent, seconds=95, recorded=True)
    call_services.mark_objection(second, agent, "send-email", "worked")
    for key, value in STRONG.items():
        call_services.save_answer(second, agent, key, value)
    db.session.query(QualificationAnswer).filter_by(criterion="budget").update(
        {"detail": "Approved 40k for next quarter"})
    db.session.commit()
    meeting = utcnow().replace(second=0, microsecond=0) + timedelta(days=2)
    return call_services.record_disposition(
        second, agent, "qualified", notes="Wants pricing for 40 trucks",
        next_step=call_services.AgreedStep("meeting", meeting, "Demo with the CFO"))


@pytest.fixture
def paris_sales(users):
    users["sales"].time_zone = "Europe/Paris"
    db.session.commit()
    return users["sales"]


def test_the_packet_page_shows_every_kind_of_history(client, auth, handoff, paris_sales):
    auth.login("sales@example.com")
    page = client.get(f"/handoffs/{handoff.id}").get_data(as_text=True)
    record = page.split('id="packet-record"')[1].split("</section>")[0]
    # Contact and account, the campaign, its message and its own field.
    assert "Jordan Rivera" in page and "Globex Logistics" in record and "Software" in record
    assert "<strong>Fleet webinar</strong>" in record and "Offer the fleet ROI study." in record
    assert "<dt>Fleet size</dt><dd>40</dd>" in record
    # Every answer, with what the prospect said; the score, its reasons and the model version.
    assert "Approved 40k for next quarter" in record and "Budget confirmed +25" in record
    assert f"lead definition version {handoff.score_model_version}" in record
    # Both calls, their agents, dispositions, notes and talk time; the guide version used.
    calls = record.split('id="packet-calls"')[1].split("</ol>")[0]
    assert calls.index("Qualified") < calls.index("Busy")  # newest first
    for text in ("Dana Scully", "Teleprospector", "Gatekeeper said try after lunch", "Wants pricing for 40 trucks",
                 "talk time 0:42", "talk time 1:35", "Northwind Revenue Cloud: B2B qualification v1"):
        assert text in calls, text
    # Objections: the prospect's words, the response used, whether it worked.
    assert "did not work</span> “We don&#39;t have budget for this.”" in calls
    assert "worked</span> “Just send me an email.”" in calls
    assert "Response used:" in calls and "funded it from what they <strong>stopped</strong>" in calls
    assert "whether the numbers\nwork for Globex Logistics" in calls  # as the agent read it: merge fields filled
    # The recording, played through the console; the touches with their dates; the next step; the routing note.
    recording = db.session.query(Recording).one()
    assert f'src="/recordings/{recording.id}"' in calls and "api.twilio.com" not in page
    touches = record.split('id="packet-touches"')[1].split("</ul>")[0]
    assert "Attended the fleet ROI webinar" in touches and (utcnow() - timedelta(days=20)).strftime("%b %d, %Y") in touches
    next_step = record.split('id="next-step"')[1].split("</div>")[0]
    assert "<strong>Meeting booked</strong>" in next_step and "Demo with the CFO" in next_step
    assert 'id="routing-note"' in record


def test_the_viewer_reads_call_times_in_their_zone_with_the_leads_beside_them(client, auth, handoff, paris_sales):
    auth.login("sales@example.com")
    page = client.get(f"/handoffs/{handoff.id}").get_data(as_text=True)
    calls = page.split('id="packet-calls"')[1].split("</ol>")[0]
    started = handoff.call.started_at
    paris, new_york = started + timedelta(hours=1), started - timedelta(hours=5)  # November: CET and EST
    assert "times in Europe/Paris" in page
    assert f"{paris:%H:%M} CET</time>" in calls
    assert f"· {new_york:%H:%M} EST for Jordan" in calls


def test_a_viewer_without_a_zone_reads_utc(client, auth, handoff):
    auth.login("sales@example.com")
    page = client.get(f"/handoffs/{handoff.id}").get_data(as_text=True)
    assert f"{handoff.call.started_at:%H:%M} UTC</time>" in page and "times in UTC" in page


def test_the_packet_prints_without_the_top_bar_forms_or_buttons_and_has_no_inline_script_or_style(
        client, auth, handoff):
    auth.login("sales@example.com")
    page = client.get(f"/handoffs/{handoff.id}").get_data(as_text=True)
    assert re.search(r'<button type="button" class="no-print" data-print>Print</button>', page)
    assert 'href="/static/packet.css"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # every script is a file
    assert not re.search(r"\sstyle=|<style|\son[a-z]+=", page)
    css = client.get("/static/packet.css").get_data(as_text=True)
    printed = css.split("@media print")[1]
    assert ".topbar" in printed and ".no-print" in printed and "form" in printed and "button" in printed
    assert "[data-print]" in client.get("/static/console.js").get_data(as_text=True)


def test_a_viewer_who_may_not_hear_recordings_sees_they_exist_but_gets_no_player(client, auth, handoff, users):
    auth.login("admin@example.com")  # admins see every hand-off, and may hear what marketing may
    assert "<audio" in client.get(f"/handoffs/{handoff.id}").get_data(as_text=True)


def test_the_packet_document_carries_the_same_record(app, handoff, paris_sales):
    with app.test_request_context():
        document = json.loads(json.dumps(packet_document(handoff)))  # what the CRM receives
    # The keys of the first webhook, kept.
    for key in ("handoff_id", "status", "created_at", "campaign_id", "assigned_to", "score", "band",
                "scoring_model_version", "answers", "reasons", "lead"):
        assert key in document, key
    assert document["lead"]["company"] == "Globex Logistics" and document["account"]["industry"] == "Software"
    assert document["created_at"].endswith("Z")
    assert document["answers"]["budget"]["detail"] == "Approved 40k for next quarter"
    assert "Budget confirmed +25" in document["reasons"]
    assert document["campaign"]["fields"] == {"Fleet size": "40"}
    assert document["campaign"]["message"] == "Offer the fleet ROI study."
    qualified, busy = document["calls"]
    assert (qualified["agent"], qualified["disposition_label"], qualified["talk_seconds"]) == (
        "Teleprospector Person", "Qualified", 95)
    assert (busy["agent"], busy["notes"], busy["talk_seconds"]) == ("Dana Scully", "Gatekeeper said try after lunch", 42)
    assert qualified["started_at"] == handoff.call.started_at.isoformat(timespec="seconds") + "Z"
    assert qualified["guide_version"] == "Northwind Revenue Cloud: B2B qualification v1"
    assert [(o["id"], o["worked"]) for o in qualified["objections"]] == [("send-email", True)]
    assert busy["objections"][0]["objection"] == "We don't have budget for this."
    assert "funded it from what they **stopped**" in busy["objections"][0]["response"]
    assert "work for Globex Logistics" in busy["objections"][0]["response"]
    recording = db.session.query(Recording).one()
    assert [r["url"] for r in qualified["recordings"]] == [f"http://localhost/recordings/{recording.id}"]
    assert busy["recordings"] == []
    assert document["touches"][0]["description"] == "Attended the fleet ROI webinar"
    assert document["touches"][0]["occurred_at"].endswith("Z")
    assert document["next_step"] == {"kind": "meeting", "label": "Meeting booked",
                                     "at": handoff.next_step_at.isoformat(timespec="seconds") + "Z",
                                     "note": "Demo with the CFO"}
    assert document["routing_note"] == handoff.routing_note


def test_the_packet_is_read_in_a_few_statements_however_many_calls(app, handoff):
    from sqlalchemy import event

    statements = []
    with app.test_request_context():
        db.session.expire_all()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            packet_document(db.session.get(type(handoff), handoff.id))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) <= 14, statements


def test_the_packet_lists_the_calls_recordings_playable_through_the_console(client, auth, handoff):
    auth.login("sales@example.com")
    page = client.get(f"/handoffs/{handoff.id}").get_data(as_text=True)
    assert "Wants pricing" in page and "Budget confirmed +25" in page
    recording = db.session.query(Recording).one()
    assert f'src="/recordings/{recording.id}"' in page
    assert "api.twilio.com" not in page  # the carrier's media URL never reaches the browser
