"""`flask worker` as a real process against a real HTTP receiver: it drains what is due, stops cleanly on SIGTERM
giving back what it did not attempt, loses nothing when killed mid-send (its lease lapses and the row is sent
again with the same webhook-id), and two workers draining one outbox never send a message twice (PostgreSQL:
SKIP LOCKED; SQLite: the writer turn).

The workers run in subprocesses, on the real clock (the suite's shifted clock is this process's only): the rows
are made due at an instant in the past of the real clock.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select, update

from console.database import writers
from console.extensions import db
from console.outbox import services
from console.outbox.models import OutboxEntry
from console.outbox.rules import Family, Status

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 20  # the longest any step may take before the test fails (instead of hanging)


def real_now():
    """Now on the real clock, which the worker processes read (naive UTC, as the console stores it)."""
    return time_machine.escape_hatch.datetime.datetime.now(UTC).replace(tzinfo=None)


# ---------------------------------------------------------------- a receiver on loopback

class Receiver:
    """An HTTP server on loopback that records the webhook-id of every request, in order of arrival.

    `delay` makes each answer wait (a worker is busy while it does); `hold_at` holds the answer to the n-th
    request until `let_go()` (a worker killed while it waits); `gate_in_flight` holds every answer until that
    many requests are waiting at once (that many workers are sending together).
    """

    def __init__(self, *, delay: float = 0.0, hold_at: int | None = None, gate_in_flight: int | None = None):
        self.ids: list[int] = []
        self.delay = delay
        self.hold_at = hold_at
        self.held = threading.Event()  # the request hold_at has arrived
        self._let_go = threading.Event()
        self._changed = threading.Condition()
        self._in_flight = 0
        self._gate = threading.Event()
        if gate_in_flight is None:
            self._gate.set()
        self.gate_in_flight = gate_in_flight
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the worker's client reuses its connection

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                number = receiver._arrived(int(self.headers["webhook-id"]))
                try:
                    if number == receiver.hold_at:
                        receiver.held.set()
                        receiver._let_go.wait(WAIT_SECONDS)
                    receiver._gate.wait(WAIT_SECONDS)
                    if receiver.delay:
                        time.sleep(receiver.delay)
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the worker was killed while it waited
                finally:
                    with receiver._changed:
                        receiver._in_flight -= 1

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _arrived(self, webhook_id: int) -> int:
        with self._changed:
            self.ids.append(webhook_id)
            self._in_flight += 1
            if self.gate_in_flight and self._in_flight >= self.gate_in_flight:
                self._gate.set()
            self._changed.notify_all()
            return len(self.ids)

    def wait_for(self, predicate, timeout: float = WAIT_SECONDS) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: predicate(list(self.ids)), timeout)

    def received(self) -> list[int]:
        with self._changed:
            return list(self.ids)

    def let_go(self):
        self._let_go.set()
        self._gate.set()

    def close(self):
        self.let_go()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made = []

    def make(**options) -> Receiver:
        made.append(Receiver(**options))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


# ---------------------------------------------------------------- workers as processes

def start_worker(app, *arguments: str, lease_seconds: int | None = None) -> subprocess.Popen:
    """`flask worker …` in its own process, on the test's database."""
    environment = {**os.environ, "FLASK_APP": "app.py", "SECRET_KEY": "test-secret",
                   "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "OUTBOX_IDLE_SECONDS": "0.2"}
    if lease_seconds is not None:
        environment["OUTBOX_MESSAGE_LEASE_SECONDS"] = str(lease_seconds)
    return subprocess.Popen([sys.executable, "-m", "flask", "worker", *arguments], cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(worker: subprocess.Popen, timeout: float = WAIT_SECONDS) -> tuple[int, str]:
    """Wait for a worker to exit: its exit status and what it said."""
    try:
        _out, said = worker.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        _out, said = worker.communicate()
        raise AssertionError(f"the worker did not stop in {timeout} s: {said[-2000:]}") from None
    return worker.returncode, said


def delivered_by(said: str) -> int:
    return int(re.search(r"stopped: (\d+) delivered", said).group(1))


def due_webhooks(app, receiver: Receiver, count: int, *, available_at=None) -> list[int]:
    """`count` webhook messages to the receiver's endpoint, enqueued as a business change does, due now on the
    real clock (or at `available_at`)."""
    with app.app_context():
        services.save_endpoint(None, None, name="Test CRM", url=receiver.url, allow_private_network=True)
        with writers.write_transaction(db.session):
            ids = [message_id for n in range(count)
                   for message_id in services.webhook("lead.test", {"n": n}, dedupe_key=f"worker-test:{n}")]
            db.session.execute(update(OutboxEntry).where(OutboxEntry.id.in_(ids))
                               .values(available_at=available_at or real_now() - timedelta(minutes=1)))
        db.session.remove()
    return ids


def rows(app) -> dict[int, OutboxEntry]:
    """The outbox's messages (a running worker also queues the periodic jobs' runs: not what these tests send)."""
    with app.app_context():
        found = {entry.id: entry for entry in db.session.scalars(
            select(OutboxEntry).where(OutboxEntry.family == Family.MESSAGE))}
        db.session.expunge_all()
        db.session.remove()
    return found


# ---------------------------------------------------------------- the tests

def test_worker_once_delivers_what_is_due_and_exits(app, receivers):
    receiver = receivers()
    due = due_webhooks(app, receiver, 5)
    with app.app_context():
        with writers.write_transaction(db.session):
            [later] = services.webhook("lead.later", {}, dedupe_key="worker-test:later")
            db.session.execute(update(OutboxEntry).where(OutboxEntry.id == later)
                               .values(available_at=real_now() + timedelta(hours=1)))
        db.session.remove()

    status, said = finished(start_worker(app, "--once"))

    assert status == 0, said
    assert sorted(receiver.received()) == due and delivered_by(said) == 5
    found = rows(app)
    assert all((found[n].status, found[n].attempts, found[n].response_status) == (Status.DONE, 1, 200) for n in due)
    assert (found[later].status, found[later].attempts) == (Status.PENDING, 0)


def test_sigterm_mid_batch_finishes_the_message_in_hand_and_gives_back_the_rest(app, receivers):
    receiver = receivers(delay=0.2)  # each answer takes a while: the worker is mid-batch when told to stop
    ids = due_webhooks(app, receiver, 20)
    worker = start_worker(app, "--batch", "20", "--name", "stopping")
    assert receiver.wait_for(lambda got: len(got) >= 3), "the worker sent nothing"

    worker.send_signal(signal.SIGTERM)
    status, said = finished(worker)

    assert status == 0, said
    sent = receiver.received()
    assert len(sent) == len(set(sent)) and 3 <= len(sent) < 20
    found = rows(app)
    # What reached the receiver is on record as sent (the message in hand too); the rest was given back.
    assert {n for n in ids if found[n].status == Status.DONE} == set(sent)
    assert all(found[n].attempts == 1 for n in sent)
    given_back = [found[n] for n in ids if n not in sent]
    assert all((row.status, row.attempts, row.leased_by, row.leased_until) == (Status.PENDING, 0, None, None)
               for row in given_back)
    assert f"stopping: {len(given_back)} row(s) given back" in said

    receiver.delay = 0
    status, said = finished(start_worker(app, "--once"))
    assert status == 0, said
    assert sorted(receiver.received()) == ids  # nothing lost, nothing sent twice
    assert all(row.status == Status.DONE for row in rows(app).values())


def test_a_worker_killed_mid_send_loses_nothing_and_its_rows_come_back_with_the_same_id(app, receivers):
    receiver = receivers(delay=0.02, hold_at=8)  # the 8th message: in the second batch of five
    ids = due_webhooks(app, receiver, 20)
    lease = 2
    worker = start_worker(app, "--batch", "5", "--name", "killed", lease_seconds=lease)
    assert receiver.held.wait(WAIT_SECONDS), "the worker never reached the 8th message"

    worker.kill()  # SIGKILL while it waits for the receiver's answer
    assert worker.wait(WAIT_SECONDS) == -signal.SIGKILL
    before_kill = receiver.received()
    in_hand = before_kill[-1]
    leased = {n for n, row in rows(app).items() if row.status == Status.LEASED}
    assert leased and all(row.leased_by == "killed" for n, row in rows(app).items() if n in leased)
    assert in_hand in leased
    receiver.let_go()
    receiver.delay = 0

    restarted = start_worker(app, "--name", "restarted", lease_seconds=lease)
    everything = receiver.wait_for(lambda got: set(got) >= set(ids), timeout=lease + WAIT_SECONDS)
    restarted.send_signal(signal.SIGTERM)
    status, said = finished(restarted)

    assert everything, f"never received: {sorted(set(ids) - set(receiver.received()))}"
    assert status == 0, said
    received = receiver.received()
    after_restart = received[len(before_kill):]
    twice = {n for n, times in Counter(received).items() if times > 1}
    # Every duplicate is a message the killed worker had sent; its leased rows were sent again, same webhook-id.
    assert twice <= set(before_kill) and in_hand in twice
    assert leased <= set(after_restart)
    found = rows(app)
    assert all(row.status == Status.DONE and row.leased_by is None for row in found.values())
    assert all(found[n].attempts == 2 for n in leased)


def test_two_workers_draining_one_outbox_never_send_a_message_twice(app, receivers):
    receiver = receivers(gate_in_flight=2)  # no answer until both workers are sending
    ids = due_webhooks(app, receiver, 400)

    # Small batches: 80 claims, each a chance for the two workers' claims to meet (without SKIP LOCKED they
    # would take the same rows).
    workers = [start_worker(app, "--once", "--batch", "5", "--name", f"worker-{n}") for n in (1, 2)]
    results = [finished(worker) for worker in workers]

    assert [status for status, _said in results] == [0, 0], results
    counts = Counter(receiver.received())
    assert sorted(counts) == ids and set(counts.values()) == {1}
    delivered = [delivered_by(said) for _status, said in results]
    assert sum(delivered) == 400 and min(delivered) > 0
    assert all(row.status == Status.DONE and row.attempts == 1 for row in rows(app).values())
