"""`scripts/bench.py import`: a million-row CSV imported through the job the browser's import runs.

1. Generates a CSV of --rows rows (default 1,000,000): realistic names, titles and companies (with domains), US
   numbers over every zone in mixed formats, with planted rows: about 3 % invalid phones, 5 % duplicates of an
   earlier row's number (written in another format), 2 % numbers put on the do-not-call list before the import.
2. Builds the database (SQLite: a temporary file; PostgreSQL when DATABASE_URL names one whose name contains
   "bench"): --agent-leads leads in a campaign that 8 agents work during the import, and an empty campaign to
   import into.
3. In a process of its own, imports the file as the browser does: console.imports.services.upload (the file
   stored in chunks), start (the mapping the console suggests), then run (the worker's job body, which reads
   rows in a second process). Meanwhile 8 agents (2 processes × 4 threads, as ./scripts/start serves them)
   claim through console.queue.services.claim_next_lead and disposition, and every claim is timed; they claim
   alone for BASELINE_SECONDS first, the same claims' baseline on this machine at this moment.
4. Times the bare loop: phonenumbers.parse + format_number(E164) + timezone.time_zones_for_number over the
   file's phone cells, on one core.

Prints rows per second end to end (upload start to import done), the import alone, the ratio import/bare,
peak resident memory (the import's process and the one reading its rows, together, sampled from /proc), the
counts by outcome against what was planted, and the agents' claim p50/p95 during the import and before it; the
last line is one JSON object.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import random
import resource
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

# scripts/bench.py, which runs this: its database builder, app factory and disposition (set by import_main).
bench = None

TARGET_ROWS_PER_S = 40_000
TARGET_RATIO = 1.0
TARGET_PEAK_MB = 500
TARGET_CLAIM_P95_MS = 25.0
IMPORT_AGENTS = 8
AGENT_PROCESSES = 2
BASELINE_SECONDS = 15  # the agents claim alone first, so their figures during the import have something to compare to

FIRST_NAMES = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
               "Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra "
               "Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol "
               "Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Dorothy Jason Rebecca Edward "
               "Sharon Jeffrey Laura Ryan Cynthia Jacob Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan "
               "Brenda Stephen Emma Larry Anna Justin Pamela Scott Nicole Brandon Samantha Benjamin Katherine "
               "Samuel Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack "
               "Olivia Dennis Heather Jerry Helen Tyler Catherine Aaron Diane Jose Julie Adam Victoria Nathan "
               "Joyce Henry Lauren Zachary Kelly Douglas Christina Peter Ruth Kyle Joan Noah Virginia Ethan Judith "
               "Jeremy Evelyn Christian Hannah Walter Andrea Keith Megan Austin Cheryl Roger Jacqueline Terry "
               "Madison Sean Teresa Gerald Abigail Carl Sophia Dylan Martha Harold Sara Jordan Gloria Jesse Janice "
               "Bryan Kathryn Lawrence Ann Arthur Isabella Gabriel Judy Bruce Charlotte Logan Julia Billy Grace "
               "Joe Amber Alan Alice Juan Jean Elijah Denise Willie Frances Albert Danielle Wayne Marilyn Randy "
               "Natalie Mason Beverly Vincent Diana Liam Brittany Roy Theresa Bobby Kayla Caleb Alexis Bradley "
               "Doris Russell Lori Lucas Tiffany Zoë José Renée Chloé").split()
LAST_NAMES = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
              "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
              "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
              "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
              "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
              "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James "
              "Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster "
              "Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher "
              "Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno "
              "West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall "
              "Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb "
              "Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason "
              "Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren "
              "Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne "
              "Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight "
              "Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry "
              "Perkins Hoffman Johnston Matthews Peña O'Brien Brontë Müller").split()
TITLES = ("VP Sales", "Head of Operations", "IT Director", "CFO", "Procurement Manager", "CTO", "Office Manager",
          "Director of Marketing", "Fleet Manager", "Facilities Manager", "COO", "Purchasing Lead", "CIO",
          "Head of IT", "Operations Manager", "Controller", "General Manager", "Owner")
COMPANY_WORDS = ("Acme Apex Summit Pioneer Beacon Harbor Cedar Granite Northwind Bluebird Redwood Silverline Keystone "
                 "Meridian Evergreen Lighthouse Horizon Ironwood Crescent Riverbend Stonebridge Oakridge Pinnacle "
                 "Sterling Vanguard Atlas Orion Falcon Liberty Heritage Prairie Canyon Coastal Sunrise Frontier "
                 "Cobalt Crimson Emerald Golden Trinity Union Metro Capital Premier Allied Precision").split()
COMPANY_KINDS = ("Logistics Software Manufacturing Health Foods Energy Systems Analytics Dental Legal Construction "
                 "Logistics Freight Retail Labs Robotics Media Insurance Supply Partners").split()
COMPANY_SUFFIXES = ("Inc", "LLC", "Corp", "Group", "Co", "Ltd", "& Sons", "Holdings")
FORMATS = ("({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}", "1{a}{b}{c}", "{a}{b}{c}",
           "+1-{a}-{b}-{c}", "1 ({a}) {b}-{c}")
INVALID_PHONES = ("555-01{n:02d}", "(123) 456-{n:04d}", "n/a", "call reception", "000-000-{n:04d}", "12",
                  "+1 999 {n:03d}", "TBD")
HEADER = ["First Name", "Last Name", "Title", "Company", "Website", "Email", "Phone", "State", "Lead Source"]


def generate(path: Path, rows: int, seed: int, area_codes) -> dict:
    """Write the CSV; return what was planted: counts by outcome and the do-not-call numbers (E.164)."""
    import csv

    from console.compliance.rules import InvalidPhoneNumber, read_phone

    rng = random.Random(seed)
    weights = [weight for _a, _s, weight in area_codes]
    companies = []
    seen_companies = set()
    while len(companies) < max(50, rows // 20):
        name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {rng.choice(COMPANY_SUFFIXES)}"
        if name in seen_companies:
            name = f"{name} {len(companies)}"
        seen_companies.add(name)
        domain = "".join(ch for ch in name.lower().split(" &")[0] if ch.isalnum()) + ".com"
        companies.append((name, domain))
    numbers_used: set[int] = set()
    imported_phones: list[str] = []
    planted = {"imported": 0, "duplicate": 0, "suppressed": 0, "rejected": 0, "updated": 0}
    do_not_call: list[str] = []

    def new_number() -> tuple[str, str, str]:
        while True:
            area, state, _w = rng.choices(area_codes, weights)[0]
            exchange = rng.randint(210, 999)  # 200-209: the agents' campaign's numbers (bench.build)
            if exchange % 100 == 11:
                continue
            line = rng.randint(0, 9999)
            digits = f"{area}{exchange}{line:04d}"
            if int(digits) in numbers_used:
                continue
            e164 = f"+1{digits}"
            try:
                if read_phone(e164).e164 != e164:
                    continue
            except InvalidPhoneNumber:
                continue
            numbers_used.add(int(digits))
            return digits, e164, state

    def formatted(digits: str) -> str:
        return rng.choice(FORMATS).format(a=digits[:3], b=digits[3:6], c=digits[6:])

    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            company, domain = rng.choice(companies)
            email = f"{first}.{last}.{n}@{domain}".lower().replace("'", "").replace(" ", "")
            roll = rng.random()
            state = ""
            if roll < 0.03:
                phone = rng.choice(INVALID_PHONES).format(n=n % 100)
                try:
                    read_phone(phone)
                    raise AssertionError(f"planted invalid phone {phone!r} reads as valid")
                except InvalidPhoneNumber:
                    pass
                planted["rejected"] += 1
            elif roll < 0.08 and imported_phones:
                digits = rng.choice(imported_phones)
                phone = formatted(digits)
                planted["duplicate"] += 1
            else:
                digits, e164, state = new_number()
                phone = formatted(digits)
                if roll < 0.10:
                    do_not_call.append(e164)
                    planted["suppressed"] += 1
                else:
                    imported_phones.append(digits)
                    planted["imported"] += 1
            if rng.random() < 0.25:
                state = ""  # many lists leave the state out: the number says where the lead is
            writer.writerow([first, last, rng.choice(TITLES), company, f"https://www.{domain}", email, phone, state,
                             "Trade show 2026"])
    return {"planted": planted, "do_not_call": do_not_call}


def bare_phone_loop(path: Path) -> tuple[float, int]:
    """phonenumbers.parse + format_number(E164) + time_zones_for_number over every phone cell, on one core."""
    import csv

    import phonenumbers
    from phonenumbers import timezone

    with open(path, newline="", encoding="utf-8") as source:
        reader = csv.reader(source)
        column = next(reader).index("Phone")
        phones = [row[column] for row in reader]
    began = time.perf_counter()
    for raw in phones:
        try:
            number = phonenumbers.parse(raw, "US")
        except phonenumbers.NumberParseException:
            continue
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        timezone.time_zones_for_number(number)
    return time.perf_counter() - began, len(phones)


def _import_in_child(url: str, path: str, campaign_id: int, user_id: int, importing, finished, results) -> None:
    """The import as the browser runs it, in a process of its own (its peak memory is the import's)."""
    try:
        make_app = bench.make_app
        from console.auth.models import User
        from console.database.engine import Checkpointer
        from console.campaigns.models import Campaign
        from console.extensions import db
        from console.imports import services

        app = make_app(url)
        with app.app_context():
            user = db.session.get(User, user_id)
            campaign = db.session.get(Campaign, campaign_id)
            checkpointer = Checkpointer.start_for(db.engine)  # as in the worker that runs imports
            importing.wait()
            began = time.perf_counter()
            with open(path, "rb") as upload:
                lead_list = services.upload(campaign, upload, Path(path).name, source_name="Trade show 2026",
                                            duplicates="skip", actor=user)
            uploaded = time.perf_counter()
            services.start(lead_list, services.suggested_mapping(lead_list, services.preview(lead_list).columns),
                           user, run_in_worker=False)
            mapped = time.perf_counter()
            counts = services.run(lead_list.id)
            done = time.perf_counter()
            if checkpointer is not None:
                checkpointer.stop()
        finished.set()
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results.put({"upload_s": uploaded - began, "map_s": mapped - uploaded, "import_s": done - mapped,
                     "total_s": done - began, "counts": counts, "peak_mb_import": round(own, 1)})
    except BaseException as error:  # noqa: BLE001  (reported to the parent)
        import traceback

        traceback.print_exc()
        finished.set()
        results.put({"error": f"{type(error).__name__}: {error}"})


def _agents_in_child(url: str, agent_ids: list[int], started, importing, finished, results) -> None:
    """Agents claiming (timed) and dispositioning from `started` until the import is done; a claim begun before
    the import started counts as the baseline, one begun after as during the import."""
    try:
        make_app, _disposition = bench.make_app, bench._disposition
        from console.auth.services import signed_in_user
        from console.calls import services as calls
        from console.calls.models import Call
        from console.extensions import db
        from console.queue import services as queue

        app = make_app(url)
        latencies: dict[str, list[float]] = {"baseline": [], "during": []}
        lock = threading.Lock()

        def agent(agent_id: int) -> None:
            rng = random.Random(agent_id)
            mine = {"baseline": [], "during": []}
            with app.app_context():
                while not finished.is_set():
                    user = signed_in_user(agent_id)
                    phase = "during" if importing.is_set() else "baseline"
                    began = time.perf_counter()
                    call = queue.claim_next_lead(user)
                    mine[phase].append(time.perf_counter() - began)
                    if call is None:
                        db.session.remove()
                        time.sleep(0.01)
                        continue
                    call_id = call.id
                    db.session.remove()
                    time.sleep(rng.uniform(0, 0.2))  # on the phone
                    user = signed_in_user(agent_id)
                    _disposition(calls, db.session.get(Call, call_id), user, "no_answer", rng)
                    db.session.remove()
            with lock:
                for phase, values in mine.items():
                    latencies[phase].extend(values)

        with app.app_context():  # warm the claim's caches, as a working console has them
            for agent_id in agent_ids:
                call = queue.claim_next_lead(signed_in_user(agent_id))
                if call is not None:
                    _disposition(calls, db.session.get(Call, call.id), signed_in_user(agent_id), "no_answer",
                                 random.Random(0))
                db.session.remove()
        started.wait()
        threads = [threading.Thread(target=agent, args=(agent_id,)) for agent_id in agent_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results.put({"latencies": latencies})
    except BaseException as error:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        results.put({"error": f"{type(error).__name__}: {error}"})


def bench_import_database(url: str, args, log, path: Path, generated: dict) -> dict:
    build, make_app, write_back = bench.build, bench.make_app, bench.write_back
    from console.auth.models import Role, User
    from console.campaigns.models import Campaign
    from console.compliance.models import DoNotCallEntry
    from console.extensions import db

    name = "postgresql" if url.startswith("postgresql") else "sqlite"
    app = make_app(url)
    built = build(app, args.agent_leads, log, capacity_agents=1)
    with app.app_context():
        marketer = User(email="marketing@bench.example", full_name="Bench Marketer", role=Role.MARKETING,
                        password_hash="x", active=True)
        campaign = Campaign(name="Imported list", source="Trade show", priority=1, max_attempts=6)
        db.session.add_all([marketer, campaign])
        db.session.flush()
        now = datetime.now(UTC).replace(tzinfo=None)
        db.session.execute(insert(DoNotCallEntry), [{"phone": phone, "reason": "bench opt-out", "source": "manual",
                                                     "added_at": now} for phone in generated["do_not_call"]])
        db.session.commit()
        campaign_id, marketer_id = campaign.id, marketer.id
        write_back(db.engine)
        db.session.remove()
        db.engine.dispose()
    agent_ids = built["agent_ids"][:IMPORT_AGENTS]
    context = multiprocessing.get_context("fork")
    started, importing, finished = context.Event(), context.Event(), context.Event()
    results = context.Queue()
    log(f"{name}: importing {args.rows:,} rows while {IMPORT_AGENTS} agents claim "
        f"({AGENT_PROCESSES} processes × {IMPORT_AGENTS // AGENT_PROCESSES} threads)…")
    importer = context.Process(target=_import_in_child, args=(url, str(path), campaign_id, marketer_id, importing,
                                                              finished, results))
    agents = [context.Process(target=_agents_in_child, args=(url, agent_ids[n::AGENT_PROCESSES], started, importing,
                                                             finished, results)) for n in range(AGENT_PROCESSES)]
    for process in (importer, *agents):
        process.start()
    time.sleep(2)  # the agents' warm-up claims
    started.set()
    time.sleep(BASELINE_SECONDS)  # the agents alone: their claims' baseline on this machine, now
    with MemorySampler(importer.pid) as memory:
        importing.set()
        reports, latencies, baseline = gather_reports(results, (importer, *agents), timeout=3600)
    imported = next(report for report in reports if "counts" in report)
    counts = {key: value for key, value in imported["counts"].items() if key != "rows"}
    figures = {
        "database": name, "rows": args.rows,
        "rows_per_s_end_to_end": round(args.rows / imported["total_s"]),
        "rows_per_s_import": round(args.rows / imported["import_s"]),
        "upload_s": round(imported["upload_s"], 2), "import_s": round(imported["import_s"], 2),
        "total_s": round(imported["total_s"], 2),
        "peak_mb": round(memory.peak_kb / 1024, 1),
        "peak_mb_import_process_maxrss": imported["peak_mb_import"],
        "counts": counts, "planted": generated["planted"], "counts_match_planted": counts == generated["planted"],
        "claims_during_import": len(latencies),
        "claim_p50_ms": round(_percentile(latencies, 50) * 1000, 1) if latencies else None,
        "claim_p95_ms": round(_percentile(latencies, 95) * 1000, 1) if latencies else None,
        "baseline_claims": len(baseline),
        "baseline_claim_p50_ms": round(_percentile(baseline, 50) * 1000, 1) if baseline else None,
        "baseline_claim_p95_ms": round(_percentile(baseline, 95) * 1000, 1) if baseline else None,
    }
    log(f"{name}: {figures['rows_per_s_end_to_end']:,} rows/s end to end ({figures['total_s']} s: upload "
        f"{figures['upload_s']} s, import {figures['import_s']} s), peak {figures['peak_mb']} MB, claims "
        f"p50 {figures['claim_p50_ms']} ms p95 {figures['claim_p95_ms']} ms ({len(latencies)} claims; without the import"
        f" p50 {figures['baseline_claim_p50_ms']} ms p95 {figures['baseline_claim_p95_ms']} ms); counts "
        f"{'match' if figures['counts_match_planted'] else 'DO NOT match'} the planted rows: {counts}")
    return figures


class MemorySampler:
    """The peak of the resident memory of a process and its descendants together (the import and the process
    reading its rows), sampled from /proc every 0.2 s. ru_maxrss would count a spawned child's moment between
    fork and exec, when it still shares its parent's pages."""

    def __init__(self, pid: int):
        self.pid, self.peak_kb, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_exc):
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(pid) for pid in _tree(self.pid)))


def _tree(pid: int) -> list[int]:
    pids = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    pids += _tree(int(child))
    except OSError:
        pass
    return pids


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def gather_reports(results, processes, timeout: float) -> tuple[list[dict], list[float], list[float]]:
    """Each child's report once it ends (raising the children's errors), and the agents' claim latencies during
    the timed work and before it, sorted."""
    reports = [results.get(timeout=timeout) for _process in processes]
    for process in processes:
        process.join()
    errors = [report["error"] for report in reports if "error" in report]
    if errors:
        raise RuntimeError("; ".join(errors))
    latencies = sorted(value for report in reports for value in report.get("latencies", {}).get("during", []))
    baseline = sorted(value for report in reports for value in report.get("latencies", {}).get("baseline", []))
    return reports, latencies, baseline


def _percentile(values: list[float], percent: float) -> float:
    index = min(len(values) - 1, max(0, round(percent / 100 * (len(values) - 1))))
    return values[index]


def import_main(args, log, bench_module) -> int:
    global bench
    bench = bench_module
    area_codes, on_each_database = bench.AREA_CODES, bench.on_each_database
    with tempfile.TemporaryDirectory(prefix="console-import-bench-") as folder:
        path = Path(folder) / "leads.csv"
        began = time.perf_counter()
        generated = generate(path, args.rows, args.seed, area_codes)
        log(f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - began:.0f} s:"
            f" planted {generated['planted']}")
        bare_seconds, phones = bare_phone_loop(path)
        bare_rate = phones / bare_seconds
        log(f"bare phonenumbers loop (parse + E.164 + zones, one core): {bare_rate:,.0f} numbers/s")
        results = on_each_database(args, lambda url: bench_import_database(url, args, log, path, generated))
    figures = {key: value for key, value in results.items() if key in ("sqlite", "postgresql")}
    for database in figures.values():
        database["bare_numbers_per_s"] = round(bare_rate)
        database["ratio_import_to_bare"] = round(database["rows_per_s_end_to_end"] / bare_rate, 3)
        database["targets_met"] = (
            (database["database"] != "sqlite" or database["rows_per_s_end_to_end"] >= TARGET_ROWS_PER_S)
            and database["ratio_import_to_bare"] >= TARGET_RATIO and database["peak_mb"] < TARGET_PEAK_MB
            and database["claim_p95_ms"] is not None and database["claim_p95_ms"] < TARGET_CLAIM_P95_MS
            and database["counts_match_planted"])
        log(f"{database['database']}: ratio import/bare {database['ratio_import_to_bare']}")
    results["targets"] = {"sqlite_rows_per_s_at_least": TARGET_ROWS_PER_S, "ratio_at_least": TARGET_RATIO,
                          "peak_mb_below": TARGET_PEAK_MB, "claim_p95_ms_below": TARGET_CLAIM_P95_MS,
                          "counts_match_planted": True}
    results["targets_met"] = all(database["targets_met"] for database in figures.values())
    results["cpus"] = os.cpu_count()
    print(json.dumps(results, sort_keys=True), flush=True)
    return 0
