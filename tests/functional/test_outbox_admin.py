"""The admin's outbox pages: every message and job with its counts and filters, a row's detail with Retry and
Discard, jobs started and followed from the page, and the CRM endpoints (added, edited, tested), against a real
worker and a real HTTP receiver on loopback."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from console.audit.models import AuditEvent
from console.database import writers
from console.extensions import db
from console.outbox import services
from console.outbox.models import OutboxEntry, WebhookEndpoint
from console.outbox.rules import Status
from console.outbox.worker import Worker

ADMIN = "admin@example.com"


@pytest.fixture
def admin(client, auth, users):
    auth.login(ADMIN)
    return client


def run_worker(app):
    db.session.rollback()  # the test's own read transaction ends: the worker writes
    Worker(app, name="test-worker").run(once=True)


def fresh(entry_id: int) -> OutboxEntry:
    """The row as requests and the worker left it."""
    db.session.rollback()
    return db.session.get(OutboxEntry, entry_id)


def put(kind: str, payload: dict, **delivery) -> int:
    """A row in the outbox, with the delivery record a worker would have left (status, last_error…)."""
    with writers.write_transaction(db.session):
        entry_id = services.enqueue(kind, payload)
    if delivery:
        db.session.execute(OutboxEntry.__table__.update().where(OutboxEntry.id == entry_id).values(**delivery))
        db.session.commit()
    return entry_id


def email(subject="Lead handed to you", **delivery) -> int:
    return put("email", {"to": "sales@example.com", "subject": subject, "text": f"{subject}\n\nOpen the console.",
                         "html": f"<p>{subject}</p>"}, **delivery)


def notification(title="New hand-off", **delivery) -> int:
    return put("notification", {"user_ids": [1], "title": title}, **delivery)


def page(client, url, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def row_ids(html: str) -> set[int]:
    return {int(found) for found in re.findall(r'<tr id="entry-(\d+)"', html)}


def count_link(html: str, family: str, status: str) -> int | None:
    found = re.search(rf'href="/admin/outbox\?family={family}&amp;status={status}" class="count[^"]*">(\d+)</a>', html)
    return int(found.group(1)) if found else None


def local_endpoint(receiver, users, **values) -> WebhookEndpoint:
    return services.save_endpoint(None, users["admin"], name=values.pop("name", "Local CRM"), url=receiver.url,
                                  allow_private_network=True, **values)


# ---------------------------------------------------------------- the Outbox page

def test_the_outbox_page_counts_rows_by_family_and_status_and_links_each_row_to_its_detail(admin):
    pending = [notification(), notification("Another")]
    held = email(status=Status.HELD, attempts=1, last_error="not sent: no SMTP configured")
    dead = notification("Never arrived", status=Status.DEAD, attempts=8, last_error="boom: the bell is broken")
    job = put("job.queue_rebuild", {}, status=Status.DONE, attempts=1, result={"changed": 3})
    html = page(admin, "/admin/outbox")
    assert count_link(html, "message", "pending") == 2
    assert count_link(html, "message", "held") == 1 and count_link(html, "message", "dead") == 1
    assert count_link(html, "job", "done") == 1 and count_link(html, "job", "pending") is None
    assert row_ids(html) == {*pending, held, dead, job}
    for entry_id in (*pending, held, dead, job):
        assert f'href="/admin/outbox/{entry_id}"' in html
    assert "not sent: no SMTP configured" in html and "boom: the bell is broken" in html
    assert "8/8" in html and ">done</span>" in html


def test_the_filters_show_only_the_rows_asked_for(admin):
    mail = email(status=Status.HELD)
    note = notification(status=Status.DEAD)
    job = put("job.queue_rebuild", {})
    assert row_ids(page(admin, "/admin/outbox?family=job")) == {job}
    assert row_ids(page(admin, "/admin/outbox?family=message&status=dead")) == {note}
    assert row_ids(page(admin, "/admin/outbox?kind=email")) == {mail}
    html = page(admin, "/admin/outbox?family=message&status=done")
    assert row_ids(html) == set() and "No row matches these filters." in html
    assert '<option selected value="done">' in html


def test_an_unknown_filter_is_refused_on_its_field(admin):
    notification()
    response = admin.get("/admin/outbox?status=lost")
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_a_payload_is_shown_escaped(admin):
    entry_id = email(subject="<script>alert(1)</script> & more")
    for url in ("/admin/outbox", f"/admin/outbox/{entry_id}"):
        html = page(admin, url)
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    detail = page(admin, f"/admin/outbox/{entry_id}")
    assert "sales@example.com" in detail and "Open the console." in detail  # the To and the text part
    assert "&#34;html&#34;: &#34;&lt;p&gt;&lt;script&gt;" in detail  # the whole payload as JSON, escaped


# ---------------------------------------------------------------- a dead webhook, retried from the page

def test_a_dead_webhook_shows_the_crms_answer_and_retry_from_the_page_delivers_it(app, admin, auth, users, receiver):
    local_endpoint(receiver, users)
    with writers.write_transaction(db.session):
        [entry_id] = services.webhook("lead.qualified", {"lead_id": 7}, dedupe_key="test:dead-webhook")
    db.session.execute(OutboxEntry.__table__.update().values(max_attempts=1))
    db.session.commit()
    receiver.status = 500
    run_worker(app)

    assert f'<tr id="entry-{entry_id}" class="row-dead">' in page(admin, "/admin/outbox?status=dead")
    detail = page(admin, f"/admin/outbox/{entry_id}")
    assert re.search(r'id="entry-status"><span class="outbox-status outbox-status-dead">dead</span>', detail)
    assert '<pre class="excerpt" id="response-excerpt">nope</pre>' in detail
    assert "<strong>500</strong>" in detail and f"{receiver.url} answered 500" in detail
    assert "Local CRM" in detail and f'action="/admin/outbox/{entry_id}/retry"' in detail

    response = auth.post(f"/admin/outbox/{entry_id}/retry")
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/outbox/{entry_id}"
    assert (fresh(entry_id).status, fresh(entry_id).attempts) == (Status.PENDING, 0)
    assert f"Message {entry_id} is due again now" in page(admin, response.headers["Location"])

    receiver.status = 200
    run_worker(app)
    entry = fresh(entry_id)
    assert (entry.status, entry.response_status, entry.response_excerpt) == (Status.DONE, 200, "thanks")
    detail = page(admin, f"/admin/outbox/{entry_id}")
    assert "outbox-status-done\">sent</span>" in detail
    assert "/retry" not in detail and "/discard" not in detail  # sent: nothing left to do
    assert len(receiver.bodies) == 2


def test_an_open_rows_facts_poll_and_the_whole_detail_returns_when_its_status_changes(admin, auth):
    entry_id = notification()
    detail = page(admin, f"/admin/outbox/{entry_id}")
    assert f'hx-get="/admin/outbox/{entry_id}?shown=pending" hx-trigger="every 2s"' in detail
    unchanged = admin.get(f"/admin/outbox/{entry_id}?shown=pending", headers={"HX-Request": "true"})
    assert unchanged.status_code == 200 and "HX-Retarget" not in unchanged.headers
    assert unchanged.get_data(as_text=True).lstrip().startswith("<div id=\"entry-facts\"")
    auth.post(f"/admin/outbox/{entry_id}/discard")
    changed = admin.get(f"/admin/outbox/{entry_id}?shown=pending", headers={"HX-Request": "true"})
    assert changed.headers["HX-Retarget"] == "#entry"
    body = changed.get_data(as_text=True)
    assert "hx-trigger" not in body and f'action="/admin/outbox/{entry_id}/retry"' in body


def test_discarding_a_row_is_audited_and_a_sent_row_cannot_be_discarded(admin, auth, users):
    entry_id = notification()
    response = auth.post(f"/admin/outbox/{entry_id}/discard")
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/outbox/{entry_id}"
    assert fresh(entry_id).status == Status.DISCARDED
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.discarded")).one()
    assert (event.actor_id, event.subject_type, event.subject_id) == (users["admin"].id, "OutboxEntry", entry_id)
    assert event.detail["was"] == Status.PENDING

    sent = notification(status=Status.DONE, attempts=1)
    response = auth.post(f"/admin/outbox/{sent}/discard")
    assert response.status_code == 303
    assert "A row that is sent cannot be discarded." in page(admin, response.headers["Location"])
    assert fresh(sent).status == Status.DONE


def test_a_row_that_does_not_exist_is_not_found(admin, auth):
    assert admin.get("/admin/outbox/999999").status_code == 404
    assert auth.post("/admin/outbox/999999/retry").status_code == 404


# ---------------------------------------------------------------- jobs

def test_a_job_started_from_the_page_is_queued_and_the_worker_runs_it_with_its_progress_shown(
        app, admin, auth, users, campaign, make_lead):
    for _ in range(3):
        make_lead(campaign)
    html = page(admin, "/admin/outbox")
    assert 'name="kind" value="job.queue_rebuild"' in html and "Rebuild the queue order of every lead" in html

    response = auth.post("/admin/outbox/jobs", {"kind": "job.queue_rebuild"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/outbox#jobs"
    db.session.rollback()
    job = db.session.scalars(select(OutboxEntry).where(OutboxEntry.kind == "job.queue_rebuild")).one()
    assert (job.family, job.status, job.created_by_id) == ("job", Status.PENDING, users["admin"].id)
    html = page(admin, "/admin/outbox")
    assert f"Job {job.id} queued: Rebuild the queue order of every lead." in html
    assert 'hx-get="/admin/outbox/jobs" hx-trigger="every 2s"' in html  # open: the section follows it

    run_worker(app)
    fragment = page(admin, "/admin/outbox/jobs", headers={"HX-Request": "true"})
    assert fragment.lstrip().startswith('<div id="job-list"')
    assert f'id="job-{job.id}"' in fragment and "outbox-status-done\">done</span>" in fragment
    assert '<progress value="3" max="3">100%</progress>' in fragment and "3 of 3 leads" in fragment
    assert "changed: <strong>" in fragment
    assert "hx-trigger" not in fragment  # nothing open: polling stops
    assert fresh(job.id).status == Status.DONE


def test_the_jobs_fragment_outside_htmx_goes_to_the_outbox_page(admin):
    response = admin.get("/admin/outbox/jobs")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/outbox#jobs"


@pytest.mark.parametrize("kind, message", [
    ("job.nope", "There is no job &#39;job.nope&#39;: start one of the jobs listed."),
    ("", "Choose a job to start."),
])
def test_a_job_of_no_registered_kind_is_refused(admin, auth, kind, message):
    response = auth.post("/admin/outbox/jobs", {"kind": kind})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalars(select(OutboxEntry)).all() == []


# ---------------------------------------------------------------- CRM endpoints

@pytest.mark.parametrize("url, problem", [
    ("http://crm.example.com/hooks", "use https://"),
    ("https://10.1.2.3/hooks", "private or reserved network address"),
    ("https://localhost:8443/hooks", "loopback"),
    ("crm.example.com/hooks", "give a full URL"),
])
def test_an_endpoint_url_the_console_may_not_post_to_is_refused_on_its_field_with_what_was_typed_kept(
        admin, auth, url, problem):
    response = auth.post("/admin/webhooks", {"name": "Internal CRM", "url": url, "active": "y"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(rf'<p class="field-error" id="url-error">This URL cannot receive webhooks: [^<]*{problem}', html)
    assert 'value="Internal CRM"' in html and f'value="{url}"' in html
    assert 'aria-invalid="true"' in html
    assert services.endpoints() == []


def test_a_private_network_endpoint_is_accepted_once_the_admin_allows_it(admin, auth):
    response = auth.post("/admin/webhooks", {"name": "Internal CRM", "url": "http://10.1.2.3/hooks", "active": "y",
                                             "allow_private_network": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/webhooks"
    [endpoint] = services.endpoints()
    assert (endpoint.url, endpoint.active, endpoint.allow_private_network) == ("http://10.1.2.3/hooks", True, True)


def test_an_endpoint_without_a_name_is_refused_on_the_name(admin, auth):
    response = auth.post("/admin/webhooks", {"name": " ", "url": "https://crm.example.com/hooks"})
    assert response.status_code == 422
    assert 'id="name-error">Name the endpoint (the CRM it is).' in response.get_data(as_text=True)


def test_two_endpoints_cannot_share_a_name_but_an_endpoint_keeps_its_own(admin, auth, users):
    endpoint = services.save_endpoint(None, users["admin"], name="HubSpot", url="https://crm.example.com/hooks")
    response = auth.post("/admin/webhooks", {"name": " hubspot ", "url": "https://other.example.com/hooks"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "id=\"name-error\">Another endpoint is already called &#39;hubspot&#39;" in html
    assert 'value="https://other.example.com/hooks"' in html
    assert [saved.url for saved in services.endpoints()] == ["https://crm.example.com/hooks"]
    kept = auth.post(f"/admin/webhooks/{endpoint.id}", {"name": "HubSpot", "url": "https://crm.example.com/v2"})
    assert kept.status_code == 303


def test_the_endpoints_page_lists_each_endpoint_with_its_secret_masked_until_opened(admin, auth, users):
    auth.post("/admin/webhooks", {"name": "Pipedrive", "url": "https://crm.example.com/hooks", "active": "y"})
    [endpoint] = services.endpoints()
    assert endpoint.secret.startswith("whsec_")
    html = page(admin, "/admin/webhooks")
    assert "Pipedrive: endpoint added." in html
    row = html[html.index(f'<tr id="endpoint-{endpoint.id}">'):]
    row = row[:row.index("</tr>")]
    assert "https://crm.example.com/hooks" in row and '<span class="yes">yes</span>' in row
    summary = re.search(r"<summary>(.*?)</summary>", row, re.S).group(1)
    assert endpoint.secret not in summary and endpoint.secret[-4:] in summary
    assert f'<code class="secret-value" id="secret-{endpoint.id}">{endpoint.secret}</code>' in row
    assert f'action="/admin/webhooks/{endpoint.id}/test"' in row


def test_an_admin_edits_an_endpoint_and_asks_for_a_new_secret(admin, auth, users):
    endpoint = services.save_endpoint(None, users["admin"], name="CRM", url="https://crm.example.com/hooks")
    old_secret = endpoint.secret
    html = page(admin, f"/admin/webhooks/{endpoint.id}")
    assert 'value="CRM"' in html and 'value="https://crm.example.com/hooks"' in html and "new_secret" in html

    refused = auth.post(f"/admin/webhooks/{endpoint.id}", {"name": "CRM 2", "url": "https://127.0.0.1/hooks",
                                                           "new_secret": "y"})
    assert refused.status_code == 422
    assert 'value="CRM 2"' in refused.get_data(as_text=True) and "loopback" in refused.get_data(as_text=True)
    db.session.rollback()
    assert (db.session.get(WebhookEndpoint, endpoint.id).name, db.session.get(WebhookEndpoint, endpoint.id).secret) \
        == ("CRM", old_secret)

    response = auth.post(f"/admin/webhooks/{endpoint.id}", {"name": "CRM 2", "url": "https://crm.example.com/v2",
                                                            "new_secret": "y"})
    assert response.status_code == 303
    db.session.rollback()
    saved = db.session.get(WebhookEndpoint, endpoint.id)
    assert (saved.name, saved.url, saved.active) == ("CRM 2", "https://crm.example.com/v2", False)
    assert saved.secret != old_secret and saved.secret.startswith("whsec_")
    assert "CRM 2: saved, with a new secret" in page(admin, "/admin/webhooks")


def test_send_test_queues_a_message_to_that_endpoint_whose_page_shows_the_crms_answer(app, admin, auth, users,
                                                                                    receiver):
    endpoint = local_endpoint(receiver, users)
    response = auth.post(f"/admin/webhooks/{endpoint.id}/test")
    assert response.status_code == 303
    db.session.rollback()
    [entry] = db.session.scalars(select(OutboxEntry)).all()
    assert response.headers["Location"] == f"/admin/outbox/{entry.id}"
    assert (entry.kind, entry.payload["endpoint_id"], entry.payload["event"]) == ("webhook", endpoint.id,
                                                                                  "console.test")
    html = page(admin, response.headers["Location"])
    assert f"Test message {entry.id} queued for Local CRM" in html
    assert "hx-trigger=\"every 2s\"" in html  # pending: the page follows it

    run_worker(app)
    html = page(admin, f"/admin/outbox/{entry.id}")
    assert "outbox-status-done\">sent</span>" in html and "<strong>200</strong>" in html
    assert '"type":"console.test"' in receiver.bodies[0]
