"""Hand-offs out and outcomes in through the API: the packet (one schema with the CRM webhook), visibility,
cursor pages, and outcomes through the console's own services with their refusals as 409 and 422."""
from datetime import timedelta

from sqlalchemy import select

from console.api import services
from console.audit.models import AuditEvent
from console.auth.models import Role
from console.clock import utcnow
from console.extensions import db
from console.handoffs.models import Handoff
from console.handoffs.packet import packet_document
from console.handoffs.packet_schema import PacketDocument
from tests.functional.api_support import bearer  # noqa: F401  (a fixture)
from tests.functional.test_access import world  # noqa: F401  (a fixture: a hand-off for sales@example.com)

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN


def test_the_member_reads_their_hand_offs_with_the_packet_the_crm_webhook_sends(app, client, world, bearer):
    response = client.get("/api/v1/handoffs", headers=bearer(S))
    assert response.status_code == 200
    page = response.get_json()
    assert [document["handoff_id"] for document in page["handoffs"]] == [world["handoff_id"]]
    assert page["next_cursor"] is None
    with app.test_request_context(base_url="http://localhost"):  # the packet's addresses as the API saw them
        assert page["handoffs"][0] == packet_document(db.session.get(Handoff, world["handoff_id"]))
    PacketDocument.model_validate(page["handoffs"][0])


def test_another_sales_member_sees_none_of_them(client, world, bearer, make_user):
    make_user(S, email="colleague@example.com")
    _token, secret = services.create_token("colleague@example.com", "Theirs", None, None)
    response = client.get("/api/v1/handoffs", headers={"Authorization": f"Bearer {secret}"})
    assert response.get_json()["handoffs"] == []
    outcome = client.post(f"/api/v1/handoffs/{world['handoff_id']}/outcome", json={"outcome": "accepted"},
                          headers={"Authorization": f"Bearer {secret}"})
    assert outcome.status_code == 404


def test_pages_follow_the_cursor_and_filters_narrow_them(client, world, bearer, users):
    headers = bearer(A)
    first = client.get("/api/v1/handoffs?limit=1", headers=headers).get_json()
    assert len(first["handoffs"]) == 1
    if first["next_cursor"]:
        rest = client.get(f"/api/v1/handoffs?limit=1&cursor={first['next_cursor']}", headers=headers).get_json()
        assert all(item["handoff_id"] > first["handoffs"][0]["handoff_id"] for item in rest["handoffs"])
    assert client.get("/api/v1/handoffs?status=accepted", headers=headers).get_json()["handoffs"] == []
    assert len(client.get("/api/v1/handoffs?status=pending", headers=headers).get_json()["handoffs"]) == 1
    later = (utcnow() + timedelta(days=1)).isoformat()
    assert client.get(f"/api/v1/handoffs?since={later}", headers=headers).get_json()["handoffs"] == []
    bad = client.get("/api/v1/handoffs?cursor=not-ours", headers=headers)
    assert bad.status_code == 422 and "cursor" in bad.get_json()["error"]["fields"]
    assert client.get("/api/v1/handoffs?status=lost&limit=0", headers=headers).status_code == 422
    unknown = client.get("/api/v1/handoffs?colour=red", headers=headers)
    assert unknown.status_code == 422 and "colour" in unknown.get_json()["error"]["fields"]


def test_the_crm_accepts_and_a_second_acceptance_is_a_conflict(client, world, bearer):
    headers = bearer(S, "Salesforce")
    url = f"/api/v1/handoffs/{world['handoff_id']}/outcome"
    response = client.post(url, json={"outcome": "accepted"}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["handoff"]["status"] == "accepted"
    again = client.post(url, json={"outcome": "accepted"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "handoff.accepted"))
    api_event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api.handoff_outcome"))
    assert api_event.detail["token"] == "Salesforce" and api_event.detail["outcome"] == "accepted"


def test_progress_out_of_order_is_a_conflict_and_missing_values_are_422(client, world, bearer):
    headers = bearer(S)
    url = f"/api/v1/handoffs/{world['handoff_id']}/outcome"
    early = client.post(url, json={"outcome": "first_contact", "contact_kind": "call"}, headers=headers)
    assert early.status_code == 409  # not accepted yet
    client.post(url, json={"outcome": "accepted"}, headers=headers)
    missing = client.post(url, json={"outcome": "won"}, headers=headers)
    assert missing.status_code == 422
    assert set(missing.get_json()["error"]["fields"]) == {"amount_cents", "won_on"}
    won_first = client.post(url, json={"outcome": "won", "amount_cents": 500000,
                                       "won_on": utcnow().date().isoformat()}, headers=headers)
    assert won_first.status_code == 409  # a deal starts with a first contact
    contact = client.post(url, json={"outcome": "first_contact", "contact_kind": "call"}, headers=headers)
    assert contact.status_code == 200
    won = client.post(url, json={"outcome": "won", "amount_cents": 500000, "won_on": utcnow().date().isoformat()},
                      headers=headers)
    assert won.status_code == 200
    far_recall = client.post(url, json={"outcome": "rating", "rating": 9}, headers=headers)
    assert far_recall.status_code == 422
    rated = client.post(url, json={"outcome": "rating", "rating": 5, "comment": "Great lead"}, headers=headers)
    assert rated.status_code == 200


def test_a_rejection_needs_its_kind_and_comment_and_a_past_recall_date_is_refused(client, world, bearer):
    headers = bearer(S)
    url = f"/api/v1/handoffs/{world['handoff_id']}/outcome"
    missing = client.post(url, json={"outcome": "rejected"}, headers=headers)
    assert missing.status_code == 422
    assert {"rejection_kind", "comment"} <= set(missing.get_json()["error"]["fields"])
    past = client.post(url, json={"outcome": "rejected", "rejection_kind": "definitional", "comment": "Too small",
                                  "recall_on": "2001-01-01"}, headers=headers)
    assert past.status_code == 422 and past.get_json()["error"]["code"] == "invalid"
    rejected = client.post(url, json={"outcome": "rejected", "rejection_kind": "definitional", "comment": "Too small",
                                      "disqualify": True}, headers=headers)
    assert rejected.status_code == 200 and rejected.get_json()["handoff"]["status"] == "rejected"


def test_an_unknown_hand_off_is_404_and_a_marketing_token_403(client, world, bearer):
    assert client.post("/api/v1/handoffs/999999/outcome", json={"outcome": "accepted"},
                       headers=bearer(S)).status_code == 404
    assert client.get("/api/v1/handoffs", headers=bearer(M)).status_code == 403
