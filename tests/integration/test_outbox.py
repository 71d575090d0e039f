"""The outbox against the real database and real receivers: messages exist if and only if their business change
commits, are claimed with a lease, retried with backoff, dead after their last attempt, and delivered at least
once with a stable id, to a real HTTP receiver and a real SMTP server on loopback."""
from __future__ import annotations

import json
import socket
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from standardwebhooks import Webhook

from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.notifications.models import Notification
from console.outbox import rules, services
from console.outbox.models import OutboxEntry
from console.outbox.rules import Status
from console.outbox.services import Outcome
from console.outbox.worker import Worker


# -------------------------------------------- an SMTP server on loopback (HTTP: tests/receivers.py)

class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, _server, _session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch):
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
                       "SMTP_STARTTLS": False, "SMTP_USER": "", "MAIL_FROM": "console@example.com"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield mailbox
    controller.stop()


def endpoint_for(receiver, actor=None):
    return services.save_endpoint(None, actor, name="Test CRM", url=receiver.url, allow_private_network=True)


def run_worker(app, **options) -> Worker:
    worker = Worker(app, name=options.pop("name", "test-worker"), **options)
    worker.run(once=True)
    return worker


def entries(kind=None):
    query = select(OutboxEntry).order_by(OutboxEntry.id)
    if kind:
        query = query.where(OutboxEntry.kind == kind)
    db.session.rollback()
    return list(db.session.scalars(query))


# ---------------------------------------------------------------- written with the business change

def test_a_message_exists_only_if_its_business_change_commits(app_context, users):
    class Refused(Exception):
        pass

    with pytest.raises(Refused):
        with writers.write_transaction(db.session):
            services.notify([users["sales"].id], "never sent")
            raise Refused
    assert entries() == []
    with writers.write_transaction(db.session):
        services.notify([users["sales"].id], "sent")
    assert [entry.payload["title"] for entry in entries()] == ["sent"]


def test_a_repeated_business_action_enqueues_nothing_new(app_context, users):
    with writers.write_transaction(db.session):
        first = services.notify([users["sales"].id], "once", dedupe_key="handoff.created:1:notification")
        again = services.notify([users["sales"].id], "once", dedupe_key="handoff.created:1:notification")
    assert first is not None and again is None
    assert len(entries()) == 1


def test_a_qualified_lead_tells_its_sales_member_and_the_crm_in_the_hand_offs_transaction(
        app, users, campaign, make_lead, receiver):
    from console.calls import services as calls
    from console.queue import services as queue

    endpoint_for(receiver)
    make_lead(campaign)
    agent = users["teleprospector"]
    call = queue.claim_next_lead(agent)
    for criterion, value in {"budget": "confirmed", "authority": "decision_maker", "need": "urgent",
                             "timeline": "under_3_months"}.items():
        calls.save_answer(call, agent, criterion, value)
    handoff = calls.record_disposition(call, agent, "qualified")
    kinds = sorted(entry.kind for entry in entries())
    assert kinds == ["email", "notification", "webhook"]
    run_worker(app)
    db.session.rollback()
    note = db.session.scalars(select(Notification)).one()
    assert (note.user_id, note.url) == (handoff.assigned_to_id, f"/handoffs/{handoff.id}")
    [request] = receiver.requests
    assert json.loads(request["body"])["data"]["handoff_id"] == handoff.id
    email = next(entry for entry in entries() if entry.kind == "email")
    assert (email.status, email.last_error) == (Status.HELD, "not sent: no SMTP configured")


def test_a_refused_qualification_leaves_no_message(app, users, campaign, make_lead):
    from console.calls import services as calls
    from console.queue import services as queue

    make_lead(campaign)
    agent = users["teleprospector"]
    call = queue.claim_next_lead(agent)
    with pytest.raises(calls.QualificationIncomplete):
        calls.record_disposition(call, agent, "qualified")  # nothing answered yet
    assert entries() == []


# ---------------------------------------------------------------- claiming, leases, retries

def test_a_claim_takes_due_rows_once_with_a_lease(app_context, users):
    with writers.write_transaction(db.session):
        ids = [services.notify([users["sales"].id], f"n{n}") for n in range(3)]
        services.enqueue("notification", {"user_ids": [], "title": "later"}, available_at=utcnow() + timedelta(hours=1))
    first = services.claim("one", 2)
    second = services.claim("two", 5)
    assert [row.id for row in first] == ids[:2] and [row.id for row in second] == ids[2:]
    assert services.claim("three", 5) == []
    leased = {entry.id: entry for entry in entries()}
    assert leased[ids[0]].status == Status.LEASED and leased[ids[0]].leased_by == "one"
    assert leased[ids[0]].attempts == 1


def test_a_lapsed_lease_returns_the_row_to_another_worker(app, users):
    with app.app_context():
        with writers.write_transaction(db.session):
            message_id = services.notify([users["sales"].id], "n")
        [taken] = services.claim("dead worker", 5)
        assert services.claim("other", 5) == []
        later = utcnow() + timedelta(seconds=app.config["OUTBOX_MESSAGE_LEASE_SECONDS"] + 1)
        [again] = services.claim("other", 5, now=later)
        assert again.id == taken.id == message_id and again.attempts == 2
        # The dead worker's late settlement changes nothing: the row is the other worker's now.
        services.settle("dead worker", [(taken, Outcome.done(taken.id))])
        assert entries()[0].status == Status.LEASED and entries()[0].leased_by == "other"


def test_a_row_whose_lease_lapsed_says_so_until_it_is_taken_again(app_context, users):
    with writers.write_transaction(db.session):
        services.notify([users["sales"].id], "n")
    services.claim("dead worker", 5)
    assert entries()[0].status_label == "sending" and not entries()[0].lease_lapsed
    db.session.execute(OutboxEntry.__table__.update().values(leased_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert entries()[0].status_label == "lease lapsed: taken again next"
    services.claim("other", 5)
    assert entries()[0].status_label == "sending" and entries()[0].leased_by == "other"


def test_a_failed_attempt_is_retried_after_a_backoff_and_dead_after_the_last(app_context, users):
    with writers.write_transaction(db.session):
        services.notify([users["sales"].id], "n")
    moment = utcnow()
    for attempt in range(1, rules.MAX_ATTEMPTS + 1):
        [row] = services.claim("w", 1, now=moment)
        assert row.attempts == attempt
        services.settle("w", [(row, Outcome.failed(row.id, f"boom {attempt}"))], now=moment)
        entry = entries()[0]
        if attempt < rules.MAX_ATTEMPTS:
            assert entry.status == Status.FAILED and entry.last_error == f"boom {attempt}"
            assert moment <= entry.available_at <= moment + rules.BASE_DELAY * 2 ** (attempt - 1)
            assert services.claim("w", 1, now=moment - timedelta(seconds=1)) == []  # not before its time
            moment = entry.available_at
        else:
            assert entry.status == Status.DEAD
    assert services.claim("w", 1, now=moment + timedelta(days=1)) == []


def test_an_admin_retries_a_dead_message_and_it_is_delivered(app, users, receiver):
    endpoint = endpoint_for(receiver, users["admin"])
    receiver.status = 500
    with app.app_context():
        with writers.write_transaction(db.session):
            services.webhook("lead.test", {"n": 1}, dedupe_key="test:1")
        db.session.execute(OutboxEntry.__table__.update().values(max_attempts=1))
        db.session.commit()
    run_worker(app)
    [entry] = entries()
    assert (entry.status, entry.response_status, entry.response_excerpt) == (Status.DEAD, 500, "nope")
    assert entry.payload["endpoint_id"] == endpoint.id
    receiver.status = 200
    services.retry(entry, users["admin"])
    run_worker(app)
    [entry] = entries()
    assert (entry.status, entry.response_status) == (Status.DONE, 200)
    from console.audit.models import AuditEvent

    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "outbox.retried")).all()


def test_a_stopping_worker_gives_back_what_it_did_not_attempt(app, users):
    with app.app_context():
        with writers.write_transaction(db.session):
            for n in range(5):
                services.notify([users["sales"].id], f"n{n}")
        claimed = services.claim("w", 5)
        services.release("w", claimed[2:])
        rows = entries()
    assert [row.status for row in rows] == [Status.LEASED] * 2 + [Status.PENDING] * 3
    assert [row.attempts for row in rows] == [1, 1, 0, 0, 0]


# ---------------------------------------------------------------- delivery

def test_a_webhook_is_signed_by_the_standard_and_carries_the_rows_id(app, users, receiver):
    endpoint = endpoint_for(receiver, users["admin"])
    with app.app_context():
        with writers.write_transaction(db.session):
            [message_id] = services.webhook("handoff.created", {"handoff_id": 7}, dedupe_key="handoff.created:7")
    run_worker(app)
    [request] = receiver.requests
    payload = Webhook(endpoint.secret).verify(request["body"], request["headers"])  # the reference verifier
    assert payload["type"] == "handoff.created" and payload["data"] == {"handoff_id": 7}
    assert request["headers"]["webhook-id"] == str(message_id)
    assert entries()[0].status == Status.DONE and entries()[0].response_excerpt == "thanks"


def test_a_webhook_to_a_private_address_is_refused_unless_allowed(app, users, receiver):
    endpoint = endpoint_for(receiver, users["admin"])
    with app.app_context():
        db.session.execute(type(endpoint).__table__.update().values(allow_private_network=False))
        with writers.write_transaction(db.session):
            services.webhook("lead.test", {}, dedupe_key="private")
    run_worker(app)
    assert receiver.requests == []
    entry = entries()[0]
    assert entry.status == Status.FAILED and "not sent to http://127.0.0.1" in entry.last_error


def test_a_webhook_to_a_paused_endpoint_is_held_until_it_is_active_and_retried(app, users, receiver):
    endpoint = endpoint_for(receiver, users["admin"])
    endpoint_id, model = endpoint.id, type(endpoint)
    with app.app_context():
        with writers.write_transaction(db.session):
            services.webhook("lead.test", {"n": 1}, dedupe_key="paused")
        endpoint = db.session.get(model, endpoint_id)
        services.save_endpoint(endpoint, users["admin"], name=endpoint.name, url=endpoint.url, active=False,
                               allow_private_network=True)
    run_worker(app)
    assert receiver.requests == []
    [entry] = entries()
    assert (entry.status, entry.status_label) == (Status.HELD, "held, not sent")
    assert "endpoint is paused" in entry.last_error
    with app.app_context():
        endpoint = db.session.get(model, endpoint_id)
        services.save_endpoint(endpoint, users["admin"], name=endpoint.name, url=endpoint.url, active=True,
                               allow_private_network=True)
        services.retry(entries()[0], users["admin"])
    run_worker(app)
    assert len(receiver.requests) == 1 and entries()[0].status == Status.DONE


def test_an_email_goes_out_with_both_parts_and_a_message_id_from_the_row(app, users, smtp_server):
    with app.test_request_context():
        with writers.write_transaction(db.session):
            email_id = services.email("ana@example.com", "New hand-off: Pat Lee", "handoff_created", {
                "member": users["sales"], "lead": _Lead(), "handoff": _Handoff(), "packet_url": "https://x/h/1"})
    run_worker(app)
    [envelope] = smtp_server.messages
    assert envelope.rcpt_tos == ["ana@example.com"] and envelope.mail_from == "console@example.com"
    message = message_from_bytes(envelope.original_content, policy=default_policy)
    assert message["Subject"] == "New hand-off: Pat Lee"
    assert message["Message-ID"] == f"<outbox-{email_id}@example.com>"
    assert message.get_body(("plain",)).get_content().startswith("Hello")
    assert "<strong>Pat Lee</strong>" in message.get_body(("html",)).get_content()
    assert entries()[0].status == Status.DONE


def test_without_smtp_an_email_is_kept_and_says_why(app, users, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    with app.test_request_context():
        with writers.write_transaction(db.session):
            services.email("ana@example.com", "Hello", "handoff_created", {
                "member": users["sales"], "lead": _Lead(), "handoff": _Handoff(), "packet_url": "https://x/h/1"})
    run_worker(app)
    [entry] = entries()
    assert (entry.status, entry.status_label, entry.last_error) == (
        Status.HELD, "held, not sent", "not sent: no SMTP configured")
    assert entry.payload["text"].startswith("Hello")  # readable on the admin Outbox page


def test_a_notification_delivered_twice_is_stored_once(app, users):
    with app.app_context():
        with writers.write_transaction(db.session):
            services.notify([users["sales"].id, users["marketing"].id], "Two people")
        [row] = services.claim("w", 1)
        from console.outbox import delivery

        delivery.deliver_notification(row)
        delivery.deliver_notification(row)  # the worker died before settling, and it came again
        assert len(db.session.scalars(select(Notification)).all()) == 2


class _Lead:
    full_name, title, phone, email = "Pat Lee", "VP Sales", "+12125550100", "pat@example.com"

    class account:  # noqa: N801
        name = "Example Corp"


class _Handoff:
    score, score_band, score_reasons = 80, "hot", ["Budget confirmed +25"]


def test_a_webhooks_data_is_made_once_and_only_when_an_endpoint_will_be_sent_it(app, users, receiver):
    made = []

    def packet():
        made.append(1)
        return {"lead": "Jordan Rivera"}

    with writers.write_transaction(db.session):
        assert services.webhook("handoff.created", packet, dedupe_key="lazy:1") == []
    assert made == []  # no CRM: the packet was never built
    endpoint_for(receiver, users["admin"])
    services.save_endpoint(None, users["admin"], name="Second CRM", url=receiver.url, allow_private_network=True)
    with writers.write_transaction(db.session):
        sent = services.webhook("handoff.created", packet, dedupe_key="lazy:2")
    assert len(sent) == 2 and made == [1]
    rows = db.session.scalars(select(OutboxEntry).where(OutboxEntry.id.in_(sent))).all()
    assert [row.payload["data"] for row in rows] == [{"lead": "Jordan Rivera"}] * 2
