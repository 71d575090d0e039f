"""The CRM's webhook for a new hand-off carries the whole packet, delivered by the worker to a real receiver."""
import json

from console.calls import services as calls
from console.extensions import db
from console.outbox import services as outbox
from console.outbox.worker import Worker
from console.queue import services as queue

STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


def test_the_crm_receives_the_packet_with_the_first_webhooks_keys(app, users, campaign, make_lead, receiver):
    outbox.save_endpoint(None, None, name="Test CRM", url=receiver.url, allow_private_network=True)
    make_lead(campaign, first_name="Jordan", last_name="Rivera")
    agent = users["teleprospector"]
    call = queue.claim_next_lead(agent)
    for criterion, value in STRONG.items():
        calls.save_answer(call, agent, criterion, value)
    handoff = calls.record_disposition(call, agent, "qualified", notes="Wants pricing",
                                       next_step=calls.AgreedStep("send_info", None, "The ROI study"))
    Worker(app, name="test-worker").run(once=True)
    db.session.rollback()

    [request] = receiver.requests
    body = json.loads(request["body"])
    assert body["type"] == "handoff.created"
    data = body["data"]
    assert (data["handoff_id"], data["band"], data["lead"]["last_name"]) == (handoff.id, "hot", "Rivera")
    assert data["next_step"] == {"kind": "send_info", "label": "Send information", "at": None, "note": "The ROI study"}
    [qualified] = data["calls"]
    assert (qualified["id"], qualified["disposition"], qualified["notes"]) == (call.id, "qualified", "Wants pricing")
    assert data["routing_note"] and data["packet_url"].endswith(f"/handoffs/{handoff.id}")
