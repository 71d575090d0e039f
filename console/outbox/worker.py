"""The background worker: claims due outbox rows, delivers messages and runs jobs, until told to stop.

Run it with `flask worker` (`./scripts/start` runs one beside gunicorn). Several
may run against one PostgreSQL database: claims use SKIP LOCKED and a lease, so
no two hold a row at once. A worker killed mid-send loses nothing: its lease
lapses and another (or the same, restarted) delivers the row again, with the
same id. Stopping (SIGTERM, Ctrl+C) finishes the message in hand, records what
was delivered and gives back what was not.
"""
from __future__ import annotations

import os
import socket
import threading
import traceback
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask

from console.clock import utcnow
from console.database.engine import Checkpointer
from console.extensions import db
from console.outbox import delivery, services
from console.outbox.rules import Family
from console.outbox.services import Claimed, Outcome


@dataclass
class Tally:
    delivered: int = 0
    failed: int = 0
    jobs: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


class Worker:
    def __init__(self, app: Flask, *, name: str | None = None, batch: int | None = None,
                 idle_seconds: float | None = None, log=None):
        self.app = app
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch or app.config["OUTBOX_BATCH"]
        self.idle_seconds = app.config["OUTBOX_IDLE_SECONDS"] if idle_seconds is None else idle_seconds
        self.log = log or (lambda message: None)
        self._stop = threading.Event()
        self.tally = Tally()
        self._next_periodic: datetime | None = None  # None: ask at the next turn of the loop

    def stop(self, *_args) -> None:
        """Finish the message in hand, then stop (a signal handler)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, *, once: bool = False) -> Tally:
        """Work until stopped; with `once`, until nothing is due."""
        with self.app.app_context():
            client = delivery.http_client()
            # SQLite: the worker writes the WAL back, so that no agent's commit does (database/engine.py).
            checkpointer = None if once else Checkpointer.start_for(db.engine)
            try:
                while not self.stopping:
                    if not once:
                        self._schedule_periodic()
                    claimed = services.claim(self.name, self.batch)
                    if not claimed:
                        db.session.remove()
                        if once:
                            break
                        self._stop.wait(self.idle_seconds)
                        continue
                    self._work(claimed, client)
                    db.session.remove()
            finally:
                client.close()
                if checkpointer is not None:
                    checkpointer.stop()
        return self.tally

    def _schedule_periodic(self) -> None:
        """Queue the periodic jobs' runs once their next slot has begun (one write a slot, not one a loop)."""
        if self._next_periodic is not None and utcnow() < self._next_periodic:
            return
        try:
            self._next_periodic = services.schedule_periodic()
        except Exception as error:  # noqa: BLE001  (messages keep flowing; the next turn asks again)
            db.session.rollback()
            self.log(f"scheduling periodic jobs failed: {error!r}")
            return
        if self._next_periodic is None:
            self._next_periodic = datetime.max  # none registered in this process

    def _work(self, claimed: list[Claimed], client) -> None:
        outcomes: list[tuple[Claimed, Outcome]] = []
        endpoints: dict = {}  # the CRM endpoints this batch sends to, each read once
        for index, row in enumerate(claimed):
            if self.stopping:
                services.settle(self.name, outcomes)
                services.release(self.name, claimed[index:])
                self.log(f"stopping: {len(claimed) - index} row(s) given back")
                return
            if row.family == Family.JOB:
                services.settle(self.name, outcomes)  # what was delivered before it is on record first
                outcomes = []
                self._record(row, self._run_job(row))
                continue
            outcome = self._attempt(lambda: delivery.deliver(row, client, endpoints), row)
            outcomes.append((row, outcome))
            self._count(outcome)
        services.settle(self.name, outcomes)

    def _attempt(self, deliver, row: Claimed) -> Outcome:
        try:
            return deliver()
        except Exception as error:  # noqa: BLE001  (a failed attempt, retried later; the worker goes on)
            self.log(f"{row.kind} {row.id} failed: {error!r}")
            return Outcome.failed(row.id, f"{type(error).__name__}: {error}"[:2000])

    def _run_job(self, row: Claimed) -> Outcome:
        kind = services.job_kind(row.kind)
        if kind is None:
            return Outcome.failed(row.id, f"no job kind {row.kind!r} is registered in this worker")

        def progress(done: int, total: int | None = None, stage: str = "") -> None:
            services.report_progress(self.name, row.id, done, total, stage)

        self.log(f"job {row.id} ({kind.title}) started")
        try:
            result = kind.run(row.payload, progress)
        except Exception as error:  # noqa: BLE001  (recorded on the job, retried later)
            db.session.rollback()
            self.log(f"job {row.id} failed: {error!r}")
            return Outcome.failed(row.id, "".join(traceback.format_exception_only(error)).strip()[:2000])
        self.log(f"job {row.id} done")
        self.tally.jobs += 1
        return Outcome.done(row.id, result=result or {})

    def _record(self, row: Claimed, outcome: Outcome) -> None:
        services.settle(self.name, [(row, outcome)])
        self._count(outcome)

    def _count(self, outcome: Outcome) -> None:
        if outcome.status == "failed":
            self.tally.failed += 1
        else:
            self.tally.delivered += 1
        self.tally.by_status[outcome.status] = self.tally.by_status.get(outcome.status, 0) + 1
