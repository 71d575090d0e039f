"""Leads in through the API: created or updated by external id through the import's own reading and settling,
idempotent (repeats, Idempotency-Key, two identical requests at once), batches with a result per lead, touches,
and every refusal in the one error shape."""
import threading
from datetime import datetime

from sqlalchemy import func, select

from console.api.models import IdempotencyKey
from console.audit.models import AuditEvent
from console.auth.models import Role
from console.compliance.models import DoNotCallEntry
from console.extensions import db
from console.leads.models import Lead, Touch
from tests.functional.api_support import bearer, lead_body  # noqa: F401  (bearer: a fixture)

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN


def _leads() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Lead.id)))


def test_a_pushed_lead_is_created_read_like_an_import_row_and_audited_with_the_token(client, users, campaign,
                                                                                     bearer):
    response = client.post("/api/v1/leads", json=lead_body(campaign.id), headers=bearer(M, "HubSpot"))
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["outcome"] == "created" and answer["suppressed"] is False
    lead = answer["lead"]
    assert lead["phone"] == "+12125550142" and lead["state"] == "NY" and lead["time_zones"] == ["America/New_York"]
    assert lead["company"] == "Analytical Engines" and lead["external_id"] == "crm-1" and lead["stage"] == "lead"
    assert {"score", "band", "scoring_model_version", "answers"} <= set(lead)
    db.session.rollback()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api.lead_pushed"))
    assert event.detail["token"] == "HubSpot" and event.actor_email == "marketing@example.com"


def test_repeating_a_push_changes_nothing_and_a_change_updates_the_same_lead(client, users, campaign, bearer):
    headers = bearer(M)
    first = client.post("/api/v1/leads", json=lead_body(campaign.id), headers=headers)
    again = client.post("/api/v1/leads", json=lead_body(campaign.id), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["outcome"] == "unchanged"
    changed = client.post("/api/v1/leads", json=lead_body(campaign.id, title="CEO"), headers=headers)
    assert changed.status_code == 200 and changed.get_json()["outcome"] == "updated"
    assert changed.get_json()["lead"]["id"] == first.get_json()["lead"]["id"]
    assert changed.get_json()["lead"]["title"] == "CEO"
    assert _leads() == 1


def test_a_number_on_the_do_not_call_list_enters_suppressed(client, users, campaign, bearer):
    db.session.add(DoNotCallEntry(phone="+12125550142", reason="asked"))
    db.session.commit()
    response = client.post("/api/v1/leads", json=lead_body(campaign.id), headers=bearer(M))
    assert response.status_code == 201
    assert response.get_json()["suppressed"] is True and response.get_json()["lead"]["do_not_call"] is True


def test_a_row_the_import_would_reject_is_422_with_its_field(client, users, campaign, bearer):
    response = client.post("/api/v1/leads", json=lead_body(campaign.id, phone="12"), headers=bearer(M))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and "phone" in error["fields"]
    assert _leads() == 0


def test_a_body_that_breaks_the_schema_is_422_field_by_field(client, users, campaign, bearer):
    response = client.post("/api/v1/leads", json={"campaign_id": "x", "phone": 5, "colour": "red"},
                           headers=bearer(M))
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert {"campaign_id", "external_id", "phone", "colour"} <= set(fields)


def test_an_unknown_campaign_is_422_and_an_ended_one_409(client, users, make_campaign, bearer):
    headers = bearer(M)
    response = client.post("/api/v1/leads", json=lead_body(2_000_000), headers=headers)
    assert response.status_code == 422 and "campaign_id" in response.get_json()["error"]["fields"]
    ended = make_campaign("Over", ended_at=datetime(2020, 1, 1))
    response = client.post("/api/v1/leads", json=lead_body(ended.id), headers=headers)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "conflict"


def test_unparseable_json_is_400_a_wrong_content_type_415_and_a_huge_body_413(client, users, campaign, bearer):
    headers = bearer(M)
    bad = client.post("/api/v1/leads", data=b'{"campaign_id": 1,', headers=headers, content_type="application/json")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_json"
    form = client.post("/api/v1/leads", data={"campaign_id": "1"}, headers=headers)
    assert form.status_code == 415 and form.get_json()["error"]["code"] == "unsupported_media_type"
    huge = client.post("/api/v1/leads", data=b'{"x": "' + b"a" * (3 * 1024 * 1024) + b'"}', headers=headers,
                       content_type="application/json")
    assert huge.status_code == 413 and huge.get_json()["error"]["code"] == "too_large"


def test_text_the_database_cannot_store_is_cleaned_not_a_server_error(client, users, campaign, bearer):
    response = client.post("/api/v1/leads", data=b'{"campaign_id": %d, "external_id": "a\\u0000b\\ud800", '
                           b'"phone": "2125550142", "last_name": "N\\u0000ul", "company": "C"}' % campaign.id,
                           headers=bearer(M), content_type="application/json")
    assert response.status_code == 201
    assert response.get_json()["lead"]["external_id"] == "ab" and response.get_json()["lead"]["last_name"] == "Nul"


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(client, users, campaign, bearer):
    headers = {**bearer(M), "Idempotency-Key": "push-42"}
    first = client.post("/api/v1/leads", json=lead_body(campaign.id), headers=headers)
    replayed = client.post("/api/v1/leads", json=lead_body(campaign.id), headers=headers)
    assert (first.status_code, replayed.status_code) == (201, 201)
    assert replayed.get_json() == first.get_json() and replayed.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/leads", json=lead_body(campaign.id, title="CEO"), headers=headers)
    assert other.status_code == 409 and "Idempotency-Key" in other.get_json()["error"]["fields"]
    db.session.rollback()
    assert db.session.scalar(select(func.count(IdempotencyKey.id))) == 1
    bad_key = client.post("/api/v1/leads", json=lead_body(campaign.id), headers={**headers, "Idempotency-Key": "a b"})
    assert bad_key.status_code == 422


def test_two_identical_pushes_at_once_make_one_lead(app, users, campaign, bearer):
    headers = bearer(M)
    body = lead_body(campaign.id, external_id="race-1")
    barrier = threading.Barrier(2)
    statuses = []

    def push():
        with app.test_client() as own_client:
            barrier.wait()
            statuses.append(own_client.post("/api/v1/leads", json=body, headers=headers).status_code)

    threads = [threading.Thread(target=push) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 201]
    assert _leads() == 1


def test_a_batch_answers_for_each_lead(client, users, campaign, bearer):
    headers = bearer(M)
    client.post("/api/v1/leads", json=lead_body(campaign.id, external_id="old"), headers=headers)
    batch = [lead_body(campaign.id, external_id="new-1", phone="2125550143", email="n1@example.com"),
             lead_body(campaign.id, external_id="old", title="Chief"),
             lead_body(campaign.id, external_id="bad", phone="1"),
             lead_body(campaign.id, external_id="new-1", phone="2125550143", email="n1@example.com")]
    response = client.post("/api/v1/leads:batch", json={"leads": batch}, headers=headers)
    assert response.status_code == 200
    answer = response.get_json()
    assert [item["status"] for item in answer["results"]] == [201, 200, 422, 409]
    assert [item["outcome"] for item in answer["results"]] == ["created", "updated", "rejected", "duplicate"]
    assert (answer["created"], answer["updated"], answer["unchanged"], answer["refused"]) == (1, 1, 0, 2)
    assert "phone" in answer["results"][2]["error"]["fields"]
    assert _leads() == 2
    too_many = client.post("/api/v1/leads:batch", json={"leads": [lead_body(campaign.id)] * 1001}, headers=headers)
    assert too_many.status_code == 422 and "leads" in too_many.get_json()["error"]["fields"]


def test_a_lead_is_read_by_id_and_by_external_id(client, users, campaign, bearer):
    pushed = client.post("/api/v1/leads", json=lead_body(campaign.id), headers=bearer(M)).get_json()["lead"]
    sales = bearer(S)
    assert client.get(f"/api/v1/leads/{pushed['id']}", headers=sales).get_json() == pushed
    found = client.get(f"/api/v1/leads?campaign_id={campaign.id}&external_id=crm-1", headers=sales)
    assert found.status_code == 200 and found.get_json()["id"] == pushed["id"]
    assert client.get("/api/v1/leads/999999", headers=sales).status_code == 404
    missing = client.get(f"/api/v1/leads?campaign_id={campaign.id}&external_id=nope", headers=sales)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/leads?campaign_id=x", headers=sales).status_code == 422
    assert client.get("/api/v1/leads/99999999999", headers=sales).status_code == 404


def test_touches_are_added_once_with_their_address(client, users, campaign, bearer):
    headers = bearer(M)
    lead_id = client.post("/api/v1/leads", json=lead_body(campaign.id), headers=headers).get_json()["lead"]["id"]
    touch = {"kind": "webinar", "occurred_at": "2026-03-01T15:00:00+01:00", "detail": "Attended the demo",
             "url": "https://example.com/webinar"}
    first = client.post(f"/api/v1/leads/{lead_id}/touches", json={"touches": [touch]}, headers=headers)
    again = client.post(f"/api/v1/leads/{lead_id}/touches", json={"touches": [touch]}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert (first.get_json()["added"], again.get_json()["added"]) == (1, 0)
    db.session.rollback()
    stored = db.session.scalar(select(Touch))
    assert stored.occurred_at == datetime(2026, 3, 1, 14, 0) and stored.url == "https://example.com/webinar"
    assert client.post("/api/v1/leads/999999/touches", json={"touches": [touch]}, headers=headers).status_code == 404
    assert client.post(f"/api/v1/leads/{lead_id}/touches", json={"touches": []}, headers=headers).status_code == 422


def test_touches_ride_with_a_pushed_lead(client, users, campaign, bearer):
    body = lead_body(campaign.id, touches=[{"kind": "download", "occurred_at": "2026-02-01T10:00:00Z",
                                            "detail": "Pricing guide"}])
    headers = bearer(M)
    client.post("/api/v1/leads", json=body, headers=headers)
    client.post("/api/v1/leads", json=body, headers=headers)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Touch.id))) == 1


def test_a_sales_token_may_not_push_leads(client, users, campaign, bearer):
    response = client.post("/api/v1/leads", json=lead_body(campaign.id), headers=bearer(S))
    assert response.status_code == 403
