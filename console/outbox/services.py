"""Putting messages and jobs in the outbox, and the worker's side of it: claiming, settling, progress.

`enqueue` and the helpers built on it (`email`, `notify`, `webhook`, `job`) join
the caller's transaction: a message exists if and only if the business change
that caused it commits (docs/architecture.md, the commit rule). A dedupe key
makes a repeated business action enqueue nothing new. The worker
(console/outbox/worker.py) claims due rows with a lease, delivers or runs them,
and settles each: done, failed (retried later with backoff) or dead.
"""
from __future__ import annotations

import base64
import json
import secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import DateTime, bindparam, delete, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from console.audit import services as audit
from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.outbox import rules
from console.outbox.models import OutboxEntry, WebhookEndpoint
from console.outbox.rules import Family, Status

EMAIL, WEBHOOK, NOTIFICATION = "email", "webhook", "notification"
MESSAGE_KINDS = (EMAIL, WEBHOOK, NOTIFICATION)


# ---------------------------------------------------------------- putting work in

def enqueue(kind: str, payload: dict, *, dedupe_key: str | None = None, available_at: datetime | None = None,
            created_by_id: int | None = None) -> int | None:
    """Add a message or a job to the outbox; returns its id, or None when the dedupe key is taken.

    Joins the caller's transaction (on the session's connection): it commits or rolls back with it.
    """
    family = Family.MESSAGE if kind in MESSAGE_KINDS else Family.JOB
    if family == Family.JOB and kind not in _jobs:
        raise ValueError(f"no job kind {kind!r} is registered")
    values = {"family": family, "kind": kind, "payload": payload, "dedupe_key": dedupe_key,
              "status": Status.PENDING, "attempts": 0, "max_attempts": rules.MAX_ATTEMPTS,
              "available_at": available_at or utcnow(), "progress_done": 0, "stage": "",
              "created_by_id": created_by_id, "created_at": utcnow()}
    connection = db.session.connection()
    insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(OutboxEntry.__table__)
    statement = insert.values(values).on_conflict_do_nothing(index_elements=["dedupe_key"]) \
        .returning(OutboxEntry.__table__.c.id)
    return connection.execute(statement).scalar()


def email(to: str, subject: str, template: str, context: dict, *, dedupe_key: str | None = None) -> int | None:
    """An email to one address, its plain-text and HTML parts rendered now from
    templates/outbox/email/<template>.txt and .html. Joins the caller's transaction."""
    environment = current_app.jinja_env  # not render_template: an email has no page context (top bar, CSRF)
    return enqueue(EMAIL, {
        "to": to, "subject": subject,
        "text": environment.get_template(f"outbox/email/{template}.txt").render(**context),
        "html": environment.get_template(f"outbox/email/{template}.html").render(**context),
    }, dedupe_key=dedupe_key)


def notify(user_ids: Iterable[int], title: str, *, body: str = "", url: str | None = None,
           dedupe_key: str | None = None) -> int | None:
    """An in-app notification to each of these users (the bell). Joins the caller's transaction."""
    return enqueue(NOTIFICATION, {"user_ids": sorted(set(user_ids)), "title": title, "body": body, "url": url},
                   dedupe_key=dedupe_key)


def webhook(event: str, data: dict | Callable[[], dict], *, dedupe_key: str) -> list[int]:
    """The event, to every active CRM endpoint: one message each. Joins the caller's transaction.

    `data` may be a function making it: called once, and only when some endpoint will be sent the event (a
    hand-off's packet takes a dozen reads to build; a console without a CRM never pays them)."""
    ids = []
    for endpoint in db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))):
        if callable(data):
            data = data()
        message_id = enqueue(WEBHOOK, {"endpoint_id": endpoint.id, "event": event, "data": data},
                             dedupe_key=f"{dedupe_key}:endpoint:{endpoint.id}")
        if message_id is not None:
            ids.append(message_id)
    return ids


# ---------------------------------------------------------------- jobs

@dataclass(frozen=True)
class JobKind:
    kind: str
    title: str
    run: Callable  # run(payload, progress) -> dict (the result); progress(done, total, stage)
    every_seconds: int | None = None  # a periodic job: the worker queues a run in each slot of this many seconds


_jobs: dict[str, JobKind] = {}


def register_job(kind: str, title: str, *, every_seconds: int | None = None):
    """Make a function a job kind the worker runs: `run(payload, progress)` returns the job's result. With
    `every_seconds`, the workers also queue it once in every slot of that length (`schedule_periodic`)."""
    if every_seconds is not None and every_seconds < 1:
        raise ValueError("a periodic job runs at most once a second")

    def register(run):
        _jobs[kind] = JobKind(kind, title, run, every_seconds)
        return run
    return register


def job_kind(kind: str) -> JobKind | None:
    return _jobs.get(kind)


def job_kinds() -> list[JobKind]:
    return sorted(_jobs.values(), key=lambda job: job.title)


def periodic_slot(job: JobKind, now: datetime) -> tuple[int, datetime]:
    """The slot `now` falls in for a periodic job: its number (whole periods since the epoch) and its start."""
    slot = int((now - _EPOCH).total_seconds()) // job.every_seconds
    return slot, _EPOCH + timedelta(seconds=slot * job.every_seconds)


_EPOCH = datetime(1970, 1, 1)
PERIODIC_RUNS_KEPT = timedelta(days=1)


def schedule_periodic(now: datetime | None = None) -> datetime | None:
    """Queue this slot's run of every periodic job, once however many workers ask (the dedupe key names the kind
    and its slot); returns when the next slot of any of them begins (None: there are no periodic jobs).

    A transaction of its own. A run still waiting from an earlier slot (the worker was busy or down) is not
    doubled: one pending run of a kind is enough, so a stopped worker does not come back to a backlog of them.
    """
    now = now or utcnow()
    periodic = [job for job in _jobs.values() if job.every_seconds]
    if not periodic:
        return None
    with writers.write_transaction(db.session):
        # Finished runs are kept a day (the Outbox page shows the recent ones), then go: 1,440 a day a kind.
        db.session.execute(delete(OutboxEntry).where(
            OutboxEntry.status == Status.DONE, OutboxEntry.available_at < now - PERIODIC_RUNS_KEPT,
            OutboxEntry.kind.in_([job.kind for job in periodic]), OutboxEntry.dedupe_key.like("periodic:%")))
        waiting = set(db.session.scalars(select(OutboxEntry.kind).where(
            OutboxEntry.kind.in_([job.kind for job in periodic]), OutboxEntry.status == Status.PENDING)))
        for job in periodic:
            slot, start = periodic_slot(job, now)
            if job.kind not in waiting:
                enqueue(job.kind, {"slot": slot, "slot_start": start.isoformat()},
                        dedupe_key=f"periodic:{job.kind}:{slot}", available_at=start)
    return min(periodic_slot(job, now)[1] + timedelta(seconds=job.every_seconds) for job in periodic)


def start_job(kind: str, payload: dict, actor, *, dedupe_key: str | None = None) -> int | None:
    """Queue a job for the worker (an admin's button, a command); audited. A transaction of its own."""
    with writers.write_transaction(db.session):
        job_id = enqueue(kind, payload, dedupe_key=dedupe_key, created_by_id=actor.id if actor else None)
        if job_id is not None:
            audit.write("outbox.job_started", "OutboxEntry", job_id, actor_id=actor.id if actor else None,
                        actor_email=actor.email if actor else None, kind=kind)
    return job_id


# ---------------------------------------------------------------- the worker's side

_outbox = OutboxEntry.__table__
# The three ways a row is due, each read on its own along the index (status, available_at), oldest first,
# `limit` rows at most; the claim takes the oldest `limit` of those. One OR across the three made the
# database read and sort the whole backlog at every claim (SQLite: 7.6 ms a claim, PostgreSQL 13.6 ms,
# with 20,000 messages due; 0.2 and 1.1 ms this way).
_DUE = {
    "pending": "status = 'pending' AND available_at <= :now",
    "failed": "status = 'failed' AND available_at <= :now",
    "lapsed": "status = 'leased' AND leased_until < :now",  # its worker died: taken again
}


def _claim_sql(lock: str) -> str:
    due = " UNION ALL ".join(
        f"SELECT * FROM (SELECT id, available_at FROM outbox WHERE {condition}"
        f" ORDER BY available_at, id LIMIT :limit{lock}) AS {name}" for name, condition in _DUE.items())
    return ("UPDATE outbox SET status = 'leased', leased_by = :worker, attempts = attempts + 1,"
            " leased_until = CASE WHEN family = 'job' THEN :job_until ELSE :message_until END"
            f" WHERE id IN (SELECT id FROM ({due}) AS due ORDER BY available_at, id LIMIT :limit)"
            " RETURNING id, family, kind, payload, attempts, max_attempts")


_CLAIM = {
    "sqlite": _claim_sql(""),  # one writer at a time (the writer turn)
    # Several workers claim at once: each takes rows nobody else is locking.
    "postgresql": _claim_sql(" FOR UPDATE SKIP LOCKED"),
}


@dataclass(frozen=True)
class Claimed:
    """A row a worker holds: what to deliver or run, and how many attempts it has had (this one included)."""

    id: int
    family: str
    kind: str
    payload: dict
    attempts: int
    max_attempts: int


def claim(worker: str, limit: int, now: datetime | None = None) -> list[Claimed]:
    """Take up to `limit` due rows for this worker, with a lease; a lapsed lease is taken again.

    One write transaction: on SQLite in the writer turn, on PostgreSQL with SKIP LOCKED,
    so two workers never hold one row at once.
    """
    now = now or utcnow()
    config = current_app.config
    with writers.write_transaction(db.session):
        dialect = db.session.get_bind().dialect.name
        rows = db.session.connection().execute(_claim_statement(dialect), {
            "worker": worker, "now": now, "limit": limit,
            "message_until": now + timedelta(seconds=config["OUTBOX_MESSAGE_LEASE_SECONDS"]),
            "job_until": now + timedelta(seconds=config["OUTBOX_JOB_LEASE_SECONDS"])}).all()
    return sorted((Claimed(row.id, row.family, row.kind, _as_dict(row.payload), row.attempts, row.max_attempts)
                   for row in rows), key=lambda claimed: claimed.id)


def _as_dict(value):
    return json.loads(value) if isinstance(value, str) else value  # SQLite hands JSON back as text


_claims: dict[str, object] = {}


def _claim_statement(dialect: str):
    statement = _claims.get(dialect)
    if statement is None:
        statement = _claims[dialect] = text(_CLAIM[dialect]).bindparams(
            *[bindparam(name, type_=DateTime()) for name in ("now", "message_until", "job_until")])
    return statement


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt."""

    id: int
    status: str  # rules.Status.DONE, FAILED (the worker decides DEAD from the attempts) or HELD
    error: str | None = None
    response_status: int | None = None
    response_excerpt: str | None = None
    result: dict | None = None

    @classmethod
    def done(cls, entry_id: int, **kwargs) -> Outcome:
        return cls(entry_id, Status.DONE, **kwargs)

    @classmethod
    def failed(cls, entry_id: int, error: str, **kwargs) -> Outcome:
        return cls(entry_id, Status.FAILED, error=error, **kwargs)


# One statement for every outcome of a batch, sent as one executemany: each row gets its status and what the
# attempt left (a failed one its next time; a done one keeps its available_at), while this worker holds it.
_SETTLE = (update(_outbox)
           .where(_outbox.c.id == bindparam("row_id"), _outbox.c.leased_by == bindparam("worker"),
                  _outbox.c.status == Status.LEASED)
           .values(status=bindparam("new_status"), leased_until=None, leased_by=None,
                   response_status=bindparam("response_status"), response_excerpt=bindparam("response_excerpt"),
                   last_error=bindparam("last_error"), finished_at=bindparam("finished_at", type_=DateTime()),
                   available_at=func.coalesce(bindparam("next_at", type_=DateTime()), _outbox.c.available_at),
                   result=bindparam("result", type_=_outbox.c.result.type)))


def settle(worker: str, outcomes: list[tuple[Claimed, Outcome]], now: datetime | None = None, rng=None) -> None:
    """Record what became of the attempts this worker made, in one transaction.

    A row is only settled while this worker still holds it (leased_by): if its lease lapsed
    and another worker took it, that worker's attempt settles it.
    """
    if not outcomes:
        return
    now = now or utcnow()
    rows = []
    for claimed, outcome in outcomes:
        row = {"row_id": claimed.id, "worker": worker, "new_status": outcome.status, "last_error": outcome.error,
               "response_status": outcome.response_status, "response_excerpt": outcome.response_excerpt,
               "finished_at": now, "next_at": None, "result": outcome.result}
        if outcome.status == Status.FAILED:
            if rules.out_of_attempts(claimed.attempts, claimed.max_attempts):
                row["new_status"] = Status.DEAD
            else:
                row.update(finished_at=None, next_at=now + rules.retry_delay(claimed.attempts, rng))
        rows.append(row)
    with writers.write_transaction(db.session):
        db.session.connection().execute(_SETTLE, rows)


def release(worker: str, claimed: Iterable[Claimed]) -> None:
    """Give rows back unattempted (the worker is stopping): due again at once, the attempt not counted."""
    ids = [row.id for row in claimed]
    if not ids:
        return
    with writers.write_transaction(db.session):
        db.session.connection().execute(
            update(_outbox).where(_outbox.c.id.in_(ids), _outbox.c.leased_by == worker,
                                  _outbox.c.status == Status.LEASED)
            .values(status=Status.PENDING, leased_by=None, leased_until=None, attempts=_outbox.c.attempts - 1))


def report_progress(worker: str, job_id: int, done: int, total: int | None, stage: str = "") -> None:
    """A running job says how far it is (pages poll it); its lease runs on from now."""
    with writers.write_transaction(db.session):
        db.session.connection().execute(
            update(_outbox).where(_outbox.c.id == job_id, _outbox.c.leased_by == worker)
            .values(progress_done=done, progress_total=total, stage=stage[:200],
                    leased_until=utcnow() + timedelta(seconds=current_app.config["OUTBOX_JOB_LEASE_SECONDS"])))


def webhook_endpoint(endpoint_id: int) -> WebhookEndpoint | None:
    return db.session.get(WebhookEndpoint, endpoint_id)


# ---------------------------------------------------------------- CRM endpoints

class EndpointInvalid(Exception):
    def __init__(self, field_errors: dict[str, str]):
        self.field_errors = field_errors
        super().__init__("; ".join(field_errors.values()))


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def save_endpoint(endpoint: WebhookEndpoint | None, actor, *, name: str, url: str, active: bool = True,
                  allow_private_network: bool = False, new_secret_wanted: bool = False) -> WebhookEndpoint:
    """Add a CRM endpoint (endpoint None) or change one; audited. A new endpoint gets a secret."""
    url = (url or "").strip()
    problem = rules.webhook_url_problem(url, allow_private=allow_private_network)
    errors = {}
    if problem:
        errors["url"] = f"This URL cannot receive webhooks: {problem}."
    if not (name or "").strip():
        errors["name"] = "Name the endpoint (the CRM it is)."
    elif db.session.scalar(select(WebhookEndpoint.id).where(
            func.lower(WebhookEndpoint.name) == name.strip().lower(),
            WebhookEndpoint.id != (endpoint.id if endpoint is not None else -1))) is not None:
        errors["name"] = f"Another endpoint is already called {name.strip()!r}: give this one a name of its own."
    if errors:
        raise EndpointInvalid(errors)
    with writers.write_transaction(db.session):
        if endpoint is None:
            endpoint = WebhookEndpoint(secret=new_secret())
            db.session.add(endpoint)
        else:
            endpoint = db.session.get(WebhookEndpoint, endpoint.id)
        if new_secret_wanted:
            endpoint.secret = new_secret()
        endpoint.name, endpoint.url, endpoint.active = name.strip(), url, active
        endpoint.allow_private_network, endpoint.updated_by_id = allow_private_network, actor.id if actor else None
        db.session.flush()
        audit.record("outbox.endpoint_saved", endpoint, actor=actor, url=url, active=active,
                     allow_private_network=allow_private_network, new_secret=new_secret_wanted)
    return endpoint


def endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.name)))


def endpoint_names() -> dict[int, str]:
    """Each CRM endpoint's name by id (the Outbox page names the endpoint of each webhook)."""
    return {row.id: row.name for row in db.session.execute(select(WebhookEndpoint.id, WebhookEndpoint.name))}


def send_test(endpoint: WebhookEndpoint, actor) -> int:
    """Queue a test message to one endpoint (the worker sends it); audited. Returns the message's id."""
    with writers.write_transaction(db.session):
        message_id = enqueue(WEBHOOK, {"endpoint_id": endpoint.id, "event": "console.test",
                                       "data": {"message": "A test from the teleprospecting console.",
                                                "sent_by": actor.email}}, created_by_id=actor.id)
        audit.record("outbox.endpoint_tested", endpoint, actor=actor, message_id=message_id)
    return message_id


def resolved_address_problem(host: str) -> str | None:
    """Resolve a host name and say why its addresses are not public ones (the check made at send time)."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as error:
        return f"cannot resolve {host}: {error}"
    for address in sorted(addresses):
        problem = rules.address_problem(address)
        if problem:
            return f"{host} resolves to {address}: {problem}"
    return None


# ---------------------------------------------------------------- the admin's side

@dataclass
class OutboxView:
    """What the admin Outbox page lists: rows by filter, and counts by family and status."""

    entries: list[OutboxEntry]
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    jobs: list[OutboxEntry] = field(default_factory=list)


def outbox_view(*, family: str | None = None, status: str | None = None, kind: str | None = None,
                limit: int = 200) -> OutboxView:
    query = select(OutboxEntry).order_by(OutboxEntry.id.desc()).limit(limit)
    if family:
        query = query.where(OutboxEntry.family == family)
    if status:
        query = query.where(OutboxEntry.status == status)
    if kind:
        query = query.where(OutboxEntry.kind == kind)
    counts = {(row.family, row.status): row.count for row in db.session.execute(
        select(OutboxEntry.family, OutboxEntry.status, func.count(OutboxEntry.id).label("count"))
        .group_by(OutboxEntry.family, OutboxEntry.status))}
    return OutboxView(list(db.session.scalars(query)), counts, recent_jobs())


def recent_jobs(limit: int = 20) -> list[OutboxEntry]:
    """The jobs the Outbox page follows: every open one, and those finished in the last 24 hours; newest first."""
    return list(db.session.scalars(select(OutboxEntry).where(
        OutboxEntry.family == Family.JOB, or_(OutboxEntry.status.in_(Status.OPEN),
                                              OutboxEntry.finished_at >= utcnow() - timedelta(hours=24)))
        .order_by(OutboxEntry.id.desc()).limit(limit)))


KIND_TITLES = {EMAIL: "Email", WEBHOOK: "CRM webhook", NOTIFICATION: "In-app notification"}


def kind_titles() -> dict[str, str]:
    """Every kind a row can have, message kinds first, with the words the admin pages use for it."""
    return {**KIND_TITLES, **{job.kind: job.title for job in job_kinds()}}


def can_retry(entry: OutboxEntry) -> bool:
    return entry.status in Status.RETRYABLE


# Delivered, given up on already, or in a worker's hands right now.
_NOT_DISCARDABLE = (Status.DONE, Status.DISCARDED, Status.LEASED)


def can_discard(entry: OutboxEntry) -> bool:
    return entry.status not in _NOT_DISCARDABLE


@dataclass(frozen=True)
class EntryDetail:
    """One row as its detail page shows it: the row, the CRM endpoint a webhook goes to, what the admin may do."""

    entry: OutboxEntry
    endpoint: WebhookEndpoint | None
    kind_title: str
    can_retry: bool
    can_discard: bool

    @property
    def payload_json(self) -> str:
        return json.dumps(self.entry.payload, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def entry_detail(entry_id: int) -> EntryDetail | None:
    entry = db.session.get(OutboxEntry, entry_id)
    if entry is None:
        return None
    endpoint = None
    if entry.kind == WEBHOOK and isinstance(entry.payload.get("endpoint_id"), int):
        endpoint = webhook_endpoint(entry.payload["endpoint_id"])
    return EntryDetail(entry, endpoint, kind_titles().get(entry.kind, entry.kind), can_retry(entry),
                       can_discard(entry))


class OutboxActionError(Exception):
    pass


def retry(entry: OutboxEntry, actor) -> None:
    """Try a failed, dead, held or discarded row again now, with its attempts counted afresh; audited."""
    with writers.write_transaction(db.session):
        entry = db.session.get(OutboxEntry, entry.id, populate_existing=True)
        if not can_retry(entry):
            raise OutboxActionError(f"Only failed, dead, held or discarded rows can be retried (this one is "
                                    f"{entry.status_label}).")
        before = entry.status
        entry.status, entry.attempts, entry.available_at, entry.finished_at = Status.PENDING, 0, utcnow(), None
        audit.record("outbox.retried", entry, actor=actor, kind=entry.kind, was=before)


def discard(entry: OutboxEntry, actor) -> None:
    """Give up on a row that has not been delivered; audited (it stays listed, as discarded)."""
    with writers.write_transaction(db.session):
        entry = db.session.get(OutboxEntry, entry.id, populate_existing=True)
        if not can_discard(entry):
            raise OutboxActionError(f"A row that is {entry.status_label} cannot be discarded.")
        before = entry.status
        entry.status, entry.finished_at = Status.DISCARDED, utcnow()
        audit.record("outbox.discarded", entry, actor=actor, kind=entry.kind, was=before)


def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))
