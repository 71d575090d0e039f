"""`scripts/bench.py rescore`: a million open leads rescored by the job a newly approved lead definition starts.

1. Builds the database (SQLite: a temporary file; PostgreSQL when DATABASE_URL names one whose name contains
   "bench") with --leads open leads (default 1,000,000) in one campaign (scripts/bench.py's builder), then gives
   them qualification answers (each criterion answered for about 70 % of leads) and marketing touches (0 to 3 a
   lead, up to 90 days old), and stores each lead's score with version 1, the shipped definition, as calls
   would have (the build, not timed).
2. 8 agents (2 processes × 4 threads, as ./scripts/start serves them) claim through
   console.queue.services.claim_next_lead and disposition; every claim is timed. They claim alone for
   BASELINE_SECONDS first (the claims' baseline on this machine, now).
3. In a process of its own: a marketing manager proposes a changed model (Need "urgent" and Budget "planned" worth
   more, hot from 75, engagement points for webinars, downloads and email clicks with a 30-day half-life) and two
   sales members approve it (console.scoring.services: the activation queues the rescoring job), then the job's
   body runs there as the worker runs it (console.scoring.jobs.rescore, with the worker's Checkpointer),
   timed from the activation's commit to the job's end: every open lead read with its answers and touches,
   scored, stored through console.leads.services.store_scores in short transactions, the sweep for stragglers.
4. Times the bare loop: console.scoring.rules.score (and stored_score) over the same leads' answers and touches
   in one process, the leads read beforehand in the same batches (reading not timed).

Prints leads per second, the job's seconds, the ratio job/bare (leads per second), how many leads changed score
or band, and the agents' claim p50/p95 during the job beside their baseline; the last line is one JSON object.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import random
import time
from datetime import timedelta

# scripts/bench.py, which runs this: its database builder, app factory and disposition (set by rescore_main).
bench = None

TARGET_SQLITE_SECONDS = 60.0
TARGET_RATIO = 0.5
TARGET_CLAIM_P95_MS = 25.0
AGENTS = 8
AGENT_PROCESSES = 2
BASELINE_SECONDS = 15
ANSWERED_SHARE = 0.7
TOUCH_KINDS = ("email_open", "email_click", "download", "webinar", "visit")


def changed_model() -> dict:
    """The proposal the bench approves: the shipped model with a few weights changed and engagement points."""
    from console.scoring.rules import SHIPPED_MODEL, model_to_dict

    model = model_to_dict(SHIPPED_MODEL)
    model["criteria"][2]["options"][0]["points"] = 35  # Need: urgent, stated need (30)
    model["criteria"][0]["options"][1]["points"] = 20  # Budget: planned for next cycle (15)
    model["thresholds"]["hot"] = 75
    model["engagement"] = {"half_life_days": 30, "cap": 15, "kinds": [
        {"kind": "webinar", "label": "Webinar attended", "points": 10},
        {"kind": "download", "label": "Content downloaded", "points": 5},
        {"kind": "email_click", "label": "Email clicked", "points": 3}]}
    return model


def add_answers_and_touches(app, leads: int, seed: int, log) -> dict:
    """Answers and touches for every lead, and each lead's score as version 1 made it (queue rank kept right)."""
    from console.clock import utcnow
    from console.extensions import db
    from console.leads.queue_columns import score_shift
    from console.scoring.rules import SHIPPED_MODEL, score, stored_score

    began = time.perf_counter()
    rng = random.Random(seed)
    now = utcnow()
    model = SHIPPED_MODEL
    answer_rows, touch_rows, score_rows = [], [], []
    counts = {"answers": 0, "touches": 0, "scored": 0}
    with app.app_context():
        dialect = db.engine.dialect.name
        stamp = (lambda value: value.strftime("%Y-%m-%d %H:%M:%S.%f")) if dialect == "sqlite" else (lambda value: value)
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            old_scores = dict(cursor.execute("SELECT id, score FROM leads").fetchall()) if dialect == "sqlite" else None
            if old_scores is None:
                cursor.execute("SELECT id, score FROM leads")
                old_scores = dict(cursor.fetchall())

            def flush():
                if dialect == "sqlite":
                    cursor.executemany("INSERT INTO qualification_answers (lead_id, criterion, value, detail, answered_at)"
                                       " VALUES (?, ?, ?, '', ?)", answer_rows)
                    cursor.executemany("INSERT INTO touches (lead_id, kind, description, occurred_at) VALUES (?, ?, ?, ?)",
                                       touch_rows)
                    cursor.executemany("UPDATE leads SET score = ?, score_band = ?, score_model_version = 1,"
                                       " queue_rank = queue_rank + ? WHERE id = ?", score_rows)
                else:
                    with cursor.copy("COPY qualification_answers (lead_id, criterion, value, detail, answered_at)"
                                     " FROM STDIN") as copy:
                        for row in answer_rows:
                            copy.write_row((row[0], row[1], row[2], "", row[3]))
                    with cursor.copy("COPY touches (lead_id, kind, description, occurred_at) FROM STDIN") as copy:
                        for row in touch_rows:
                            copy.write_row(row)
                    cursor.execute("UPDATE leads SET score = v.score, score_band = v.band, score_model_version = 1,"
                                   " queue_rank = leads.queue_rank + v.shift FROM unnest(%s::int[], %s::varchar[],"
                                   " %s::bigint[], %s::int[]) AS v(score, band, shift, id) WHERE leads.id = v.id",
                                   [list(column) for column in zip(*score_rows)] if score_rows else [[], [], [], []])
                answer_rows.clear(), touch_rows.clear(), score_rows.clear()

            if dialect == "sqlite":
                cursor.execute("PRAGMA synchronous = OFF")
                cursor.execute("BEGIN")
            for lead_id in range(1, leads + 1):
                answers = {criterion.key: rng.choice(criterion.options).value for criterion in model.criteria
                           if rng.random() < ANSWERED_SHARE}
                answered_at = stamp(now - timedelta(days=rng.randrange(30)))
                for key, value in answers.items():
                    answer_rows.append((lead_id, key, value, answered_at))
                for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                    occurred = now - timedelta(days=rng.uniform(0, 90))
                    touch_rows.append((lead_id, rng.choice(TOUCH_KINDS), "Bench touch", stamp(occurred)))
                    counts["touches"] += 1
                counts["answers"] += len(answers)
                points, band = stored_score(score(answers, model, (), now))
                counts["scored"] += points is not None
                score_rows.append((points, band, score_shift(old_scores.get(lead_id), points), lead_id))
                if len(score_rows) >= 50_000:
                    flush()
            flush()
            if dialect == "sqlite":
                cursor.execute("COMMIT")
                cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.execute("ANALYZE")
            else:
                raw.commit()
        finally:
            raw.close()
        if dialect == "postgresql":
            from sqlalchemy import text

            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        bench.write_back(db.engine)
    log(f"  answers and touches: {counts} in {time.perf_counter() - began:.1f} s")
    return counts


def _activate_and_rescore_in_child(url: str, people: dict, go, finished, results) -> None:
    """The proposal approved (its activation queues the job), then the job's body, timed from the activation."""
    try:
        from console.auth.models import User
        from console.database.engine import Checkpointer
        from console.extensions import db
        from console.scoring import jobs, services
        from console.scoring.rules import SHIPPED_GLOSSARY

        app = bench.make_app(url)
        with app.app_context():
            checkpointer = Checkpointer.start_for(db.engine)  # as in the worker that runs jobs
            go.wait()
            marketer, first, second = (db.session.get(User, people[key]) for key in ("marketing", "sales1", "sales2"))
            proposal = services.propose(marketer, campaign_id=None, model=changed_model(), glossary=SHIPPED_GLOSSARY,
                                        note="Urgent need and planned budget weigh more; engagement counts",
                                        submit=True)
            version_id = proposal.id
            services.vote(proposal, first, decision="approve")
            services.vote(proposal, second, decision="approve")
            activated = time.perf_counter()
            result = jobs.rescore(version_id, None)
            done = time.perf_counter()
            if checkpointer is not None:
                checkpointer.stop()
        finished.set()
        results.put({"job_s": done - activated, "result": result, "version_id": version_id})
    except BaseException as error:  # noqa: BLE001  (reported to the parent)
        import traceback

        traceback.print_exc()
        finished.set()
        results.put({"error": f"{type(error).__name__}: {error}"})


def bare_loop(app, version_id: int) -> tuple[float, int]:
    """console.scoring.rules.score over every open lead's answers and touches, one process; reading not timed."""
    from console.clock import utcnow
    from console.extensions import db
    from console.scoring import jobs, open_leads, services
    from console.scoring.rules import score, stored_score

    with app.app_context():
        model = services.model_version(version_id)
        port, scope = open_leads.current(), services.scope_of(None)
        seconds, leads, after_id = 0.0, 0, 0
        while True:
            batch = port.read(scope, after_id, jobs.READ_BATCH)
            if not batch:
                break
            now = utcnow()
            began = time.perf_counter()
            for lead in batch:
                stored_score(score(lead.answers, model, lead.touches, now, lead.source))
            seconds += time.perf_counter() - began
            leads += len(batch)
            after_id = batch[-1].id
        db.session.remove()
    return seconds, leads


def bench_rescore_database(url: str, args, log) -> dict:
    import bench_import
    from console.auth import services as auth_services
    from console.auth.models import Role
    from console.extensions import db

    bench_import.bench = bench  # its agents' loop, shared
    name = "postgresql" if url.startswith("postgresql") else "sqlite"
    app = bench.make_app(url)
    log(f"{name}: building {args.leads:,} open leads…")
    built = bench.build(app, args.leads, log, capacity_agents=1)
    counts = add_answers_and_touches(app, args.leads, args.seed, log)
    with app.app_context():
        people = {"marketing": auth_services.create_user("marketing@bench.example", "Bench Marketer", Role.MARKETING,
                                                         "bench-password-1").id,
                  "sales1": auth_services.create_user("sales1@bench.example", "Bench Seller", Role.SALES,
                                                      "bench-password-1").id,
                  "sales2": auth_services.create_user("sales2@bench.example", "Bench Closer", Role.SALES,
                                                      "bench-password-1").id}
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    agent_ids = built["agent_ids"][:AGENTS]
    context = multiprocessing.get_context("fork")
    started, rescoring, finished = context.Event(), context.Event(), context.Event()
    results = context.Queue()
    log(f"{name}: rescoring {args.leads:,} open leads while {AGENTS} agents claim "
        f"({AGENT_PROCESSES} processes × {AGENTS // AGENT_PROCESSES} threads)…")
    job = context.Process(target=_activate_and_rescore_in_child, args=(url, people, rescoring, finished, results))
    agents = [context.Process(target=bench_import._agents_in_child,
                              args=(url, agent_ids[n::AGENT_PROCESSES], started, rescoring, finished, results))
              for n in range(AGENT_PROCESSES)]
    for process in (job, *agents):
        process.start()
    time.sleep(2)  # the agents' warm-up claims
    started.set()
    time.sleep(BASELINE_SECONDS)  # the agents alone: their claims' baseline on this machine, now
    rescoring.set()
    reports, latencies, baseline = bench_import.gather_reports(results, (job, *agents), timeout=7200)
    done = next(report for report in reports if "job_s" in report)
    log(f"{name}: timing the bare scoring loop over the same leads…")
    bare_s, bare_leads = bare_loop(app, done["version_id"])
    rescored = done["result"].get("rescored", 0)
    percentile = bench_import._percentile
    figures = {
        "database": name, "leads": args.leads, "answers": counts["answers"], "touches": counts["touches"],
        "job_s": round(done["job_s"], 2), "leads_rescored": rescored, "leads_changed": done["result"].get("changed"),
        "job_seconds_spent": done["result"].get("seconds"),
        "leads_per_s_job": round(args.leads / done["job_s"]),
        "bare_s": round(bare_s, 2), "leads_per_s_bare": round(bare_leads / bare_s),
        "ratio_job_to_bare": round((args.leads / done["job_s"]) / (bare_leads / bare_s), 3),
        "claims_during_job": len(latencies),
        "claim_p50_ms": round(percentile(latencies, 50) * 1000, 1) if latencies else None,
        "claim_p95_ms": round(percentile(latencies, 95) * 1000, 1) if latencies else None,
        "baseline_claims": len(baseline),
        "baseline_claim_p50_ms": round(percentile(baseline, 50) * 1000, 1) if baseline else None,
        "baseline_claim_p95_ms": round(percentile(baseline, 95) * 1000, 1) if baseline else None,
    }
    figures["targets_met"] = (
        (name != "sqlite" or figures["job_s"] < TARGET_SQLITE_SECONDS * args.leads / 1_000_000)
        and figures["ratio_job_to_bare"] >= TARGET_RATIO
        and figures["claim_p95_ms"] is not None and figures["claim_p95_ms"] < TARGET_CLAIM_P95_MS)
    log(f"{name}: {figures['leads_per_s_job']:,} leads/s ({figures['job_s']} s; {figures['leads_changed']:,} changed),"
        f" bare {figures['leads_per_s_bare']:,} leads/s, ratio {figures['ratio_job_to_bare']}; claims p50 "
        f"{figures['claim_p50_ms']} ms p95 {figures['claim_p95_ms']} ms ({len(latencies)} claims; without the job"
        f" p50 {figures['baseline_claim_p50_ms']} ms p95 {figures['baseline_claim_p95_ms']} ms); the job's writer"
        f" spent (s): {figures['job_seconds_spent']}")
    return figures


def rescore_main(args, log, bench_module) -> int:
    global bench
    bench = bench_module
    results = bench.on_each_database(args, lambda url: bench_rescore_database(url, args, log))
    results["targets"] = {"sqlite_seconds_for_1m_below": TARGET_SQLITE_SECONDS, "ratio_at_least": TARGET_RATIO,
                          "claim_p95_ms_below": TARGET_CLAIM_P95_MS}
    results["definitions"] = {
        "job_s": "from the commit of the approval that activated the changed definition to the end of the rescoring"
                 " job's body (console.scoring.jobs.rescore, in a process of its own), stragglers' sweep included",
        "leads_per_s_bare": "console.scoring.rules.score and stored_score over the same leads' answers and touches,"
                            " one process, the leads read beforehand",
        "ratio_job_to_bare": "leads_per_s_job / leads_per_s_bare",
        "job_seconds_spent": "the job's writer: waiting for the reading process's scored batches, waiting for SQLite's"
                             " writer turn, writing (the job's result)",
        "claim_*": "8 agents claiming and dispositioning (2 processes × 4 threads) during the job; baseline_*: the"
                   " same agents alone just before it",
    }
    results["targets_met"] = all(figures["targets_met"] for key, figures in results.items()
                                 if key in ("sqlite", "postgresql"))
    results["cpus"] = os.cpu_count()
    print(json.dumps(results, sort_keys=True), flush=True)
    return 0
