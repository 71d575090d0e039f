"""The lead definition's background jobs (run by `flask worker`): what a proposal would change on the open leads,
and rescoring the open leads once a version takes effect.

Both read the open leads through the port scoring defines (console/scoring/open_leads.py) in batches along
the primary key, and score them with the one pure function (console.scoring.rules.score). Rescoring writes
through the lead's one writer in short transactions: on SQLite each holds the only writer for about
WRITE_TURN_SECONDS, so agents' claims keep being served between them (the same reasoning and figure as
imports, console/imports/services.py), each group of leads written in queue order; a large one reads and
scores in a second process meanwhile. Once a group is stored, how far it got is recorded in the same
transaction, so a job taken over after its worker died goes on after the last group stored.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator

from flask import current_app
from sqlalchemy import select

from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.outbox.services import register_job
from console.scoring import open_leads, rules, services
from console.scoring.models import DefinitionVersion
from console.scoring.open_leads import Rescored
from console.scoring.rules import VersionStatus

READ_BATCH = 4000
# Leads read and scored before they are written, in the order of their place in the queue: the claim indexes
# hold leads by rank, so a write transaction's leads then share those indexes' pages instead of each writing
# pages of its own (read along the primary key, their ranks are scattered). Ten read batches.
WRITE_GROUP = 40_000
# From this many open leads a rescoring reads and scores in a second process while this one writes (a process
# costs a second or two to start: below this the job is done by then).
READER_PROCESS_FROM = 20_000
# SQLite: how long one rescoring write transaction should hold the writer (imports measured 6 ms against 3 and
# 15 ms: claims' p95 barely above their baseline, at full speed).
WRITE_TURN_SECONDS = 0.006
IMPACT_LIST_LIMIT = 200  # leads listed by name on the proposal's page; the counts cover all
PROGRESS_SECONDS = 0.5
STRAGGLER_SWEEPS = 3
UNSCORED = "unscored"
_BAND_ORDER = {**{band: index for index, band in enumerate(rules.BANDS)}, UNSCORED: len(rules.BANDS)}


class _Progress:
    """Reports a job's progress at most every PROGRESS_SECONDS (each report is a write of its own)."""

    def __init__(self, report: Callable | None):
        self.report, self.last = report, 0.0

    def __call__(self, done: int, total: int | None, stage: str, force: bool = False) -> None:
        moment = time.monotonic()
        if self.report is not None and (force or moment - self.last >= PROGRESS_SECONDS):
            self.last = moment
            self.report(done, total, stage)


def _status(version_id: int) -> str | None:
    return db.session.scalar(select(DefinitionVersion.status).where(DefinitionVersion.id == version_id))


# ---------------------------------------------------------------- impact

@register_job(services.IMPACT_JOB, "Work out what a proposed lead definition would change")
def impact_job(payload: dict, progress) -> dict:
    return impact(int(payload["version_id"]), int(payload["revision"]), progress)


def impact(version_id: int, revision: int, progress: Callable | None = None) -> dict:
    """Score every open lead of the proposal's scope with the definition in force and with the proposal, at
    the same moment, and keep the counts (band to band, across the qualified line) and the leads that move."""
    row = db.session.get(DefinitionVersion, version_id)
    if row is None or row.revision != revision or not row.is_open:
        return {"skipped": "the proposal changed or closed since"}
    proposed = rules.model_from_dict(row.model, version=row.id)
    current = services.current_model(row.campaign_id)
    scope = services.scope_of(row.campaign_id)
    port = open_leads.current()
    total = port.count(scope)
    report = _Progress(progress)
    now = utcnow()
    bands = {before: {after: 0 for after in _BAND_ORDER} for before in _BAND_ORDER}
    figures = {"up": 0, "down": 0, "qualified_gained": 0, "qualified_lost": 0}
    moved: list[dict] = []
    moved_count = done = after_id = 0
    while True:
        batch = port.read(scope, after_id, READ_BATCH)
        if not batch:
            break
        for lead in batch:
            before = rules.score(lead.answers, current, lead.touches, now, lead.source)
            after = rules.score(lead.answers, proposed, lead.touches, now, lead.source)
            old_points, old_band = rules.stored_score(before)
            new_points, new_band = rules.stored_score(after)
            old_band, new_band = old_band or UNSCORED, new_band or UNSCORED
            bands[old_band][new_band] += 1
            was, becomes = before.is_scored and before.meets_threshold, after.is_scored and after.meets_threshold
            if _BAND_ORDER[new_band] < _BAND_ORDER[old_band]:
                figures["up"] += 1
            elif _BAND_ORDER[new_band] > _BAND_ORDER[old_band]:
                figures["down"] += 1
            figures["qualified_gained"] += becomes and not was
            figures["qualified_lost"] += was and not becomes
            if old_band != new_band or was != becomes:
                moved_count += 1
                if len(moved) < IMPACT_LIST_LIMIT:
                    moved.append({"id": lead.id, "before": [old_points, old_band], "after": [new_points, new_band],
                                  "qualified": "gained" if becomes and not was else "lost" if was and not becomes
                                  else ""})
        done += len(batch)
        after_id = batch[-1].id
        report(done, total, f"{done:,} of {total:,} open leads")
    names = port.names([item["id"] for item in moved])
    for item in moved:
        item["name"], item["company"] = names.get(item["id"], ("", ""))
    result = {"revision": revision, "against": current.version, "computed_at": now.isoformat(timespec="seconds"),
              "leads": done, "bands": bands, **figures, "moved": moved_count, "list": moved}
    services.store_impact(version_id, revision, result)
    return {"leads": done, "moved": moved_count}


# ---------------------------------------------------------------- rescoring

@register_job(services.RESCORE_JOB, "Rescore the open leads with the lead definition in force")
def rescore_job(payload: dict, progress) -> dict:
    return rescore(int(payload["version_id"]), progress)


class _Turns:
    """Rows per write transaction: on SQLite as many as fit WRITE_TURN_SECONDS at the last one's pace (changing
    by half at most); on PostgreSQL a whole read batch (writers do not queue there)."""

    def __init__(self):
        self.sqlite = db.engine.dialect.name == "sqlite"
        self.rows = min(300, READ_BATCH) if self.sqlite else READ_BATCH

    def measured(self, rows: int, seconds: float) -> None:
        if self.sqlite and rows:
            fitting = rows * WRITE_TURN_SECONDS / max(seconds, 1e-4)
            self.rows = int(min(max(fitting, self.rows * 0.5, 25), self.rows * 1.5, READ_BATCH))


Scored = tuple[list, list[bool], int]


def _scored_batches(campaign_id: int | None, version_id: int, model, after_id: int) -> Iterator[Scored]:
    """The open leads not yet scored with the version after `after_id`, scored, in groups of WRITE_GROUP read
    along the primary key, each group handed over whole in queue order: (the rescores to store, for each whether
    its score or band changed, and the id the group read up to: once the group is stored, the job may go on from
    there). Each batch of READ_BATCH is read in a read transaction of its own."""
    port = open_leads.current()
    while True:
        group: list[tuple[int, Rescored, bool]] = []
        while len(group) < WRITE_GROUP:
            scope = services.scope_of(campaign_id)  # a campaign given its own definition meanwhile drops out
            batch = port.read(scope, after_id, READ_BATCH, not_at_model=version_id)
            db.session.rollback()  # the next batch is read afresh, and SQLite's WAL is not held back
            if not batch:
                break
            now = utcnow()
            for lead in batch:
                points, band = rules.stored_score(rules.score(lead.answers, model, lead.touches, now, lead.source))
                group.append((lead.queue_rank, Rescored(lead.id, lead.row_version, lead.score, points, band),
                              (points, band) != (lead.score, lead.band)))
            after_id = batch[-1].id
        if not group:
            return
        group.sort(key=lambda item: (item[0] is None, item[0] or 0))  # no rank (out of the queue): last
        yield [item[1] for item in group], [item[2] for item in group], after_id


def _read_in_process(create_app: Callable, config: dict, campaign_id: int | None, version_id: int, after_id: int,
                     sending) -> None:
    """The reading process of a large rescoring (spawned: a forked copy would share this process's database
    connections): reads and scores the batches on a connection of its own, at a lower CPU priority (on a small
    machine agents' requests come first), and sends them to the writer; None at the end."""
    os.nice(10)
    app = create_app(config)
    with app.app_context():
        try:
            for item in _scored_batches(campaign_id, version_id, services.model_version(version_id), after_id):
                sending.send(item)
            sending.send(None)
        except BaseException as error:  # noqa: BLE001  (sent to the writer, which raises it)
            sending.send(RuntimeError(f"the rescoring's reader failed: {error!r}"))
        finally:
            sending.close()


def _batches_from_a_process(campaign_id: int | None, version_id: int, after_id: int) -> Iterator[Scored]:
    """_scored_batches, read and scored in a process of its own while this one writes: the next group is read
    while this one is written (a group is sent whole, so the reader waits at most one group ahead)."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    config = {name: current_app.config[name] for name in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY")}
    config["SQLALCHEMY_ENGINE_OPTIONS"] = current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
    reader = context.Process(target=_read_in_process, name="rescore-reader", daemon=True,
                             args=(current_app.extensions["console.create_app"], config, campaign_id, version_id,
                                   after_id, sending))
    reader.start()
    sending.close()
    try:
        while True:
            item = receiving.recv()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        receiving.close()
        if reader.is_alive():
            reader.terminate()
        reader.join()


def rescore(version_id: int, progress: Callable | None = None, *, wait_for_snapshots: bool = True) -> dict:
    """Rescore the open leads of an active version's scope with it, in batches through the lead's writer; goes
    on where an earlier run stopped. Stops when the version is no longer in force (its successor's job takes
    over). Leads handed over are not open: their hand-offs keep the score they were made with."""
    job_started = time.monotonic()
    row = db.session.get(DefinitionVersion, version_id)
    if row is None or row.status != VersionStatus.ACTIVE:
        return {"skipped": "not in force"}
    model = services.model_version(version_id)
    campaign_id = row.campaign_id
    last_id, done, changed = row.rescore_last_id, row.rescore_done, row.rescore_changed
    port = open_leads.current()
    total = port.count(services.scope_of(campaign_id))
    with writers.write_transaction(db.session):
        services.rescore_progress(version_id, last_id=last_id, done=done, changed=changed, total=total,
                                  started=row.rescore_started_at is None)
    report = _Progress(progress)
    turns = _Turns()
    # Where the job's time went (in its result): waiting for scored batches, waiting for the writer's turn, writing.
    spent = {"waiting_for_batches": 0.0, "waiting_for_turns": 0.0, "writing": 0.0}

    def rescore_from(after_id: int, checkpoint: bool, remaining: int) -> tuple[int, bool]:
        """One pass over the leads after `after_id` not yet scored with this version; returns how many."""
        nonlocal done, changed, last_id
        seen = 0
        batches = (_batches_from_a_process(campaign_id, version_id, after_id) if remaining >= READER_PROCESS_FROM
                   else _scored_batches(campaign_id, version_id, model, after_id))
        try:
            asked = time.perf_counter()
            for results, changes, read_up_to in batches:
                spent["waiting_for_batches"] += time.perf_counter() - asked
                start, checked_at = 0, -READ_BATCH
                while start < len(results):
                    if start - checked_at >= READ_BATCH:  # in force still? (its successor's job takes over)
                        if _status(version_id) != VersionStatus.ACTIVE:
                            return seen, False
                        checked_at = start
                    chunk = results[start:start + turns.rows]
                    waiting = time.perf_counter()
                    with writers.write_transaction(db.session):
                        began = time.perf_counter()  # the turn is ours from here: waiting for it is not the cost
                        spent["waiting_for_turns"] += began - waiting
                        # Counted as stored: a lead whose row moved on meanwhile was scored by whoever moved it,
                        # or is found again by the sweep below.
                        done += port.store(chunk, version_id)
                        changed += sum(changes[start:start + len(chunk)])  # with the checkpoint: once, after a restart
                        if checkpoint and start + len(chunk) == len(results):
                            last_id = read_up_to  # the group is stored: a restart goes on after it
                        services.rescore_progress(version_id, last_id=last_id, done=done, changed=changed)
                    written = time.perf_counter() - began
                    spent["writing"] += written
                    turns.measured(len(chunk), written)
                    start += len(chunk)
                    report(done, total, f"{done:,} of {total:,} open leads rescored")
                seen += len(results)
                asked = time.perf_counter()
        finally:
            batches.close()
        return seen, True

    _seen, in_force = rescore_from(last_id, checkpoint=True, remaining=total - done)
    # A process whose snapshot had not yet seen this version may have scored a lead with the old one meanwhile:
    # once every process has seen it, sweep for such leads (a few, read along the primary key).
    if in_force and wait_for_snapshots:
        # From this job's start, not the activation's time: that is stamped before its transaction commits.
        wait = services.ACTIVE_TTL_SECONDS + 0.5 - (time.monotonic() - job_started)
        if wait > 0:
            time.sleep(wait)
    for _sweep in range(STRAGGLER_SWEEPS):
        if not in_force:
            break
        seen, in_force = rescore_from(0, checkpoint=False, remaining=0)
        if not seen:
            break
    if in_force:
        with writers.write_transaction(db.session):
            services.rescore_progress(version_id, last_id=last_id, done=done, changed=changed, finished=True)
    report(done, total, f"{done:,} open leads rescored, {changed:,} changed", force=True)
    return {"rescored": done, "changed": changed, "in_force": in_force,
            "seconds": {name: round(value, 2) for name, value in spent.items()}}
