#!/usr/bin/env python
"""Benchmarks of the call queue, the outbox, the pages, the import and the rescoring: `scripts/bench.py claim`,
`outbox`, `pages`, `import` (scripts/bench_import.py says what that one does), `rescore` (scripts/bench_rescore.py),
`report` (scripts/bench_reports.py), `api` (scripts/bench_api.py: the JSON API's upserts against its hello world).

`claim` (see docs/queue.md, "Benchmark") builds a database with 1,000,000 leads in one campaign (US time zones spread
like the population, some numbers on the do-not-call list, some callbacks and
retries), then, on SQLite (a temporary file) and on PostgreSQL when
DATABASE_URL points to one:

1. agents: 16 agents claim through console.queue.services.claim_next_lead, talk
   for 0 to 2 × --talk-ms, and disposition through
   console.calls.services.record_disposition, for --seconds (claims per second
   and claim latency);
2. app and bare, in short interleaved rounds (app, bare, bare, app, …) on the same
   clock and the same database state: in the app's rounds 16 threads claim
   through claim_next_lead only, as fast as they can, each claim a fresh
   agent's; in the bare rounds 16 threads run the claim's SQL alone (the exact
   statements and parameters the claim uses, through the raw driver, one
   transaction each). Each side reports how many of its claims the fast path
   and the per-window path made.

Each run serves its 16 agents (or workers) the way the console is served: as
threads of --processes processes (default 2, the gunicorn workers ./scripts/start
runs), forked once the database is built.

It prints claims per second, p50/p95/p99 claim latency, leads handed to two
agents at once (must be 0), the app's and the bare statement's throughput, the
ratio app/bare and each side's share of fast-path claims; the last line is one
JSON object with every figure.

The console's clock is shifted to the next weekday at 17:00 UTC (midday in the
continental US) so that the result does not depend on the hour the bench runs.

`outbox` enqueues --messages CRM webhooks (services.webhook, one endpoint: a
receiver on loopback, in a process of its own, that answers 200 and counts
webhook-ids) in an empty database (SQLite: a temporary file; PostgreSQL when
DATABASE_URL points to one), then times a bare loop (one process posting the
same bodies with the same signed headers through the worker's HTTP client,
console.outbox.delivery.http_client()) and real `flask worker` processes
draining them (1 on SQLite, 2 on PostgreSQL), from the moment they become due
until every one is settled. It prints messages per second for both, the ratio
worker/bare, duplicates and lost messages (both must be 0); then a second pass:
as many messages again, a worker killed with SIGKILL a third of the way in and
restarted (lease --lease-seconds), lost (must be 0) and whether every duplicate
is an id received before the kill. The last line is one JSON object with every
figure. It runs on the real clock (the workers read it).

`pages` serves the console with gunicorn as ./scripts/start does (WEB_CONCURRENCY workers × 4 threads, on
PAGES_CLOCK, a weekday at midday in the US) on the bench's database (built like `claim`'s; on SQLite once
per size and schema into --cache-dir and copied for each run), and a Flask hello world under the same
settings; 16 browsers on loopback (threads with keep-alive connections in PAGES_CLIENT_PROCESSES processes),
each signed in as its own agent, ask for their own call screen, post answer autosaves, or open the queue page
(16 other agents, between calls), in --rounds interleaved rounds (default 3). It prints requests per second
and p95 per page and each page's ratio to the hello world's requests per second in the same round, the
median of the rounds, and every request that was not answered 200; the last line is one JSON object.

Each empties the PostgreSQL database: its name must contain "bench".
"""
from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.schema import CreateIndex, DropIndex  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import console.clock  # noqa: E402

AGENTS = 16
TARGET_P95_MS = 25.0
TARGET_RATIO = 0.5
RANDOM_SEED = 2026

# (area code, state, weight): roughly where US businesses are, so zones spread as in real lists.
AREA_CODES = (
    ("212", "NY", 60), ("718", "NY", 30), ("516", "NY", 12), ("617", "MA", 25), ("203", "CT", 12),
    ("215", "PA", 20), ("412", "PA", 10), ("201", "NJ", 20), ("302", "DE", 3), ("410", "MD", 15),
    ("202", "DC", 8), ("703", "VA", 18), ("704", "NC", 16), ("919", "NC", 12), ("843", "SC", 8),
    ("404", "GA", 25), ("305", "FL", 22), ("407", "FL", 14), ("813", "FL", 14), ("850", "FL", 4),
    ("502", "KY", 6), ("615", "TN", 12), ("901", "TN", 6), ("216", "OH", 12), ("614", "OH", 12),
    ("313", "MI", 14), ("317", "IN", 10), ("312", "IL", 45), ("414", "WI", 10), ("612", "MN", 16),
    ("314", "MO", 10), ("816", "MO", 8), ("504", "LA", 8), ("205", "AL", 8), ("601", "MS", 4),
    ("501", "AR", 4), ("405", "OK", 7), ("214", "TX", 30), ("713", "TX", 30), ("512", "TX", 16),
    ("210", "TX", 12), ("915", "TX", 4), ("316", "KS", 5), ("402", "NE", 5), ("515", "IA", 5),
    ("303", "CO", 18), ("801", "UT", 10), ("505", "NM", 4), ("602", "AZ", 18), ("520", "AZ", 5),
    ("208", "ID", 4), ("406", "MT", 2), ("307", "WY", 1), ("702", "NV", 9), ("415", "CA", 30),
    ("213", "CA", 30), ("619", "CA", 14), ("408", "CA", 16), ("916", "CA", 8), ("206", "WA", 20),
    ("509", "WA", 4), ("503", "OR", 10), ("907", "AK", 2), ("808", "HI", 3),
)


# ---------------------------------------------------------------- the shifted clock

def shift_clock(target: datetime) -> timedelta:
    """Make every `utcnow` in the console read `target` now, and run on from there."""
    offset = target - console.clock.utcnow()
    original = console.clock.utcnow

    def shifted() -> datetime:
        return original() + offset

    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("console") and getattr(module, "utcnow", None) is original:
            module.utcnow = shifted
    console.clock.utcnow = shifted
    return offset


def next_weekday_midday(now: datetime) -> datetime:
    day = now.date() + timedelta(days=1)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 17, 0)


# ---------------------------------------------------------------- building the database

def build(app, leads: int, log, capacity_agents: int = 60_000) -> dict:
    from sqlalchemy import select

    from console.auth import services as auth_services
    from console.auth.models import Role, User
    from console.campaigns.models import Campaign
    from console.extensions import db
    from console.guides import services as guide_services
    from console.compliance.rules import infer_time_zones
    from console.leads.models import Lead
    from console.leads.queue_columns import LeadState, queue_columns

    started = time.perf_counter()
    with app.app_context():
        engine = db.engine
        dialect = engine.dialect.name
        db.drop_all()
        db.create_all()
        agents = [auth_services.create_user(f"agent{n}@bench.example", f"Agent {n}", Role.TELEPROSPECTOR, "bench-password-1")
                  for n in range(AGENTS)]
        # Agents for the capacity and bare runs: each claims once, as an agent starting the day would
        # (an agent holds one lead at a time, and the claim statement itself checks it on PostgreSQL).
        password_hash = agents[0].password_hash
        for prefix in ("shift", "bare"):
            db.session.execute(User.__table__.insert(), [
                {"email": f"{prefix}{n}@bench.example", "full_name": f"{prefix.title()} {n}",
                 "role": Role.TELEPROSPECTOR, "password_hash": password_hash, "active": True,
                 "created_at": console.clock.utcnow()} for n in range(capacity_agents)])
        capacity_ids = list(db.session.scalars(select(User.id).where(User.email.like("shift%@bench.example"))))
        bare_ids = list(db.session.scalars(select(User.id).where(User.email.like("bare%@bench.example"))))
        guide, _version = guide_services.sync_file(guide_services.GUIDES_DIR / "default-b2b.yaml")
        campaign = Campaign(name="Benchmark campaign", source="list", priority=5, call_guide=guide,
                            calling_start=datetime.min.time().replace(hour=8), calling_end=datetime.min.time().replace(hour=21),
                            max_attempts=6, min_retry_minutes=60)
        db.session.add(campaign)
        db.session.commit()
        agent_ids = [agent.id for agent in agents]
        campaign_id = campaign.id
        # Bulk load without the lead indexes, then build them once (all on one raw connection).
        lead_indexes = [(str(DropIndex(index).compile(dialect=engine.dialect)),
                         str(CreateIndex(index).compile(dialect=engine.dialect))) for index in Lead.__table__.indexes]

    rng = random.Random(RANDOM_SEED)
    now = console.clock.utcnow()
    area_zones = {area: infer_time_zones(f"+1{area}5550100", state) for area, state, _w in AREA_CODES}
    weights = [weight for _a, _s, weight in AREA_CODES]
    counters = {area: itertools.count() for area, _s, _w in AREA_CODES}
    accounts = max(1, leads // 20)
    time_format = "%Y-%m-%d %H:%M:%S.%f" if dialect == "sqlite" else None

    def stamp(value):
        if value is None or time_format is None:
            return value
        return value.strftime(time_format)

    columns = ("id", "campaign_id", "account_id", "first_name", "last_name", "title", "buying_role", "email",
               "phone", "state", "time_zones", "source", "inbound", "stage", "queue_state", "next_call_at",
               "callback_owner_id", "attempts", "last_called_at", "claimed_by_id", "claim_expires_at", "score",
               "score_band", "version", "created_at", "updated_at", "do_not_call", "window_key", "queue_rank")
    do_not_call_phones = []
    counts = {"do_not_call": 0, "callbacks": 0, "retries": 0, "unknown_zone": 0, "inbound": 0}

    def rows():
        for lead_id in range(1, leads + 1):
            area, state, _w = rng.choices(AREA_CODES, weights)[0]
            serial = next(counters[area])
            phone = f"+1{area}{200 + serial // 10000 % 800}{serial % 10000:04d}"
            zones = area_zones[area]
            if rng.random() < 0.002:  # a number and an address that say nothing about the zone
                zones, state = [], None
                counts["unknown_zone"] += 1
            queue_state, next_call_at, owner, attempts, last_called = "new", None, None, 0, None
            roll = rng.random()
            if roll < 0.01:
                queue_state, attempts = "callback", rng.randint(1, 3)
                next_call_at = now + timedelta(minutes=rng.randint(-240, 240))
                last_called = now - timedelta(days=1)
                owner = rng.choice(agent_ids) if rng.random() < 0.3 else None
                counts["callbacks"] += 1
            elif roll < 0.05:
                queue_state, attempts = "retry", rng.randint(1, 5)
                next_call_at = now + timedelta(minutes=rng.randint(-600, 600))
                last_called = next_call_at - timedelta(hours=4)
                counts["retries"] += 1
            inbound = queue_state == "new" and rng.random() < 0.02
            counts["inbound"] += inbound
            on_list = rng.random() < 0.01
            if on_list:
                do_not_call_phones.append(phone)
                counts["do_not_call"] += 1
            score = None if rng.random() < 0.3 else rng.randint(0, 100)
            created = now - timedelta(minutes=lead_id % 500_000)
            facts = LeadState(queue_state=queue_state, zones=tuple(zones), state=state, do_not_call=on_list,
                              attempts=attempts, last_called_at=last_called, next_call_at=next_call_at,
                              callback_owner_id=owner, inbound=inbound, score=score)
            derived = queue_columns(facts, now)  # the one function every writer of a lead uses
            yield (lead_id, campaign_id, 1 + lead_id % accounts, "Pat", f"Lead{lead_id}", "VP Sales",
                   "decision maker", f"lead{lead_id}@bench.example", phone, state, ",".join(zones), "list",
                   inbound, "lead", queue_state, stamp(next_call_at), owner, attempts, stamp(last_called), None, None,
                   score, None, 1, stamp(created), stamp(created), on_list, derived["window_key"],
                   derived["queue_rank"])

    account_rows = ((n, f"Company {n}", "Software", 200, stamp(now)) for n in range(1, accounts + 1))
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for drop, _create in lead_indexes:
                cursor.execute(drop)
            if dialect == "sqlite":
                cursor.execute("PRAGMA synchronous = OFF")
                cursor.execute("BEGIN")
                cursor.executemany("INSERT INTO accounts (id, name, industry, employees, created_at) VALUES (?, ?, ?, ?, ?)",
                                   account_rows)
                cursor.executemany(f"INSERT INTO leads ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                                   rows())
                cursor.executemany("INSERT INTO do_not_call (phone, reason, added_at) VALUES (?, ?, ?)",
                                   ((phone, "bench opt-out", stamp(now)) for phone in do_not_call_phones))
                cursor.execute("COMMIT")
                cursor.execute("PRAGMA synchronous = NORMAL")
            else:
                with cursor.copy("COPY accounts (id, name, industry, employees, created_at) FROM STDIN") as copy:
                    for row in account_rows:
                        copy.write_row(row)
                with cursor.copy(f"COPY leads ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows():
                        copy.write_row(row)
                with cursor.copy("COPY do_not_call (phone, reason, added_at) FROM STDIN") as copy:
                    for phone in do_not_call_phones:
                        copy.write_row((phone, "bench opt-out", now))
                for table in ("accounts", "leads", "do_not_call"):
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
                raw.commit()
            loaded = time.perf_counter()
            for _drop, create in lead_indexes:
                cursor.execute(create)
            if dialect == "postgresql":
                raw.commit()
        finally:
            raw.close()
        if dialect == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        written_back = write_back(db.engine)
    log(f"  built {leads:,} leads in {loaded - started:.1f} s, indexes and statistics in "
        f"{time.perf_counter() - loaded:.1f} s ({counts})")
    if not written_back:
        log("  note: the build's pages could not be written back (PostgreSQL: CHECKPOINT needs a superuser or"
            " the pg_checkpoint role); the checkpoint its writes set off may slow the first timed phases")
    return {"agent_ids": agent_ids, "bare_ids": bare_ids, "capacity_ids": capacity_ids,
            "campaign_id": campaign_id, "counts": counts,
            "build_seconds": round(time.perf_counter() - started, 1)}


def write_back(engine) -> bool:
    """Write the build's pages back to the database files before anything is timed.

    A million rows and their indexes fill the write-ahead log; left alone, the
    checkpoint they set off runs during the first timed phases and slows them
    (PostgreSQL also logs every page again after it). Returns False when the
    database refused (PostgreSQL: CHECKPOINT needs a superuser or pg_checkpoint).
    """
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # outside any transaction, which would hold the checkpoint back
        try:
            busy, _pages, _copied = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            raw.close()
        return busy == 0
    from sqlalchemy.exc import ProgrammingError

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        try:
            connection.execute(text("CHECKPOINT"))
        except ProgrammingError:  # insufficient privilege
            return False
    return True


# ---------------------------------------------------------------- the runs
#
# The console is served by processes with threads (./scripts/start: gunicorn, WEB_CONCURRENCY
# workers), and the bench serves its agents the same way: --processes processes, forked once
# the database is built, each running its share of the 16 agents (or workers) as threads.
# Every run is timed from a gate that all threads of all processes pass together.

DISPOSITIONS = (("no_answer", 45), ("busy", 8), ("voicemail", 15), ("not_interested", 14), ("bad_number", 4),
                ("gatekeeper", 8), ("callback", 4), ("nurture", 1), ("do_not_call", 1))


def make_app(url: str):
    from console import create_app

    options = {"pool_size": AGENTS + 4, "max_overflow": 8}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PASSWORD_HASH_PROFILE": "CHEAPEST",
                       "SQLALCHEMY_ENGINE_OPTIONS": options})


def run_in_processes(url: str, phase, ids, threads: int, processes: int, **options) -> list[dict]:
    """Run `phase` in `processes` forked processes, `threads` threads in all; returns each process's report."""
    context = multiprocessing.get_context("fork")
    gate = context.Barrier(processes)
    reports = context.Queue()
    def share(n: int):
        return {side: listed[n::processes] for side, listed in ids.items()} if isinstance(ids, dict) \
            else ids[n::processes]

    children = [context.Process(target=_phase_in_child, args=(
        url, phase, share(n), len(range(threads)[n::processes]), gate, reports, options))
        for n in range(processes)]
    for child in children:
        child.start()
    results = [reports.get(timeout=options["seconds"] * 10 + 600) for _child in children]
    for child in children:
        child.join()
    errors = sorted({error for report in results for error in report.get("errors", [])})
    if errors:
        raise RuntimeError("workers failed: " + "; ".join(errors[:3]))
    return results


def _phase_in_child(url: str, phase, ids: list[int], threads: int, gate, reports, options: dict) -> None:
    try:
        app = make_app(url)
        report = phase(app, ids, threads, gate, **options)
        with app.app_context():
            from console.extensions import db

            db.session.remove()
            db.engine.dispose()
    except BaseException as error:  # noqa: BLE001  (reported to the parent, and the bench fails)
        import traceback

        traceback.print_exc()
        gate.abort()
        report = {"errors": [f"{type(error).__name__}: {error}"]}
    reports.put(report)


def _run_threads(target, arguments, gate, seconds: float) -> dict:
    """Run target(argument, box) in one thread per argument, from the moment every process is ready.

    Returns the box: `began` (when the gate opened), `at` (when to stop) and `wall`.
    """
    errors = []
    box = {}

    def open_gate():
        gate.wait()  # every thread of every process is ready
        box.update(began=time.perf_counter(), at=time.perf_counter() + seconds)

    barrier = threading.Barrier(len(arguments), action=open_gate)

    def guarded(argument):
        try:
            target(argument, barrier, box)
        except Exception as error:  # noqa: BLE001  (reported, and the bench fails)
            if not isinstance(error, threading.BrokenBarrierError):
                import traceback

                traceback.print_exc()
            errors.append(f"{type(error).__name__}: {error}")
            barrier.abort()

    workers = [threading.Thread(target=guarded, args=(argument,)) for argument in arguments]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise RuntimeError("; ".join(sorted(set(errors))[:3]))
    box["wall"] = time.perf_counter() - box["began"]
    return box


def agents_phase(app, agent_ids: list[int], _threads: int, gate, *, seconds: float, talk_ms: float) -> dict:
    """This process's agents claim, talk for a while (0 to 2 × talk_ms), and disposition, through the service layer."""
    from console.auth.services import signed_in_user
    from console.calls import services as calls
    from console.calls.errors import CallError
    from console.calls.models import Call
    from console.extensions import db
    from console.queue import services as queue

    codes = [code for code, _w in DISPOSITIONS]
    weights = [weight for _c, weight in DISPOSITIONS]
    report = {"latencies": [], "disposition_latencies": [], "claims": 0, "empty": 0, "refused": 0, "holds": []}
    lock = threading.Lock()

    def agent_loop(agent_id: int, barrier, box):
        rng = random.Random(agent_id)
        latencies, disposition_latencies, holds, empty, refused = [], [], [], 0, 0
        with app.app_context():
            agent = signed_in_user(agent_id)
            # Warm up: the caches of window keys and open windows fill on the first claim (not timed).
            call = queue.claim_next_lead(agent)
            if call is not None:
                _disposition(calls, call, agent, "no_answer", rng)
            db.session.remove()
            barrier.wait()
            while time.perf_counter() < box["at"]:
                # Each claim and each disposition is its own request: a fresh session, the agent loaded
                # by Flask-Login's user loader.
                agent = signed_in_user(agent_id)
                began = time.perf_counter()
                call = queue.claim_next_lead(agent)
                claimed_at = time.perf_counter()
                latencies.append(claimed_at - began)
                if call is None:
                    db.session.remove()
                    empty += 1
                    time.sleep(0.01)
                    continue
                lead_id, call_id = call.lead_id, call.id
                db.session.remove()
                if talk_ms:
                    time.sleep(rng.uniform(0, 2 * talk_ms) / 1000)
                code = rng.choices(codes, weights)[0]
                agent = signed_in_user(agent_id)
                began = time.perf_counter()
                # The agent held the lead from its claim until now (see docs/queue.md, "Benchmark").
                holds.append((lead_id, claimed_at, began))
                try:
                    _disposition(calls, db.session.get(Call, call_id), agent, code, rng)
                except CallError as error:
                    if "lapsed" not in str(error):
                        raise
                    refused += 1  # someone else took this agent's lead: a double claim
                disposition_latencies.append(time.perf_counter() - began)
                db.session.remove()
        with lock:
            report["latencies"].extend(latencies)
            report["disposition_latencies"].extend(disposition_latencies)
            report["holds"].extend(holds)
            report["claims"] += len(holds)
            report["empty"] += empty
            report["refused"] += refused

    box = _run_threads(agent_loop, agent_ids, gate, seconds)
    return {**report, "wall": box["wall"]}


def interleaved_phase(app, ids: dict, threads: int, gate, *, seconds: float, rounds: int, **_options) -> dict:
    """The app and the bare statement in short interleaved rounds, on the same clock and the same database state.

    `rounds` rounds of each side, seconds / rounds long, in the order app, bare, bare, app, app, bare…
    so that neither side always goes first. Every thread of every process runs the same side at the same
    time: each round opens on a gate that all of them pass together. App: threads claim through
    claim_next_lead, each claim a fresh agent's first (no dispositions between). Bare: threads run the
    claim's SQL alone (the exact text and parameters) through the raw driver, one transaction each; on
    SQLite queued on the same writer turn as the app. Both sides take the fast path, or the per-window
    path when the fast one finds nothing, the same way (they share this process's memo of a miss), and
    each reports how many claims each path made.
    """
    from console.auth.services import signed_in_user
    from console.extensions import db

    side_of = _Sides(app)
    report = {side: {"claims": 0, "empty": 0, "fast": 0, "per_window": 0, "wall": 0.0, "latencies": [], "leads": []}
              for side in ("app", "bare")}
    lock = threading.Lock()
    order = [side for n in range(rounds) for side in (("app", "bare") if n % 2 == 0 else ("bare", "app"))]
    round_seconds = seconds / rounds

    def worker(n: int, barrier, box):
        shares = {side: iter(ids[side][n::threads]) for side in ("app", "bare")}
        raw = side_of.engine.raw_connection()
        context = app.app_context()
        context.push()
        counts = {side: {"claims": 0, "empty": 0, "fast": 0, "per_window": 0, "latencies": [], "leads": []}
                  for side in ("app", "bare")}
        try:
            cursor = raw.cursor()
            for side in order:
                barrier.wait()  # every thread of every process starts the round together
                stop = box["round_started"] + round_seconds
                mine = counts[side]
                for agent_id in shares[side]:
                    if time.perf_counter() >= stop:
                        break
                    if side == "app":
                        agent = signed_in_user(agent_id)  # a request: a fresh session and the signed-in agent
                        began = time.perf_counter()
                        call = side_of.claim(agent)
                        mine["latencies"].append(time.perf_counter() - began)
                        if call is None:
                            mine["empty"] += 1
                        else:
                            mine["claims"] += 1
                            mine["leads"].append(call.lead_id)
                        db.session.remove()
                    else:
                        path = side_of.bare_claim(cursor, raw, agent_id)
                        if path is None:
                            mine["empty"] += 1
                        else:
                            mine["claims"] += 1
                            mine[path] += 1
                barrier.wait()  # the round ends for everyone before the next begins
        finally:
            raw.close()
            context.pop()
        with lock:
            for side, side_counts in counts.items():
                for name, value in side_counts.items():
                    report[side][name] += value

    box = _run_rounds(worker, range(threads), gate, order)
    for side, wall in box["side_walls"].items():
        report[side]["wall"] = wall
    report["app"].update(side_of.app_paths())
    with app.app_context():
        db.engine.dispose()
    return report


class _Sides:
    """How each side claims: the app through claim_next_lead, bare through the raw driver with the claim's own SQL."""

    def __init__(self, app):
        from console.database import writers
        from console.extensions import db
        from console.queue import services as queue

        self.queue = queue
        with app.app_context():
            self.engine = db.engine
            self.dialect = db.engine.dialect.name
            self.plan = queue.claim_plan(console.clock.utcnow())
            self.writer_lock = writers.lock_for_engine(db.engine)
        queue.forget_process_memory()  # the path counts start at zero (the plan is read again by the first claim)
        self._compiled = {}

    def claim(self, agent):
        return self.queue.claim_next_lead(agent)

    def app_paths(self) -> dict:
        """How this process's app claims found their lead (the claim counts its paths)."""
        paths = self.queue.claims_by_path
        return {"fast": paths["fast"], "per_window": paths["per_window"] + paths["own_callback"]}

    def _run(self, cursor, statement, parameters):
        compiled = self._compiled.get(id(statement))
        if compiled is None:
            compiled = self._compiled[id(statement)] = statement.compile(dialect=self.engine.dialect)
        cursor.execute(compiled.string, _driver_parameters(compiled, parameters))
        row = cursor.fetchone()
        cursor.fetchall()
        return row

    def bare_claim(self, cursor, raw, agent_id: int) -> str | None:
        """The claim's SQL alone, one transaction (on SQLite in the same writer turn the app queues on)."""
        bare = self.queue.bare_claim(self.plan.at(console.clock.utcnow()), agent_id)
        if self.dialect == "sqlite":
            self.writer_lock.acquire()
            cursor.execute("BEGIN IMMEDIATE")
        row, path = None, None
        fast = bare.fast
        if fast is not None:
            row = self._run(cursor, *fast)
            path = "fast" if row is not None else None
            if row is None:
                bare.fast_path_missed()
        if row is None:
            row = self._run(cursor, *bare.per_window)
            path = "per_window" if row is not None else None
        if self.dialect == "sqlite":
            cursor.execute("COMMIT")
            self.writer_lock.release()
        else:
            raw.commit()
        return path


def _driver_parameters(compiled, values: dict):
    processors = compiled._bind_processors
    values = {name: processors[name](value) if name in processors else value for name, value in values.items()}
    return tuple(values[name] for name in compiled.positiontup) if compiled.positiontup else values


def _run_rounds(target, arguments, gate, order: list[str]) -> dict:
    """Run target(argument, barrier, box) in one thread per argument, round by round across every process.

    The barrier's action opens each round (and closes it) for every thread of every process at once;
    box["side_walls"] adds up how long each side's rounds took, box["round_walls"] lists each round's.
    """
    errors = []
    box = {"side_walls": dict.fromkeys(order, 0.0), "round_walls": [], "phase": 0}

    def at_barrier():
        gate.wait()  # the other processes' threads are at the same barrier too
        now = time.perf_counter()
        if box["phase"] % 2 == 0:
            box["round_started"] = now
        else:
            box["side_walls"][order[box["phase"] // 2]] += now - box["round_started"]
            box["round_walls"].append(now - box["round_started"])
        box["phase"] += 1

    barrier = threading.Barrier(len(arguments), action=at_barrier)

    def guarded(argument):
        try:
            target(argument, barrier, box)
        except Exception as error:  # noqa: BLE001  (reported, and the bench fails)
            if not isinstance(error, threading.BrokenBarrierError):
                import traceback

                traceback.print_exc()
            errors.append(f"{type(error).__name__}: {error}")
            barrier.abort()

    workers = [threading.Thread(target=guarded, args=(argument,)) for argument in arguments]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise RuntimeError("; ".join(sorted(set(errors))[:3]))
    return box


def overlapping_holds(holds: list[tuple[int, float, float]]) -> int:
    """Claims of a lead made while another agent still held it (holds: lead, claimed at, released at)."""
    by_lead: dict[int, list[tuple[float, float]]] = {}
    for lead_id, claimed_at, released_at in holds:
        by_lead.setdefault(lead_id, []).append((claimed_at, released_at))
    overlaps = 0
    for spans in by_lead.values():
        spans.sort()
        released = spans[0][1]
        for claimed_at, released_at in spans[1:]:
            overlaps += claimed_at < released
            released = max(released, released_at)
    return overlaps


def _ms(sorted_values: list[float], percent: float) -> float | None:
    return round(_percentile(sorted_values, percent) * 1000, 2) if sorted_values else None


def _disposition(calls, call, agent, code: str, rng) -> None:
    """A disposition as the call screen sends it (record_disposition queues its own SQLite writer turn)."""
    callback_at = console.clock.utcnow() + timedelta(hours=2) if code == "callback" else None
    calls.record_disposition(call, agent, code, callback_at=callback_at, callback_anyone=rng.random() < 0.5)


def _percentile(sorted_values: list[float], percent: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(percent / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


# ---------------------------------------------------------------- the outbox bench
#
# `scripts/bench.py outbox`: --messages webhook messages to one CRM endpoint, a receiver on loopback in a
# process of its own, drained by real `flask worker` processes (1 on SQLite, 2 on PostgreSQL), against a bare
# loop posting the same bodies with the same signed headers through the same HTTP client in one process.

OUTBOX_WORKERS = {"sqlite": 1, "postgresql": 2}
OUTBOX_TARGET_RATIO = 0.5
OUTBOX_POLL_SECONDS = 0.02


class WebhookReceiver:
    """A CRM on loopback, in a process of its own: answers every POST 200 with an empty body and counts
    the webhook-ids it got. GET /counts gives them ({id: times}), GET /total how many requests came,
    POST /reset forgets them."""

    def __init__(self):
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        self.process = context.Process(target=self._serve, args=(theirs,), daemon=True)
        self.process.start()
        self.url = f"http://127.0.0.1:{ours.recv()}/hooks"
        import httpx

        self._control = httpx.Client(base_url=self.url.rsplit("/", 1)[0], timeout=30)

    @staticmethod
    def _serve(pipe) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        counts: dict[int, int] = {}
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a client reuses its connection, as the worker's does
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/reset":
                    with lock:
                        counts.clear()
                else:
                    webhook_id = int(self.headers["webhook-id"])
                    with lock:
                        counts[webhook_id] = counts.get(webhook_id, 0) + 1
                self._answer(b"")

            def do_GET(self):  # noqa: N802
                with lock:
                    answer = sum(counts.values()) if self.path == "/total" else dict(counts)
                self._answer(json.dumps(answer).encode())

            def _answer(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                if not isinstance(sys.exc_info()[1], ConnectionError):  # a worker killed mid-send: expected
                    super().handle_error(request, client_address)

        server = Server(("127.0.0.1", 0), Handler)
        pipe.send(server.server_port)
        server.serve_forever()

    def reset(self) -> None:
        self._control.post("/reset").raise_for_status()

    def total(self) -> int:
        return self._control.get("/total").json()

    def counts(self) -> dict[int, int]:
        return {int(webhook_id): times for webhook_id, times in self._control.get("/counts").json().items()}

    def close(self) -> None:
        self._control.close()
        self.process.kill()
        self.process.join()


class WorkerProcess:
    """`flask worker` in a process of its own, on the bench database; what it says is kept."""

    def __init__(self, url: str, *, lease_seconds: int | None = None):
        environment = {**os.environ, "FLASK_APP": "app.py", "DATABASE_URL": url, "SECRET_KEY": "bench",
                       "OUTBOX_IDLE_SECONDS": "0.05"}
        if lease_seconds is not None:
            environment["OUTBOX_MESSAGE_LEASE_SECONDS"] = str(lease_seconds)
        self.process = subprocess.Popen([sys.executable, "-m", "flask", "worker"], cwd=ROOT, env=environment,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.said: list[str] = []
        self.started = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.said.append(line.rstrip())
            if " started" in line:
                self.started.set()

    def wait_started(self, timeout: float = 60) -> None:
        if not self.started.wait(timeout):
            raise RuntimeError("a worker did not start: " + " | ".join(self.said[-20:]))

    def kill(self) -> int:
        self.process.kill()
        return self.process.wait()

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM: the worker finishes the message in hand and exits."""
        self.process.terminate()
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
        self._reader.join(5)
        return status


def outbox_build(url: str, receiver: WebhookReceiver):
    """The bench database, empty (db.create_all), with one CRM endpoint: the receiver."""
    from console.extensions import db
    from console.outbox import services

    app = make_app(url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        endpoint = services.save_endpoint(None, None, name="Bench CRM", url=receiver.url, allow_private_network=True)
        secret = endpoint.secret
        db.session.remove()
    return app, secret


def enqueue_webhooks(app, messages: int, tag: str) -> tuple[list[int], float]:
    """`messages` webhooks enqueued as business changes do (services.webhook, one transaction), held back
    (due in a day) until make_due. Returns their ids and the seconds the enqueueing took."""
    from sqlalchemy import update

    from console.database import writers
    from console.extensions import db
    from console.outbox import services
    from console.outbox.models import OutboxEntry

    began = time.perf_counter()
    with app.app_context():
        with writers.write_transaction(db.session):
            ids = [message_id for n in range(messages) for message_id in services.webhook(
                "lead.qualified", {"lead_id": n, "score": n % 100, "pass": tag}, dedupe_key=f"bench:{tag}:{n}")]
            db.session.execute(update(OutboxEntry).where(OutboxEntry.id.in_(ids))
                               .values(available_at=console.clock.utcnow() + timedelta(days=1)))
        db.session.remove()
    return ids, time.perf_counter() - began


def make_due(app, ids: list[int]) -> float:
    """The held-back messages become due, all at once, each as of when it was enqueued (as a message is:
    oldest first, as business changes made them); returns the moment they did (perf_counter)."""
    from sqlalchemy import update

    from console.database import writers
    from console.extensions import db
    from console.outbox.models import OutboxEntry

    with app.app_context():
        with writers.write_transaction(db.session):
            db.session.execute(update(OutboxEntry).where(OutboxEntry.id.in_(ids))
                               .values(available_at=OutboxEntry.created_at))
        committed = time.perf_counter()
        db.session.remove()
    return committed


def wait_settled(app, first_id: int, timeout: float) -> float:
    """Wait until no message from first_id on is open (pending, leased or failed); returns when (perf_counter)."""
    from console.extensions import db

    deadline = time.perf_counter() + timeout
    with app.app_context():
        while True:
            open_rows = db.session.scalar(text(
                "SELECT count(*) FROM outbox WHERE status IN ('pending', 'leased', 'failed') AND id >= :first"),
                {"first": first_id})
            db.session.rollback()
            now = time.perf_counter()
            if not open_rows:
                db.session.remove()
                return now
            if now > deadline:
                raise RuntimeError(f"{open_rows} message(s) still open after {timeout:.0f} s")
            time.sleep(OUTBOX_POLL_SECONDS)


def outbox_statuses(app, first_id: int) -> dict[str, int]:
    from console.extensions import db

    with app.app_context():
        found = dict(db.session.execute(text(
            "SELECT status, count(*) FROM outbox WHERE id >= :first GROUP BY status"), {"first": first_id}).all())
        retried = db.session.scalar(text("SELECT count(*) FROM outbox WHERE id >= :first AND attempts > 1"),
                                    {"first": first_id})
        db.session.remove()
    return {**found, "attempted_more_than_once": retried}


def bare_posts(app, secret: str, receiver: WebhookReceiver, ids: list[int]) -> float:
    """The floor: one process posting the messages' bodies, signed as the worker signs them, with the worker's
    HTTP client, one after another. The bodies and headers are made before the clock starts; returns seconds."""
    from sqlalchemy import select

    from console.extensions import db
    from console.outbox import delivery
    from console.outbox.models import OutboxEntry
    from console.outbox.services import Claimed

    with app.app_context():
        rows = db.session.execute(select(OutboxEntry.id, OutboxEntry.kind, OutboxEntry.payload)
                                  .where(OutboxEntry.id.in_(ids)).order_by(OutboxEntry.id)).all()
        db.session.remove()
    prepared = []
    for row in rows:
        body = delivery.webhook_body(Claimed(row.id, "message", row.kind, row.payload, 1, 8))
        prepared.append((body.encode(), delivery.signed_headers(secret, str(row.id), body, console.clock.utcnow())))
    client = delivery.http_client()
    try:
        began = time.perf_counter()
        for body, headers in prepared:
            response = client.post(receiver.url, content=body, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"the receiver answered {response.status_code}")
        return time.perf_counter() - began
    finally:
        client.close()


def received_figures(counts: dict[int, int], ids: list[int]) -> dict:
    wanted = set(ids)
    return {"lost": len(wanted - set(counts)), "duplicates": sum(times - 1 for n, times in counts.items() if n in wanted),
            "strangers": len(set(counts) - wanted)}


def bench_outbox_database(url: str, args, log) -> dict:
    name = make_url(url).get_backend_name()
    processes = OUTBOX_WORKERS[name]
    receiver = WebhookReceiver()
    workers: list[WorkerProcess] = []
    try:
        app, secret = outbox_build(url, receiver)
        log(f"{name}: enqueueing {args.messages:,} webhooks…")
        ids, enqueue_seconds = enqueue_webhooks(app, args.messages, "first")

        log(f"{name}: bare loop: one process posts the same bodies with the same signed headers…")
        receiver.reset()
        bare_seconds = bare_posts(app, secret, receiver, ids)
        bare = received_figures(receiver.counts(), ids)
        if bare["lost"] or bare["duplicates"]:
            raise RuntimeError(f"the bare loop's posts did not all arrive once: {bare}")

        log(f"{name}: {processes} worker process{'es' if processes > 1 else ''} drain them…")
        workers = [WorkerProcess(url) for _n in range(processes)]
        for worker in workers:
            worker.wait_started()
        receiver.reset()
        began = make_due(app, ids)
        settled = wait_settled(app, ids[0], timeout=args.messages / 50 + 120)
        worker_seconds = settled - began
        first = received_figures(receiver.counts(), ids)
        statuses = outbox_statuses(app, ids[0])
        stopped = [worker.stop() for worker in workers]
        workers = []
        figures = {
            "database": name, "messages": args.messages, "worker_processes": processes,
            "batch": app.config["OUTBOX_BATCH"],
            "enqueue_per_s": round(args.messages / enqueue_seconds, 1),
            "worker_seconds": round(worker_seconds, 2), "worker_per_s": round(args.messages / worker_seconds, 1),
            "bare_seconds": round(bare_seconds, 2), "bare_per_s": round(args.messages / bare_seconds, 1),
            "duplicates": first["duplicates"], "lost": first["lost"] + first["strangers"],
            "not_done": args.messages - statuses.get("done", 0),
            "attempted_more_than_once": statuses["attempted_more_than_once"],
            "worker_exit_codes": stopped,
        }
        figures["ratio"] = round(figures["worker_per_s"] / figures["bare_per_s"], 3)
        log(f"{name}: workers {figures['worker_per_s']} messages/s, bare {figures['bare_per_s']} messages/s, ratio"
            f" {figures['ratio']}; duplicates {figures['duplicates']}, lost {figures['lost']}")

        log(f"{name}: kill pass: {args.messages:,} more, a worker killed (-9) mid-drain and restarted, lease"
            f" {args.lease_seconds} s…")
        more, _seconds = enqueue_webhooks(app, args.messages, "killed")
        workers = [WorkerProcess(url, lease_seconds=args.lease_seconds) for _n in range(processes)]
        for worker in workers:
            worker.wait_started()
        receiver.reset()
        began = make_due(app, more)
        while receiver.total() < args.messages // 3:
            time.sleep(OUTBOX_POLL_SECONDS)
        killed_status = workers[0].kill()
        time.sleep(0.05)  # what the killed worker had on the wire has arrived
        before_kill = receiver.counts()
        workers[0] = WorkerProcess(url, lease_seconds=args.lease_seconds)
        settled = wait_settled(app, more[0], timeout=args.messages / 50 + 120 + args.lease_seconds)
        after = receiver.counts()
        second = received_figures(after, more)
        statuses = outbox_statuses(app, more[0])
        stopped = [worker.stop() for worker in workers]
        workers = []
        twice = {n for n, times in after.items() if times > 1}
        figures.update({
            "kill_pass_messages": args.messages, "kill_lease_seconds": args.lease_seconds,
            "kill_received_before_kill": sum(before_kill.values()), "kill_killed_exit_code": killed_status,
            "kill_lost": second["lost"] + second["strangers"], "kill_duplicates": second["duplicates"],
            "kill_duplicated_ids": len(twice),
            "kill_duplicates_already_received": twice <= set(before_kill),
            "kill_not_done": args.messages - statuses.get("done", 0),
            "kill_seconds": round(settled - began, 2), "kill_worker_exit_codes": stopped,
        })
        figures["targets_met"] = bool(
            figures["ratio"] >= OUTBOX_TARGET_RATIO and figures["duplicates"] == 0 and figures["lost"] == 0
            and figures["not_done"] == 0 and figures["kill_lost"] == 0 and figures["kill_not_done"] == 0
            and figures["kill_duplicates_already_received"]
            and all(status == 0 for status in figures["worker_exit_codes"] + stopped))
        log(f"{name}: kill pass: killed after {figures['kill_received_before_kill']} received; lost"
            f" {figures['kill_lost']}, {figures['kill_duplicates']} duplicate(s) of {len(twice)} id(s), every one"
            f" already received: {figures['kill_duplicates_already_received']}; drained in {figures['kill_seconds']} s")
        with app.app_context():
            from console.extensions import db

            db.session.remove()
            db.engine.dispose()
        return figures
    finally:
        for worker in workers:
            worker.kill()
        receiver.close()


def on_each_database(args, bench) -> dict:
    """bench(url) on SQLite in a temporary file, then on PostgreSQL when DATABASE_URL points to one (--only: one)."""
    results = {}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="console-bench-") as directory:
            results["sqlite"] = bench(f"sqlite:///{Path(directory) / 'bench.db'}")
    postgres_url = postgres_bench_url() if args.only in (None, "postgresql") else None
    if postgres_url:
        results["postgresql"] = bench(postgres_url)
    elif args.only == "postgresql":
        raise SystemExit("DATABASE_URL does not point to PostgreSQL")
    return results


def outbox_main(args, log) -> int:
    results = on_each_database(args, lambda url: bench_outbox_database(url, args, log))
    results["targets"] = {"ratio_at_least": OUTBOX_TARGET_RATIO, "duplicates": 0, "lost": 0, "kill_lost": 0,
                          "kill_duplicates_already_received": True}
    results["definitions"] = {
        "worker_per_s": "messages / seconds from the moment they became due (one commit) until every one was"
                        " settled, drained by worker_processes `flask worker` processes",
        "bare_per_s": "one process posting the same bodies with the same signed headers through"
                      " console.outbox.delivery.http_client(), one after another (made before the clock starts)",
        "ratio": "worker_per_s / bare_per_s",
        "duplicates, lost": "webhook-ids the receiver got more than once, never (first pass, no kills)",
        "kill_*": "a second batch; a worker killed with SIGKILL a third of the way in and restarted, the lease"
                  " kill_lease_seconds: kill_lost must be 0, and every id received twice must be one received"
                  " before the kill (kill_duplicates_already_received)",
    }
    results["targets_met"] = all(figures["targets_met"] for key, figures in results.items()
                                 if key in ("sqlite", "postgresql"))
    print(json.dumps(results, sort_keys=True), flush=True)
    return 0


# ---------------------------------------------------------------- the pages bench
#
# `scripts/bench.py pages`: the console served by gunicorn as ./scripts/start serves it, on the bench's database
# (1M leads by default), and a Flask hello world under the same gunicorn settings, both on loopback; 16 agents'
# browsers (threads with keep-alive connections, PAGES_CLIENT_PROCESSES processes) ask for one page at a time.

PAGES_TARGETS = {"call_screen_ratio_at_least": 0.10, "autosave_ratio_at_least": 0.20, "call_screen_p95_ms_below": 50.0}
PAGES_SIDES = ("hello", "call_screen", "autosave", "queue")
PAGES_ROUNDS = 3
PAGES_CLIENT_PROCESSES = 2
# A Wednesday at midday in the continental US and no holiday anywhere: every lead's window is open, whenever the
# bench runs, and a database built once (cached, see pages_database) is as fresh on every run.
PAGES_CLOCK = datetime(2026, 11, 18, 17, 0)
# ./scripts/start: gunicorn --workers "${WEB_CONCURRENCY:-2}" --threads 4 --access-logfile - app:app
# (tests/integration/test_bench_script.py checks that scripts/start still says so).
GUNICORN_THREADS = 4
BENCH_PASSWORD = "bench-password-1"


def served_console():
    """gunicorn's app factory for the bench (`bench:served_console()`): the console as app.py builds it,
    on the bench's clock (PAGES_CLOCK, ticking), configured from the environment like ./scripts/start; the
    agents' passwords are checked with the cheapest hash (signing in is not timed)."""
    shift_clock(PAGES_CLOCK)
    from console import create_app

    return create_app({"PASSWORD_HASH_PROFILE": "CHEAPEST"})


def hello_world():
    """gunicorn's app factory for the floor: Flask answering "Hello, World!"."""
    from flask import Flask

    app = Flask("hello")

    @app.get("/")
    def hello():
        return "Hello, World!"

    return app


def gunicorn_command(spec: str, port: int) -> list[str]:
    """gunicorn as ./scripts/start runs it, serving `spec` (a factory in this file) on loopback."""
    return [sys.executable, "-m", "gunicorn", "--workers", os.environ.get("WEB_CONCURRENCY", "2"),
            "--threads", str(GUNICORN_THREADS), "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
            "--pythonpath", str(ROOT / "scripts"), "--chdir", str(ROOT), spec]


class Served:
    """A gunicorn master and its workers, in a process group of their own; what they log is kept in a file."""

    def __init__(self, spec: str, environment: dict, ready_path: str, directory: Path):
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log_path = directory / f"gunicorn-{spec.split(':')[1].rstrip('()')}.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(gunicorn_command(spec, self.port), cwd=ROOT, env=environment,
                                        stdout=subprocess.DEVNULL, stderr=self._log, start_new_session=True)
        self._wait_ready(ready_path)

    def _wait_ready(self, path: str, timeout: float = 90) -> None:
        import http.client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}): {self.said()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", path)
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer {path} within {timeout:.0f} s: {self.said()}")

    def said(self, lines: int = 30) -> str:
        self._log.flush()
        return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        import signal

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


class Browser:
    """One person's browser on loopback: a keep-alive connection and the cookies the console set."""

    def __init__(self, port: int):
        import http.client

        self._http = http.client
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        """(status, body text, Location); a connection the server closed while idle is opened again once."""
        from urllib.parse import urlencode

        headers = dict(headers or {})
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body, headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (self._http.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()  # gunicorn closes a keep-alive connection idle for 2 s
                if attempt == 2:
                    raise
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return response.status, data.decode("utf-8", "replace"), response.getheader("Location")

    def close(self) -> None:
        self.connection.close()


def _csrf_token(page: str) -> str:
    import re

    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page) or re.search(
        r'"X-CSRFToken": "([^"]+)"', page)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def _lead_version(page: str) -> int:
    import re

    match = re.search(r'id="lead-version"[^>]*\bvalue="(\d+)"', page)
    if match is None:
        raise RuntimeError("the page does not say the lead's version")
    return int(match.group(1))


class PagesAgent:
    """An agent signed in in their own browser: a call screen of their own (claimed through Next lead), or none."""

    def __init__(self, port: int, email: str, *, claim: bool):
        self.browser = Browser(port)
        status, page, _location = self.browser.request("GET", "/login")
        status, page, location = self.browser.request(
            "POST", "/login", {"email": email, "password": BENCH_PASSWORD, "csrf_token": _csrf_token(page)})
        if status != 303:
            raise RuntimeError(f"{email} could not sign in ({status})")
        self.call_path = None
        if claim:
            status, page, _location = self.browser.request("GET", "/queue")
            status, page, location = self.browser.request("POST", "/queue/next", {"csrf_token": _csrf_token(page)})
            if status != 303 or "/calls/" not in (location or ""):
                raise RuntimeError(f"{email} could not claim a lead ({status}, {location})")
            self.call_path = "/" + location.split("://", 1)[-1].split("/", 1)[1] if "://" in location else location
            status, page, _location = self.browser.request("GET", self.call_path)
            if status != 200:
                raise RuntimeError(f"{email}'s call screen answered {status}")
            self.token, self.version = _csrf_token(page), _lead_version(page)
            from console.scoring.rules import SHIPPED_MODEL

            criterion = SHIPPED_MODEL.criteria[0]
            self.criterion, self.answers, self.saves = criterion.key, [option.value for option in criterion.options[:2]], 0

    def call_screen(self) -> int:
        return self.browser.request("GET", self.call_path)[0]

    def autosave(self) -> int:
        """The answer autosave as htmx sends it: the answer, the page's lead version, the CSRF token in a header."""
        self.saves += 1
        status, fragment, _location = self.browser.request(
            "POST", self.call_path + "/answers",
            {"criterion": self.criterion, "value": self.answers[self.saves % 2], "version": str(self.version)},
            {"HX-Request": "true", "X-CSRFToken": self.token, "HX-Current-URL": self.call_path})
        if status == 200:
            self.version = _lead_version(fragment)
        return status

    def queue(self) -> int:
        return self.browser.request("GET", "/queue")[0]


def pages_phase(_app, ids: dict, threads: int, gate, *, seconds: float, rounds: int, ports: dict) -> dict:
    """This process's browsers: each thread signs in a calling agent (who claims a lead) and an agent between
    calls, then all of them ask for one side's page, as fast as answers come, round by round (sides interleaved)."""
    order = [side for n in range(rounds) for side in (PAGES_SIDES if n % 2 == 0 else PAGES_SIDES[::-1])]
    round_seconds = seconds / rounds
    results = [{"requests": 0, "failed": 0, "latencies": [], "statuses": {}} for _side in order]
    lock = threading.Lock()

    def worker(n: int, barrier, box):
        calling = PagesAgent(ports["console"], ids["calling"][n], claim=True)
        between = PagesAgent(ports["console"], ids["between"][n], claim=False)
        hello = Browser(ports["hello"])
        expected = {"hello": 200, "call_screen": 200, "autosave": 200, "queue": 200}
        ask = {"hello": lambda: hello.request("GET", "/")[0], "call_screen": calling.call_screen,
               "autosave": calling.autosave, "queue": between.queue}
        for side in PAGES_SIDES:  # warm up: templates compiled, caches filled, connections open (not timed)
            for _warm in range(3):
                ask[side]()
        mine = [{"requests": 0, "failed": 0, "latencies": [], "statuses": {}} for _side in order]
        try:
            for index, side in enumerate(order):
                barrier.wait()  # every thread of every process starts the round together
                stop = box["round_started"] + round_seconds
                counts, request = mine[index], ask[side]
                while True:
                    began = time.perf_counter()
                    if began >= stop:
                        break
                    status = request()
                    counts["latencies"].append(time.perf_counter() - began)
                    counts["requests"] += 1
                    if status != expected[side]:
                        counts["failed"] += 1
                        counts["statuses"][status] = counts["statuses"].get(status, 0) + 1
                barrier.wait()  # the round ends for everyone before the next begins
        finally:
            for browser in (calling.browser, between.browser, hello):
                browser.close()
        with lock:
            for total, counts in zip(results, mine):
                total["requests"] += counts["requests"]
                total["failed"] += counts["failed"]
                total["latencies"].extend(counts["latencies"])
                for status, times in counts["statuses"].items():
                    total["statuses"][status] = total["statuses"].get(status, 0) + times

    box = _run_rounds(worker, range(threads), gate, order)
    return {"order": order, "rounds": results, "walls": box["round_walls"]}


def pages_schema_key(leads: int) -> str:
    """What a cached bench database depends on: its size, the tables and indexes, the build and the guide it loads."""
    import hashlib
    import inspect

    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateTable

    import console.models  # noqa: F401  (every table on the metadata)
    from console.extensions import db
    from console.guides.services import GUIDES_DIR

    digest = hashlib.sha256(inspect.getsource(build).encode())
    for table in db.metadata.sorted_tables:
        digest.update(str(CreateTable(table).compile(dialect=sqlite.dialect())).encode())
        for index in sorted(table.indexes, key=lambda index: index.name or ""):
            digest.update(str(CreateIndex(index).compile(dialect=sqlite.dialect())).encode())
    digest.update((GUIDES_DIR / "default-b2b.yaml").read_bytes())
    return f"{leads}-leads-{digest.hexdigest()[:12]}"


def pages_database(url: str, args, log) -> dict:
    """The bench's database at `url`. SQLite: a copy of one built once per size and schema and kept in
    --cache-dir (built there first if missing); PostgreSQL: built in place."""
    import shutil

    name = make_url(url).get_backend_name()
    shift_clock(PAGES_CLOCK)  # the build dates its leads as of the clock the console is served on
    if name != "sqlite":
        log(f"{name}: building…")
        built = build(make_app(url), args.leads, log, capacity_agents=AGENTS)
        built["cached"] = False
        return built
    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    key = pages_schema_key(args.leads)
    cached, facts = cache / f"pages-{key}.db", cache / f"pages-{key}.json"
    if not (cached.exists() and facts.exists()):
        log(f"{name}: building {args.leads:,} leads once into {cached} (kept for the next runs)…")
        building = cache / f"pages-{key}.building.db"
        for stale in cache.glob(f"pages-{key}.building.db*"):
            stale.unlink()
        app = make_app(f"sqlite:///{building}")
        built = build(app, args.leads, log, capacity_agents=AGENTS)
        with app.app_context():
            from console.extensions import db

            db.session.remove()
            db.engine.dispose()
        building.rename(cached)
        for leftover in cache.glob(f"pages-{key}.building.db*"):  # the writer turn's lock file
            leftover.unlink()
        facts.write_text(json.dumps({"build_seconds": built["build_seconds"], "counts": built["counts"]}))
    else:
        log(f"{name}: {args.leads:,} leads from {cached}")
    shutil.copyfile(cached, make_url(url).database)
    return {**json.loads(facts.read_text()), "cached": True}


def bench_pages_database(url: str, args, log) -> dict:
    name = make_url(url).get_backend_name()
    built = pages_database(url, args, log)
    rounds = args.rounds or PAGES_ROUNDS
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "FLASK_APP": "app.py"}
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
    calling = [f"agent{n}@bench.example" for n in range(AGENTS)]
    between = [f"shift{n}@bench.example" for n in range(AGENTS)]
    with tempfile.TemporaryDirectory(prefix="console-bench-pages-") as directory:
        served = []
        try:
            served.append(Served("bench:served_console()", environment, "/healthz", Path(directory)))
            served.append(Served("bench:hello_world()", environment, "/", Path(directory)))
            console_server, hello_server = served
            log(f"{name}: gunicorn ({workers} workers × {GUNICORN_THREADS} threads) serves the console on port"
                f" {console_server.port} and a hello world on port {hello_server.port}; {AGENTS} browsers"
                f" ({PAGES_CLIENT_PROCESSES} processes) in {rounds} interleaved rounds of {', '.join(PAGES_SIDES)},"
                f" {args.seconds / rounds:.1f} s each…")
            reports = run_in_processes(url, pages_phase, {"calling": calling, "between": between}, AGENTS,
                                       PAGES_CLIENT_PROCESSES, seconds=args.seconds, rounds=rounds,
                                       ports={"console": console_server.port, "hello": hello_server.port})
            server_errors = [server.said(10) for server in served if "Traceback" in server.log_path.read_text()]
        finally:
            for server in served:
                server.stop()
    figures = pages_figures(reports, rounds)
    figures.update({"database": name, "leads": args.leads, "browsers": AGENTS, "gunicorn_workers": workers,
                    "gunicorn_threads": GUNICORN_THREADS, "rounds": rounds, "round_seconds": round(args.seconds / rounds, 2),
                    "build_seconds": built["build_seconds"], "database_from_cache": built["cached"],
                    "server_errors": len(server_errors)})
    if server_errors:
        log(f"{name}: the console logged errors: {server_errors[0]}")
    figures["targets_met"] = bool(
        (figures["call_screen_ratio"] or 0) >= PAGES_TARGETS["call_screen_ratio_at_least"]
        and (figures["autosave_ratio"] or 0) >= PAGES_TARGETS["autosave_ratio_at_least"]
        and (figures["call_screen_p95_ms"] or 1e9) < PAGES_TARGETS["call_screen_p95_ms_below"]
        and not any(figures["failed"].values()))
    log(f"{name}: hello world {figures['hello_rps']} requests/s; call screen {figures['call_screen_rps']}/s (ratio"
        f" {figures['call_screen_ratio']}, p95 {figures['call_screen_p95_ms']} ms); autosave"
        f" {figures['autosave_rps']}/s (ratio {figures['autosave_ratio']}, p95 {figures['autosave_p95_ms']} ms);"
        f" queue {figures['queue_rps']}/s (ratio {figures['queue_ratio']}, p95 {figures['queue_p95_ms']} ms);"
        f" failed {figures['failed']}")
    return figures


def pages_figures(reports: list[dict], rounds: int) -> dict:
    """Each round's requests per second and p95 per side (every process's browsers together), each page's ratio
    to the hello world's requests per second in the same round, and the median of the rounds of each."""
    from statistics import median

    order = reports[0]["order"]
    per_round = []
    for index, side in enumerate(order):
        requests = sum(report["rounds"][index]["requests"] for report in reports)
        wall = max(report["walls"][index] for report in reports)
        latencies = sorted(value for report in reports for value in report["rounds"][index]["latencies"])
        per_round.append({"round": index // len(PAGES_SIDES), "side": side, "requests": requests,
                          "seconds": round(wall, 2), "rps": round(requests / wall, 1) if wall else None,
                          "p95_ms": _ms(latencies, 95)})
    hello_of = {entry["round"]: entry["rps"] for entry in per_round if entry["side"] == "hello"}
    for entry in per_round:
        entry["ratio"] = round(entry["rps"] / hello_of[entry["round"]], 3) if entry["rps"] and hello_of[entry["round"]] \
            else None
    figures = {"per_round": per_round, "requests": {}, "failed": {}, "failed_statuses": {}}
    for side in PAGES_SIDES:
        mine = [entry for entry in per_round if entry["side"] == side]
        for name in ("rps", "p95_ms") + (("ratio",) if side != "hello" else ()):
            values = [entry[name] for entry in mine if entry[name] is not None]
            figures[f"{side}_{name}"] = round(median(values), 3 if name == "ratio" else 1) if values else None
        indexes = [index for index, entry in enumerate(order) if entry == side]
        figures["requests"][side] = sum(report["rounds"][index]["requests"] for report in reports for index in indexes)
        figures["failed"][side] = sum(report["rounds"][index]["failed"] for report in reports for index in indexes)
        statuses: dict[str, int] = {}
        for report in reports:
            for index in indexes:
                for status, times in report["rounds"][index]["statuses"].items():
                    statuses[str(status)] = statuses.get(str(status), 0) + times
        if statuses:
            figures["failed_statuses"][side] = statuses
    return figures


def pages_main(args, log) -> int:
    results = on_each_database(args, lambda url: bench_pages_database(url, args, log))
    results["targets"] = PAGES_TARGETS
    results["definitions"] = {
        "hello_rps": "a Flask hello world served by the same gunicorn settings, on loopback, asked by the same"
                     " 16 browsers (the floor of serving anything)",
        "call_screen_rps, _p95_ms": "GET of each calling agent's own call screen (the agent signed in, the lead"
                                    " claimed through Next lead before the clock starts)",
        "autosave_rps, _p95_ms": "the answer autosave as htmx posts it (CSRF header, the page's lead version,"
                                 " alternating between two answers)",
        "queue_rps, _p95_ms": "GET /queue by 16 other agents, between calls (it counts their dialable leads)",
        "*_ratio": "the page's requests per second / the hello world's, in the same round",
        "medians": "each figure is the median of the rounds (sides interleaved: hello, call screen, autosave,"
                   " queue, then the other way round)",
        "failed": "requests answered with another status than 200 (must be 0)",
    }
    results["targets_met"] = all(figures["targets_met"] for key, figures in results.items()
                                 if key in ("sqlite", "postgresql"))
    print(json.dumps(results, sort_keys=True), flush=True)
    return 0


# ---------------------------------------------------------------- main

def bench_database(url: str, args, log) -> dict:
    app = make_app(url)
    name = make_url(url).get_backend_name()
    log(f"{name}: building…")
    built = build(app, args.leads, log, capacity_agents=args.fresh_agents)
    with app.app_context():
        from console.extensions import db

        db.session.remove()
        db.engine.dispose()  # the runs fork: no connection may cross into a child
    layout = f"{args.processes} process{'es' if args.processes > 1 else ''} × {AGENTS // args.processes} threads"
    timing = {"seconds": args.seconds, "talk_ms": args.talk_ms}

    log(f"{name}: {AGENTS} agents ({layout}) claim, talk (0–{2 * args.talk_ms:.0f} ms) and disposition"
        f" for {args.seconds:.0f} s…")
    reports = run_in_processes(url, agents_phase, built["agent_ids"], AGENTS, args.processes, **timing)
    agents = _agents_figures(app, reports, args.talk_ms)

    log(f"{name}: app and bare claim statement in {args.rounds} interleaved rounds each, {AGENTS} threads"
        f" ({layout}), {args.seconds:.0f} s per side…")
    ids = {"app": built["capacity_ids"], "bare": built["bare_ids"]}
    reports = run_in_processes(url, interleaved_phase, ids, AGENTS, args.processes, rounds=args.rounds, **timing)
    sides = {side: {name: sum(report[side][name] for report in reports) for name in ("claims", "empty", "fast",
                                                                                     "per_window")}
             for side in ("app", "bare")}
    walls = {side: max(report[side]["wall"] for report in reports) for side in ("app", "bare")}
    latencies = sorted(value for report in reports for value in report["app"]["latencies"])
    leads = [lead_id for report in reports for lead_id in report["app"]["leads"]]
    capacity = {"app_claims": sides["app"]["claims"], "app_claims_per_s": round(sides["app"]["claims"] / walls["app"], 1),
                "app_p50_ms": _ms(latencies, 50), "app_p95_ms": _ms(latencies, 95), "app_p99_ms": _ms(latencies, 99),
                "app_empty": sides["app"]["empty"], "app_fast_path": sides["app"]["fast"],
                "app_per_window_path": sides["app"]["per_window"]}
    bare = {"bare_claims": sides["bare"]["claims"], "bare_empty": sides["bare"]["empty"],
            "bare_fast_path": sides["bare"]["fast"], "bare_per_window_path": sides["bare"]["per_window"],
            "bare_claims_per_s": round(sides["bare"]["claims"] / walls["bare"], 1)}
    for side, figures_of in (("app", capacity), ("bare", bare)):
        made = sides[side]["fast"] + sides[side]["per_window"]
        figures_of[f"{side}_fast_path_share"] = round(sides[side]["fast"] / made, 3) if made else None

    figures = {"database": name, "leads": args.leads, "agents": AGENTS, "processes": args.processes,
               **agents, **capacity, **bare}
    figures["double_claims"] += len(leads) - len(set(leads))
    figures["ratio"] = round(figures["app_claims_per_s"] / figures["bare_claims_per_s"], 3) \
        if figures["bare_claims_per_s"] else None
    figures["build_seconds"] = built["build_seconds"]
    figures["targets_met"] = bool((figures["p95_ms"] or 1e9) < TARGET_P95_MS and (figures["ratio"] or 0) >= TARGET_RATIO
                                  and figures["double_claims"] == 0)
    log(f"{name}: agents {figures['claims_per_s']} claims/s, claim p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']}"
        f" ms, p99 {figures['p99_ms']} ms; capacity {figures['app_claims_per_s']} claims/s (p95 {figures['app_p95_ms']}"
        f" ms); bare {figures['bare_claims_per_s']} claims/s; ratio {figures['ratio']}; double claims"
        f" {figures['double_claims']}")
    return figures


def _agents_figures(app, reports: list[dict], talk_ms: float) -> dict:
    from console.extensions import db

    with app.app_context():
        abandoned = db.session.scalar(text("SELECT count(*) FROM calls WHERE status = 'abandoned'"))
        shared = db.session.scalar(text(
            "SELECT count(*) FROM (SELECT lead_id FROM calls WHERE status = 'open' GROUP BY lead_id"
            " HAVING count(*) > 1) AS shared"))
        db.session.remove()
        db.engine.dispose()
    latencies = sorted(value for report in reports for value in report["latencies"])
    dispositions = sorted(value for report in reports for value in report["disposition_latencies"])
    holds = [hold for report in reports for hold in report["holds"]]
    claims = sum(report["claims"] for report in reports)
    wall = max(report["wall"] for report in reports)
    return {
        "talk_ms": talk_ms, "claims": claims, "seconds": round(wall, 2), "claims_per_s": round(claims / wall, 1),
        "p50_ms": _ms(latencies, 50), "p95_ms": _ms(latencies, 95), "p99_ms": _ms(latencies, 99),
        "disposition_p50_ms": _ms(dispositions, 50), "disposition_p95_ms": _ms(dispositions, 95),
        "empty_claims": sum(report["empty"] for report in reports),
        "double_claims": overlapping_holds(holds) + sum(report["refused"] for report in reports)
        + (abandoned or 0) + (shared or 0),
    }


def postgres_bench_url() -> str | None:
    from console.config import normalise_database_url

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        return None
    url = normalise_database_url(url)
    if "bench" not in (make_url(url).database or ""):
        raise SystemExit(f"refusing to empty {make_url(url).database!r}: the bench database's name must contain 'bench'")
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["claim", "outbox", "pages", "import", "rescore", "report", "api"],
                        help="the benchmark to run")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each timed run")
    parser.add_argument("--talk-ms", type=float, default=100.0,
                        help="mean time an agent spends on a call before the disposition (0 for a pure stress run)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="run on one database only")
    parser.add_argument("--processes", type=int, default=2, choices=range(1, AGENTS + 1), metavar=f"1..{AGENTS}",
                        help="processes serving the agents, as gunicorn's workers do (./scripts/start runs 2)")
    parser.add_argument("--rounds", type=int,
                        help="claim: interleaved rounds of the app and the bare statement (default 8); pages:"
                             f" interleaved rounds of every page (default {PAGES_ROUNDS}); each side gets --seconds"
                             " in all")
    parser.add_argument("--fresh-agents", type=int, default=60_000,
                        help="agents for the capacity and bare runs, each claiming once (more than either can use)")
    parser.add_argument("--messages", type=int, default=20_000, help="outbox: webhook messages in each pass")
    parser.add_argument("--lease-seconds", type=int, default=2,
                        help="outbox: the message lease in the kill pass (a killed worker's rows come back after it)")
    parser.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "console-bench-cache"),
                        help="pages: where the SQLite bench database is kept, built once per size and schema")
    parser.add_argument("--rows", type=int, default=1_000_000, help="import: rows in the generated CSV")
    parser.add_argument("--agent-leads", type=int, default=100_000,
                        help="import: leads of the campaign the agents work during the import")
    parser.add_argument("--seed", type=int, default=RANDOM_SEED, help="import: seed of the generated CSV; rescore:"
                        " of the answers and touches")
    parser.add_argument("--calls", type=int, default=5_000_000, help="report: calls in the database")
    parser.add_argument("--handoffs", type=int, default=100_000, help="report: hand-offs among them")
    parser.add_argument("--requests", type=int, default=40, help="report: requests timed per page")
    parser.add_argument("--build-only", action="store_true", help="report: build (or reuse) the database only")
    parser.add_argument("--api-leads", type=int, default=100_000,
                        help="api: leads upserted one request each, and as many again in batches")
    parser.add_argument("--batch-size", type=int, default=1000, help="api: leads per POST /api/v1/leads:batch")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, flush=True)

    if args.what == "import":  # scripts/bench_import.py; on the shifted clock, so the agents' leads are callable
        import bench_import

        target = next_weekday_midday(datetime.now(UTC).replace(tzinfo=None))
        shift_clock(target)
        log(f"clock shifted to {target:%A %Y-%m-%d %H:%M} UTC")
        return bench_import.import_main(args, log, sys.modules[__name__])

    if args.what == "rescore":  # scripts/bench_rescore.py; on the shifted clock, so the agents' leads are callable
        import bench_rescore

        target = next_weekday_midday(datetime.now(UTC).replace(tzinfo=None))
        shift_clock(target)
        log(f"clock shifted to {target:%A %Y-%m-%d %H:%M} UTC")
        return bench_rescore.rescore_main(args, log, sys.modules[__name__])

    if args.what == "report":  # scripts/bench_reports.py; fixed dates in the data, the report pages' own ranges
        import bench_reports

        bench_reports.bench = sys.modules[__name__]
        return bench_reports.report_main(args, log)

    if args.what == "api":  # scripts/bench_api.py; on the real clock (gunicorn's workers read it)
        import bench_api

        return bench_api.api_main(args, log, sys.modules[__name__])

    if args.what == "outbox":  # on the real clock: the workers are processes of their own, which read it
        return outbox_main(args, log)
    if args.what == "pages":  # on PAGES_CLOCK, in the console's gunicorn workers and in the build
        return pages_main(args, log)
    args.rounds = args.rounds or 8

    target = next_weekday_midday(datetime.now(UTC).replace(tzinfo=None))
    shift_clock(target)
    log(f"clock shifted to {target:%A %Y-%m-%d %H:%M} UTC")
    results = on_each_database(args, lambda url: bench_database(url, args, log))
    results["targets"] = {"p95_ms_below": TARGET_P95_MS, "ratio_at_least": TARGET_RATIO, "double_claims": 0}
    results["definitions"] = {
        "claims_per_s, p50/p95/p99_ms": "16 agents: claim, talk 0..2*talk_ms, disposition (service layer)",
        "app_claims_per_s": "16 threads claiming through claim_next_lead only, each claim a fresh agent's;"
                            " in rounds interleaved with the bare ones",
        "bare_claims_per_s": "16 threads running the claim's SQL statements alone through the raw driver",
        "app/bare_fast_path_share": "of each side's claims, the share the fast path made (the rest: per-window)",
        "processes": "the 16 agents or workers run as threads of this many processes, as gunicorn serves them",
        "ratio": "app_claims_per_s / bare_claims_per_s",
    }
    results["targets_met"] = all(figures["targets_met"] for key, figures in results.items()
                                 if key in ("sqlite", "postgresql"))
    print(json.dumps(results, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
