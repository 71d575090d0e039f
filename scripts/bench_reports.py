"""`scripts/bench.py report`: every report page on 5,000,000 calls.

1. Builds the database (SQLite: once per size and schema into --cache-dir, then copied; PostgreSQL when
   DATABASE_URL names one whose name contains "bench") with --calls calls (default 5,000,000) over 100 campaigns,
   200 agents and 20 sales members, about 90 days of them: a third as many leads (in three imported lists a
   campaign, five sources, four buying roles, scored), each call's leg on the line, objections on a tenth of the
   conversations, --handoffs hand-offs (default 100,000) with their answers, sales' decisions, first contacts,
   opportunities, wins with revenue, losses, ratings and SLA breaches, and marketing touches from the lead's own
   campaign and others (attribution). Rows go in through console.database.bulk (executemany, COPY).
2. Rebuilds the report rollups (the worker's first run, timed), then signs in a marketing manager and asks for each
   report page (campaign, with a breakdown, all campaigns by first and last touch, agent view, objections over
   every campaign and one, evidence, an agenda over the data's last fortnight) --requests times in the app (the
   Flask test client: server time, no network), and prints
   p50 and p95 per page.
3. Checks the pages' figures against straightforward aggregate queries over the raw rows.

Target: every page under 300 ms at p95 on both databases, with identical figures. The last line is one JSON
object with every figure.
"""
from __future__ import annotations

import bisect
import itertools
import json
import random
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.schema import CreateIndex, DropIndex

# scripts/bench.py, which runs this (set by report_main): make_app, postgres_bench_url, write_back.
bench = None

TARGET_P95_MS = 300.0
CAMPAIGNS = 100
AGENTS = 200
SALES = 20
DAYS = 90
SOURCES = ("webinar", "paid search", "ebook download", "trade show", "partner referral")
ROLES = ("decision maker", "influencer", "champion", "user")
TITLES = ("VP Sales", "Head of Sales Operations", "Sales Director", "CRO", "Revenue Operations Manager")
# Dispositions of the calls, and their weights; "qualified" is drawn separately to make --handoffs hand-offs.
DISPOSITIONS = (("no_answer", 40), ("voicemail", 20), ("busy", 4), ("gatekeeper", 8), ("bad_number", 2),
                ("not_interested", 12), ("callback", 6), ("wrong_person", 3), ("nurture", 4), ("do_not_call", 1))
NEXT_ACTION = {"no_answer": "retry_in", "voicemail": "retry_in", "busy": "retry_in", "gatekeeper": "retry_in",
               "bad_number": "close", "not_interested": "close", "callback": "callback", "wrong_person": "close",
               "nurture": "recall", "do_not_call": "close", "qualified": "handoff"}
UNANSWERED = {"no_answer": "no-answer", "busy": "busy", "bad_number": "failed"}
CONVERSATIONS = {"not_interested", "callback", "wrong_person", "nurture", "do_not_call", "qualified"}
TOUCH_KINDS = ("email_click", "download", "webinar", "visit")
BATCH = 50_000


def build(url: str, calls: int, handoffs: int, seed: int, log) -> dict:
    """The bench's database at `url`, built from nothing (every table dropped first)."""
    from sqlalchemy import select

    from console.auth.models import Role, User
    from console.campaigns.models import Campaign
    from console.extensions import db
    from console.guides import services as guide_services
    from console.leads.models import Account, LeadList
    from console.scoring.rules import SHIPPED_MODEL, explain_answers, score, stored_score

    began = time.perf_counter()
    rng = random.Random(seed)
    app = bench.make_app(url)
    now = datetime(2026, 12, 1, 12, 0)
    with app.app_context():
        db.drop_all()
        db.create_all()
        password = "x" * 60
        db.session.execute(User.__table__.insert(), [
            {"email": f"agent{n}@bench.example", "full_name": f"Agent {n}", "role": Role.TELEPROSPECTOR,
             "password_hash": password, "active": True, "created_at": now} for n in range(AGENTS)]
            + [{"email": f"sales{n}@bench.example", "full_name": f"Seller {n}", "role": Role.SALES,
                "password_hash": password, "active": True, "created_at": now, "sales_team": f"Team {n % 2}",
                "sales_manager": n < 2} for n in range(SALES)])
        from console.auth import services as auth_services
        auth_services.create_user("marketing@bench.example", "Bench Marketer", Role.MARKETING, "bench-password-1")
        agent_ids = list(db.session.scalars(select(User.id).where(User.role == Role.TELEPROSPECTOR)))
        sales_ids = list(db.session.scalars(select(User.id).where(User.role == Role.SALES)))
        guide, version = guide_services.sync_file(guide_services.GUIDES_DIR / "default-b2b.yaml")
        objection_ids = [item["id"] for item in version.content.get("objections", [])]
        campaigns = [Campaign(name=f"Bench campaign {n:03d}", source=SOURCES[n % len(SOURCES)], priority=n % 10,
                              call_guide=guide, start_date=(now - timedelta(days=DAYS + 5)).date(),
                              budget_cents=(n + 1) * 1_000_000 if n % 2 == 0 else None)
                     for n in range(CAMPAIGNS)]
        db.session.add_all(campaigns)
        db.session.flush()
        campaign_ids = [campaign.id for campaign in campaigns]
        accounts = [Account(name=f"Bench account {n}", created_at=now) for n in range(20_000)]
        db.session.add_all(accounts)
        db.session.flush()
        account_ids = [account.id for account in accounts]
        lists = {}
        for campaign_id in campaign_ids:
            for part in range(3):
                lead_list = LeadList(campaign_id=campaign_id, file_name=f"list-{campaign_id}-{part}.csv",
                                     source_name=SOURCES[part], status="done", encoding="utf-8", delimiter=",",
                                     mapping={}, duplicates="skip", file_bytes=0, rows_done=0, imported=0, updated=0,
                                     duplicate=0, suppressed=0, rejected=0, created_at=now)
                db.session.add(lead_list)
                db.session.flush()
                lists.setdefault(campaign_id, []).append(lead_list.id)
        db.session.commit()

        log(f"  users, campaigns, accounts and lists in {time.perf_counter() - began:.0f} s")
        model = SHIPPED_MODEL
        criteria = [criterion for criterion in model.criteria if criterion.options]
        dialect = db.engine.dialect.name
        from console.calls.models import Call, QualificationAnswer
        from console.guides.models import CallObjection
        from console.handoffs.models import Handoff, SlaBreach
        from console.leads.models import Lead, Touch
        from console.telephony.models import PhoneCall

        lead_columns = ("id", "campaign_id", "account_id", "first_name", "last_name", "title", "buying_role", "phone",
                        "time_zones", "source", "lead_list_id", "inbound", "stage", "queue_state", "attempts",
                        "version", "score", "score_band", "score_model_version", "created_at", "updated_at")
        call_columns = ("id", "lead_id", "campaign_id", "agent_id", "guide_version_id", "status", "disposition",
                        "next_action", "notes", "seconds_since_previous_call", "started_at", "ended_at")
        leg_columns = ("id", "call_id", "placed_by_id", "mode", "status", "to_number", "recording_mode",
                       "machine_detection", "consent_required", "placed_at", "answered_at", "ended_at",
                       "duration_seconds", "updated_at")
        handoff_columns = ("id", "lead_id", "call_id", "campaign_id", "assigned_to_id", "qualified_by_id", "status",
                           "score", "score_band", "score_model_version", "score_reasons", "answers", "sla",
                           "created_at", "released_at", "decided_at", "rejection_kind", "rejection_reason",
                           "first_contact_at", "opportunity_at", "opportunity_cents", "outcome", "outcome_at",
                           "won_cents", "won_on", "lost_reason", "rating", "rated_at", "feedback_at")
        rows = {name: [] for name in ("leads", "calls", "legs", "objections", "handoffs", "answers", "breaches",
                                      "touches")}
        tables = {"leads": (Lead, lead_columns), "calls": (Call, call_columns), "legs": (PhoneCall, leg_columns),
                  "objections": (CallObjection, ("call_id", "guide_version_id", "objection_id", "worked", "agent_id",
                                                 "marked_at")),
                  "handoffs": (Handoff, handoff_columns),
                  "answers": (QualificationAnswer, ("lead_id", "criterion", "value", "detail", "call_id",
                                                    "answered_by_id", "answered_at")),
                  "breaches": (SlaBreach, ("handoff_id", "clock", "side", "due_at", "breached_at", "campaign_id",
                                           "assigned_to_id")),
                  "touches": (Touch, ("lead_id", "kind", "description", "occurred_at", "campaign_id", "url"))}
        counts = {name: 0 for name in rows}
        # Loaded through the driver with the big tables' indexes dropped, and made again at the end (as scripts/
        # bench.py's builder does): much faster than keeping eight tables' indexes right row by row.
        indexes = [(str(DropIndex(index).compile(dialect=db.engine.dialect)),
                    str(CreateIndex(index).compile(dialect=db.engine.dialect)))
                   for model_class, _columns in tables.values() for index in model_class.__table__.indexes]
        raw = db.engine.raw_connection()
        cursor = raw.cursor()
        for drop, _create in indexes:
            cursor.execute(drop)
        if dialect == "sqlite":
            cursor.execute("PRAGMA foreign_keys = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("BEGIN")
        statements = {name: f"INSERT INTO {model_class.__tablename__} ({', '.join(columns)}) VALUES"
                            f" ({', '.join('?' * len(columns))})" if dialect == "sqlite" else
                            f"COPY {model_class.__tablename__} ({', '.join(columns)}) FROM STDIN"
                      for name, (model_class, columns) in tables.items()}

        def flush() -> None:  # every table at once, parents first (the rows' order in `rows`)
            for name, pending in rows.items():
                if not pending:
                    continue
                if dialect == "sqlite":
                    cursor.executemany(statements[name], pending)
                else:
                    with cursor.copy(statements[name]) as copy:
                        for row in pending:
                            copy.write_row(row)
                counts[name] += len(pending)
                pending.clear()

        handoff_share = handoffs / calls
        codes = [code for code, _ in DISPOSITIONS]
        cumulative = list(itertools.accumulate(weight for _, weight in DISPOSITIONS))
        total_weight = cumulative[-1]
        random_ = rng.random
        # SQLite stores SQLAlchemy's DateTime as this text; formatting once here is the build's largest saving.
        stamp = (lambda value: value.isoformat(" ", "microseconds")) if dialect == "sqlite" else (lambda value: value)
        call_id = lead_id = handoff_id = 0
        agent_clock: dict[int, datetime] = {}
        sla = {"accept_minutes": 240, "first_contact_minutes": 480, "handover_minutes": 240}
        while call_id < calls:
            lead_id += 1
            campaign_id = campaign_ids[lead_id % CAMPAIGNS]
            created = now - timedelta(days=DAYS, hours=-rng.random() * 24 * (DAYS - 2))
            attempts = min(calls - call_id, rng.choice((1, 2, 3, 3, 4, 5)))
            role = ROLES[lead_id % len(ROLES)]
            answered = None
            for attempt in range(attempts):
                call_id += 1
                started = created + timedelta(hours=attempt * 26 + random_() * 8)
                qualified = random_() < handoff_share and answered is None
                code = "qualified" if qualified else codes[bisect.bisect(cumulative, random_() * total_weight)]
                talk = (400 + int(random_() * 800) if qualified else 40 + int(random_() * 360)
                        if code in CONVERSATIONS else 15 + int(random_() * 45) if code in ("voicemail", "gatekeeper")
                        else 0)
                ended = started + timedelta(seconds=talk + 10)
                agent = agent_ids[int(random_() * AGENTS)]
                previous = agent_clock.get(agent)
                gap = int((started - previous).total_seconds()) if previous and started > previous else None
                agent_clock[agent] = ended
                started_text, ended_text = stamp(started), stamp(ended)
                rows["calls"].append((call_id, lead_id, campaign_id, agent, version.id, "completed", code,
                                      NEXT_ACTION[code], "", gap if gap is not None and gap < 3600 else None,
                                      started_text, ended_text))
                status = UNANSWERED.get(code, "completed")
                answered_at = None if code in UNANSWERED else stamp(started + timedelta(seconds=10))
                rows["legs"].append((call_id, call_id, agent, "simulated", status, "+12125550100", "never", False,
                                     False, started_text, answered_at, ended_text, talk if answered_at else 0,
                                     ended_text))
                if code in CONVERSATIONS and rng.random() < 0.1:
                    rows["objections"].append((call_id, version.id, rng.choice(objection_ids),
                                               code == "qualified" or rng.random() < 0.3, agent, started_text))
                if qualified:
                    answered = {criterion.key: rng.choice(criterion.options).value for criterion in criteria}
                    made = score(answered, model, (), ended)
                    points, band = stored_score(made)
                    handoff_id += 1
                    rows["handoffs"].append(_handoff(rng, handoff_id, lead_id, call_id, campaign_id, agent, sales_ids,
                                                     ended, points, band, made, explain_answers(answered, model),
                                                     sla, now, lambda value: value))
                    row = rows["handoffs"][-1]
                    # The clocks it missed (a simplification of the business-hours rule: the figures are checked
                    # against these rows, whatever made them).
                    if row[15] is not None and row[15] - row[13] > timedelta(hours=6):
                        due = stamp(row[13] + timedelta(hours=4))
                        rows["breaches"].append((handoff_id, "accept", "sales", due, due, campaign_id, row[4]))
                    if row[18] is not None and row[18] - row[13] > timedelta(hours=30):
                        due = stamp(row[13] + timedelta(hours=24))
                        rows["breaches"].append((handoff_id, "first_contact", "sales", due, due, campaign_id, row[4]))
                    rows["handoffs"][-1] = tuple(stamp(value) if isinstance(value, datetime) else value
                                                 for value in row)
                    for key, value in answered.items():
                        rows["answers"].append((lead_id, key, value, "", call_id, agent, ended_text))
            last_ended = ended
            stage = "mql" if answered else "lead"
            points = band = None
            if answered:
                points, band = rows["handoffs"][-1][7], rows["handoffs"][-1][8]
            rows["leads"].append((lead_id, campaign_id, account_ids[lead_id % len(account_ids)], "Bench",
                                  f"Lead {lead_id}", TITLES[lead_id % len(TITLES)], role, f"+1212555{lead_id % 10000:04d}",
                                  "America/New_York", SOURCES[lead_id % len(SOURCES)],
                                  lists[campaign_id][lead_id % 3], False, stage, "closed", attempts, 1, points, band,
                                  1 if points is not None else None, stamp(created), stamp(last_ended)))
            if rng.random() < 0.3:
                for _ in range(rng.choice((1, 1, 2))):
                    origin = campaign_id if rng.random() < 0.8 else campaign_ids[rng.randrange(CAMPAIGNS)]
                    rows["touches"].append((lead_id, TOUCH_KINDS[rng.randrange(len(TOUCH_KINDS))], "Bench touch",
                                            stamp(created - timedelta(days=rng.random() * 30)), origin, None))
            if len(rows["calls"]) >= BATCH:
                flush()
                if call_id % 1_000_000 < BATCH:
                    log(f"  {call_id:,} calls written ({time.perf_counter() - began:.0f} s)")
        flush()
        log(f"  rows written in {time.perf_counter() - began:.0f} s")
        for _drop, create in indexes:
            cursor.execute(create)
        if dialect == "postgresql":
            for table in ("leads", "calls", "phone_calls", "handoffs"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            raw.commit()
        else:
            cursor.execute("COMMIT")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("ANALYZE")
        raw.close()
        log(f"  indexes made in {time.perf_counter() - began:.0f} s")
        if dialect == "postgresql":
            from sqlalchemy import text

            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
                autocommit.execute(text("VACUUM ANALYZE"))
        db.session.remove()
        bench.write_back(db.engine)
        db.engine.dispose()
    seconds = time.perf_counter() - began
    log(f"  built {counts} in {seconds:.0f} s")
    return {"rows": counts, "build_seconds": round(seconds, 1)}


def _handoff(rng, handoff_id, lead_id, call_id, campaign_id, agent, sales_ids, at, points, band, made, explained,
             sla, now, stamp) -> tuple:
    """A hand-off row as sales would have left it by now (the columns of handoff_columns, in order)."""
    member = sales_ids[handoff_id % len(sales_ids)]
    answers = {line.criterion: {"label": line.label, "value": line.value, "answer": line.answer,
                                "points": line.points, "detail": ""} for line in explained}
    reasons = [str(reason) for reason in made.reasons]
    status, decided = "pending", None
    kind = reason = first_contact = opportunity = opportunity_cents = outcome = outcome_at = None
    won_cents = won_on = lost = rating = rated = feedback = None
    draw = rng.random()
    if draw < 0.2:
        status, decided = "rejected", at + timedelta(hours=rng.choice((1, 2, 3, 8)))
        kind = rng.choice(("procedural", "clerical", "definitional"))
        reason, feedback = "Bench rejection", decided
    elif draw < 0.9:
        status, decided = "accepted", at + timedelta(hours=rng.choice((1, 2, 3, 8)))
        if rng.random() < 0.8:
            first_contact = decided + timedelta(hours=rng.choice((1, 4, 20, 40)))
            if rng.random() < 0.4:
                opportunity = first_contact + timedelta(days=rng.randrange(2, 10))
                opportunity_cents = rng.randrange(10, 80) * 100_000
                if rng.random() < 0.6 and opportunity + timedelta(days=20) < now:
                    outcome_at = opportunity + timedelta(days=rng.randrange(5, 20))
                    if rng.random() < 0.45:
                        outcome, won_cents, won_on = "won", opportunity_cents, outcome_at.date()
                    else:
                        outcome, lost = "lost", "competitor"
        if rng.random() < 0.5:
            rating, rated = rng.randrange(1, 6), (first_contact or decided) + timedelta(hours=1)
            feedback = rated
    return (handoff_id, lead_id, call_id, campaign_id, member, agent, status, points or 0, band or "cool", 1,
            json.dumps(reasons), json.dumps(answers), json.dumps(sla), *map(stamp, (at, at, decided)), kind, reason,
            *map(stamp, (first_contact, opportunity)), opportunity_cents, outcome, stamp(outcome_at), won_cents,
            won_on.isoformat() if won_on else None, lost, rating, *map(stamp, (rated, feedback)))


LOADED_TABLES = ("users", "campaigns", "accounts", "lead_lists", "leads", "calls", "phone_calls", "call_objections",
                 "handoffs", "qualification_answers", "sla_breaches", "touches", "call_guides", "guide_versions")


def data_key(calls: int, handoffs: int) -> str:
    """What the loaded rows depend on: their size, the columns of the tables the builder fills and its code. Not the
    indexes nor the other tables: `complete_schema` adds what a newer schema has to a database built before."""
    import hashlib

    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateTable

    import console.models  # noqa: F401  (every table on the metadata)
    from console.extensions import db

    digest = hashlib.sha256(_source_digest().encode())
    for name in LOADED_TABLES:
        digest.update(str(CreateTable(db.metadata.tables[name]).compile(dialect=sqlite.dialect())).encode())
    return f"{calls}-calls-{handoffs}-handoffs-{digest.hexdigest()[:12]}"


def complete_schema(url: str, log) -> None:
    """Create the tables and indexes the schema has and the built database lacks (a rollup table, an index added
    since the build), so that a cached build serves a newer schema."""
    from console.extensions import db

    app = bench.make_app(url)
    with app.app_context():
        began = time.perf_counter()
        db.create_all()  # only the missing tables (with their indexes)
        with db.engine.connect() as connection:
            existing = set(connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'" if db.engine.dialect.name == "sqlite"
                else "SELECT indexname FROM pg_indexes").scalars())
        made = []
        for name in LOADED_TABLES:
            for index in db.metadata.tables[name].indexes:
                if index.name not in existing:
                    index.create(db.engine)
                    made.append(index.name)
        if made:
            log(f"  indexes added to the built database: {', '.join(made)} ({time.perf_counter() - began:.0f} s)")
        db.session.remove()
        db.engine.dispose()


def database(url: str, args, log) -> dict:
    """Build at `url` (SQLite: once per size and data key into --cache-dir, copied for each run; PostgreSQL: in
    place, kept while its key holds), then complete its schema."""
    key = data_key(args.calls, args.handoffs)
    if not url.startswith("sqlite"):
        figures = _postgres_database(url, key, args, log)
        complete_schema(url, log)
        return figures
    cache = Path(args.cache_dir) / f"report-{key}.db"
    target = Path(url.removeprefix("sqlite:///"))
    if not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        figures = build(f"sqlite:///{partial}", args.calls, args.handoffs, args.seed, log)
        import sqlite3

        with sqlite3.connect(partial) as folded:  # the WAL written into the file, so that a copy is whole
            busy, _pages, _copied = folded.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy:
                raise SystemExit(f"{partial} is still in use: its WAL could not be written back")
        for leftover in partial.parent.glob(partial.name + "-*"):
            leftover.unlink()
        (cache.with_suffix(".json")).write_text(json.dumps(figures))
        partial.rename(cache)
    else:
        log(f"  reusing {cache}")
    shutil.copyfile(cache, target)
    complete_schema(url, log)
    return json.loads(cache.with_suffix(".json").read_text())


def _postgres_database(url: str, key: str, args, log) -> dict:
    """The PostgreSQL bench database: reused when it holds this key's data (a comment on its calls table says
    which), built afresh otherwise."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            held = connection.execute(text("SELECT obj_description('calls'::regclass, 'pg_class')")).scalar()
    except Exception:  # no calls table yet
        held = None
    finally:
        engine.dispose()
    if held and held.startswith(key + " "):
        log(f"  reusing the PostgreSQL database built for {key}")
        return json.loads(held.split(" ", 1)[1])
    figures = build(url, args.calls, args.handoffs, args.seed, log)
    engine = create_engine(url)
    with engine.begin() as connection:
        note = f"{key} {json.dumps(figures)}".replace("'", "''")
        connection.execute(text(f"COMMENT ON TABLE calls IS '{note}'"))
    engine.dispose()
    return figures


def _source_digest() -> str:
    """What the data depends on besides the schema: the builder's own code and its constants."""
    import hashlib
    import inspect

    digest = hashlib.sha256(inspect.getsource(build).encode() + inspect.getsource(_handoff).encode())
    digest.update(repr((CAMPAIGNS, AGENTS, SALES, DAYS, SOURCES, ROLES, TITLES, DISPOSITIONS)).encode())
    return digest.hexdigest()[:10]


# ---------------------------------------------------------------- timing the pages

def pages(app) -> list[tuple[str, str]]:
    """(name, URL) of every report page the bench times, on the bench's data."""
    from sqlalchemy import select

    from console.campaigns.models import Campaign
    from console.extensions import db

    from console.auth.models import User
    from console.reports import agenda
    from console.reports.models import AlignmentMeeting

    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).order_by(Campaign.id).limit(1))
        meeting_id = db.session.scalar(select(AlignmentMeeting.id).limit(1))
        if meeting_id is None:  # the agenda of a meeting over the last fortnight of the data
            marketer = db.session.scalar(select(User).where(User.email == "marketing@bench.example"))
            seller = db.session.scalar(select(User).where(User.email == "sales0@bench.example"))
            meeting_id = agenda.create_meeting(
                marketer, held_on=datetime(2026, 12, 1).date(), period_start=datetime(2026, 11, 17).date(),
                period_end=datetime(2026, 11, 30).date(), sales_participant_id=seller.id,
                participant_ids=[marketer.id]).id
    window = f"from={FIRST}&to={LAST}"
    return [("campaign", f"/reports/campaigns/{campaign_id}?{window}"),
            ("campaign_by_agent", f"/reports/campaigns/{campaign_id}?{window}&by=agent&grouping=week"),
            ("all_campaigns", f"/reports/?{window}"),
            ("all_campaigns_last_touch", f"/reports/?{window}&attribution=last"),
            ("agent_view", f"/reports/agents?{window}"),
            ("objections", f"/alignment/objections?{window}"),
            ("objections_campaign", f"/alignment/objections?campaign={campaign_id}&{window}"),
            ("evidence", f"/alignment/evidence?{window}"),
            ("agenda", f"/alignment/meetings/{meeting_id}")]


FIRST, LAST = "2026-09-01", "2026-11-30"


# ---------------------------------------------------------------- the figures against the raw rows

RAW_CALLS = """
SELECT c.campaign_id, count(*),
       sum(CASE WHEN c.disposition IN ({connects}) OR EXISTS (SELECT 1 FROM phone_calls p WHERE p.call_id = c.id
                AND p.answered_at IS NOT NULL) THEN 1 ELSE 0 END),
       sum(CASE WHEN c.disposition IN ({conversations}) THEN 1 ELSE 0 END),
       sum(CASE WHEN c.disposition = 'qualified' THEN 1 ELSE 0 END)
FROM calls c WHERE c.status = 'completed' AND c.started_at >= :lo AND c.started_at < :hi GROUP BY c.campaign_id
"""
RAW_HANDOFFS = """
SELECT h.campaign_id, count(*), sum(CASE WHEN h.status = 'accepted' THEN 1 ELSE 0 END),
       sum(CASE WHEN h.status = 'rejected' THEN 1 ELSE 0 END),
       sum(CASE WHEN h.outcome = 'won' THEN 1 ELSE 0 END),
       coalesce(sum(CASE WHEN h.outcome = 'won' THEN h.won_cents ELSE 0 END), 0),
       sum(CASE WHEN h.first_contact_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sla_breaches b
                WHERE b.handoff_id = h.id AND b.clock = 'first_contact') THEN 1 ELSE 0 END),
       sum(CASE WHEN EXISTS (SELECT 1 FROM sla_breaches b WHERE b.handoff_id = h.id AND b.clock = 'accept')
           THEN 1 ELSE 0 END),
       count(h.rating), coalesce(sum(h.rating), 0)
FROM handoffs h WHERE h.created_at >= :lo AND h.created_at < :hi GROUP BY h.campaign_id
"""
CALL_FIELDS = ("dials", "connects", "conversations", "qualified")
HANDOFF_FIELDS = ("handed_over", "accepted", "rejected", "won", "won_cents", "followed_up", "accept_breached",
                  "rated", "rating_total")


def check_figures(url: str) -> dict:
    """Every campaign's figures as the all-campaigns page and each campaign's page compute them, against the raw
    aggregates above; attribution both ways credits exactly the range's won deals. Returns the mismatches."""
    from sqlalchemy import select, text

    from console.auth.models import User
    from console.campaigns.models import Campaign
    from console.extensions import db
    from console.reports import rules, services

    app = bench.make_app(url)
    mismatches: list[str] = []
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "marketing@bench.example"))
        zone = services.viewer_zone(user)
        first, last = (datetime.strptime(day, "%Y-%m-%d").date() for day in (FIRST, LAST))
        lo, hi = rules.utc_bounds(first, last, zone)
        quoted = lambda codes: ", ".join(f"'{code}'" for code in codes)  # noqa: E731  (fixed catalogue codes)
        raw = {}
        for campaign_id, *values in db.session.execute(text(RAW_CALLS.format(
                connects=quoted(rules.CONNECT_DISPOSITIONS), conversations=quoted(rules.CONVERSATION_DISPOSITIONS))),
                {"lo": lo, "hi": hi}):
            raw.setdefault(campaign_id, {}).update(zip(CALL_FIELDS, (int(value or 0) for value in values)))
        for campaign_id, *values in db.session.execute(text(RAW_HANDOFFS), {"lo": lo, "hi": hi}):
            raw.setdefault(campaign_id, {}).update(zip(HANDOFF_FIELDS, (int(value or 0) for value in values)))
        side_by_side = {attribution: services.all_campaigns_report(first, last, zone, attribution)
                        for attribution in (rules.Attribution.FIRST, rules.Attribution.LAST)}
        checked = 0
        for row in side_by_side[rules.Attribution.FIRST].rows:
            expected = raw.get(row.campaign_id, {})
            got = {name: getattr(row, name) for name in CALL_FIELDS + HANDOFF_FIELDS if hasattr(row, name)}
            got["accept_breached"] = row.clocks["accept"].breached
            for name, value in got.items():
                if value != expected.get(name, 0):
                    mismatches.append(f"campaign {row.campaign_id} {name}: page {value}, raw {expected.get(name, 0)}")
            checked += 1
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.id).limit(1))
        one = services.campaign_report(campaign, first, last, zone)
        for name in CALL_FIELDS + ("handed_over", "accepted", "won", "won_cents"):
            if getattr(one, name) != raw.get(campaign.id, {}).get(name, 0):
                mismatches.append(f"campaign page {campaign.id} {name}: {getattr(one, name)}")
        won_total = sum(values.get("won", 0) for values in raw.values())
        for attribution, report in side_by_side.items():
            credited = sum(row.attributed_won for row in report.rows)
            if credited != won_total:
                mismatches.append(f"{attribution}-touch attribution credits {credited} deals of {won_total}")
        db.session.remove()
        db.engine.dispose()
    return {"campaigns_checked": checked, "mismatches": mismatches[:20], "identical": not mismatches}


def time_pages(url: str, args, log) -> dict:
    app = bench.make_app(url)
    client = app.test_client()
    token = bench._csrf_token(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"email": "marketing@bench.example", "password": "bench-password-1",
                                         "csrf_token": token})
    if answer.status_code not in (200, 302, 303):
        raise SystemExit(f"sign-in answered {answer.status_code}")
    figures = {}
    for name, path in pages(app):
        timings, statuses = [], set()
        for _ in range(args.requests):
            began = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - began) * 1000)
            statuses.add(response.status_code)
        timings.sort()
        figures[name] = {"p50_ms": round(timings[len(timings) // 2], 1),
                         "p95_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.95))], 1),
                         "statuses": sorted(statuses), "path": path}
        log(f"  {name:<14} p50 {figures[name]['p50_ms']:>7.1f} ms  p95 {figures[name]['p95_ms']:>7.1f} ms"
            f"  {sorted(statuses)}")
    return figures


def build_rollups(url: str, log) -> dict:
    """The worker's first run (rollups.refresh with rebuild): every hour of calls counted into the rollups."""
    from console.extensions import db
    from console.reports import rollups

    app = bench.make_app(url)
    with app.app_context():
        done = rollups.refresh(rebuild=True)
        db.session.remove()
        db.engine.dispose()
    log(f"  rollups rebuilt: {done.hours:,} hours counted in {done.seconds:.1f} s")
    return done.as_dict()


def report_database(url: str, args, log) -> dict:
    built = database(url, args, log)
    if args.build_only:
        return {"build": built, "targets_met": False}
    built["rollups"] = build_rollups(url, log)
    pages_timed = time_pages(url, args, log)
    checked = check_figures(url)
    log(f"  figures against raw aggregates: {checked['campaigns_checked']} campaigns,"
        f" {'identical' if checked['identical'] else 'MISMATCHES: ' + '; '.join(checked['mismatches'])}")
    met = checked["identical"] and all(page["p95_ms"] < TARGET_P95_MS and page["statuses"] == [200]
                                       for page in pages_timed.values())
    return {"build": built, "pages": pages_timed, "figures": checked, "targets_met": met}


def report_main(args, log) -> int:
    log(f"report bench: {args.calls:,} calls, {args.handoffs:,} hand-offs, {args.requests} requests a page")
    results = bench.on_each_database(args, lambda url: report_database(url, args, log))
    results["targets"] = {"p95_ms_below": TARGET_P95_MS}
    results["targets_met"] = all(figures["targets_met"] for key, figures in results.items()
                                 if key in ("sqlite", "postgresql"))
    print(json.dumps(results, sort_keys=True), flush=True)
    return 0 if results["targets_met"] else 1
