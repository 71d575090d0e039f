"""`scripts/bench.py api`: the JSON API under gunicorn as ./scripts/start serves it, on a fresh database.

1. Builds a fresh database (SQLite: a temporary file; PostgreSQL when DATABASE_URL names one whose name contains
   "bench"): a marketing user, a running campaign, an API token (its rate limit raised out of the way).
2. Serves the console with gunicorn (WEB_CONCURRENCY workers × 4 threads, as ./scripts/start), then on loopback
   16 clients (httpx, keep-alive, in API_CLIENT_PROCESSES processes) ask:
   - GET /api/v1/ping, the JSON hello world in the same server, for --seconds;
   - POST /api/v1/leads, --api-leads leads one request each (new leads, each with its own external id and number);
   - POST /api/v1/leads:batch, --api-leads more leads in batches of --batch-size.
3. Prints requests per second and p50/p95 of each, leads per second of the batches, the ratios to the hello
   world's requests per second, and every answer that was not the one expected; the last line is one JSON object.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
import threading
import time
from pathlib import Path

# scripts/bench.py, which runs this (set by api_main): its gunicorn runner and helpers.
bench = None

CLIENTS = 16
API_CLIENT_PROCESSES = 2
TARGET_SINGLE_P95_MS = 50.0
TARGET_BATCH_LEADS_PER_S = 5_000.0  # on SQLite
AREA_CODES = ("212", "312", "415", "617", "713", "303", "206", "404", "305", "602")


def served_api():
    """gunicorn's app factory: the console as app.py builds it (configured from the environment), with the
    token's rate limit raised out of the benchmark's way."""
    from console import create_app

    return create_app({"API_RATE_LIMIT_PER_MINUTE": 10 ** 9})


def lead(campaign_id: int, number: int, prefix: str) -> dict:
    area = AREA_CODES[number % len(AREA_CODES)]
    exchange = 200 + (number // 10_000) % 700
    return {"campaign_id": campaign_id, "external_id": f"{prefix}-{number}",
            "phone": f"+1{area}{exchange:03d}{number % 10_000:04d}", "first_name": "Bench",
            "last_name": f"Lead{number}", "company": f"Company {number % 5_000}",
            "email": f"{prefix}{number}@example.com",
            "title": "Head of Operations", "source": "web form"}


def build(url: str, log) -> dict:
    """A fresh database with one marketing user, one running campaign and a token; returns their ids and secret."""
    from console import create_app
    from console.api import services as api
    from console.auth import services as auth
    from console.campaigns.models import Campaign
    from console.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PASSWORD_HASH_PROFILE": "CHEAPEST"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        auth.create_user("marketing@bench.example", "Bench Marketing", "marketing", "bench-password-1")
        campaign = Campaign(name="API bench", source="web form")
        db.session.add(campaign)
        db.session.commit()
        _token, secret = api.create_token("marketing@bench.example", "bench", None, None)
        campaign_id = campaign.id
        db.session.remove()
        db.engine.dispose()
    log(f"  built: campaign {campaign_id}, a marketing token")
    return {"campaign_id": campaign_id, "secret": secret}


def _client_process(port: int, secret: str, work: list, threads: int, gate, results) -> None:
    """One client process: `threads` clients, each with its own keep-alive connection, taking requests from a
    shared list (index by index) until it is empty or the time is up."""
    import httpx

    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    lock, position = threading.Lock(), [0]
    latencies, unexpected = [], []
    deadline_box = {}

    repeat = isinstance(work, tuple)  # ("repeat", request): the same request until the time is up

    def next_item():
        with lock:
            if (not repeat and position[0] >= len(work)) or time.perf_counter() > deadline_box["deadline"]:
                return None
            position[0] += 1
            return work[1] if repeat else work[position[0] - 1]

    def run():
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120) as client:
            while (item := next_item()) is not None:
                method, path, body, expected = item
                began = time.perf_counter()
                response = client.request(method, path, content=body)
                latencies.append(time.perf_counter() - began)
                if response.status_code not in expected:
                    unexpected.append(f"{response.status_code} {path} {response.text[:200]}")

    gate.wait()
    began = time.perf_counter()
    deadline_box["deadline"] = began + float(os.environ.get("API_BENCH_DEADLINE", "1e9"))
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put({"latencies": latencies, "unexpected": unexpected[:20], "unexpected_count": len(unexpected),
                 "began": began, "ended": time.perf_counter(), "done": position[0]})


def run_phase(port: int, secret: str, work: list, seconds: float | None = None) -> dict:
    """The requests of `work` (a list, or ("repeat", request) for one request until `seconds` are up) spread over
    CLIENTS clients in API_CLIENT_PROCESSES processes; the figures."""
    context = multiprocessing.get_context("spawn")
    gate, results = context.Barrier(API_CLIENT_PROCESSES), context.Queue()
    shares = [work if isinstance(work, tuple) else work[index::API_CLIENT_PROCESSES]
              for index in range(API_CLIENT_PROCESSES)]
    environment_deadline = os.environ.get("API_BENCH_DEADLINE")
    if seconds is not None:
        os.environ["API_BENCH_DEADLINE"] = str(seconds)
    try:
        processes = [context.Process(target=_client_process, args=(port, secret, share,
                                                                   CLIENTS // API_CLIENT_PROCESSES, gate, results))
                     for share in shares]
        for process in processes:
            process.start()
        reports = [results.get() for _ in processes]
        for process in processes:
            process.join()
    finally:
        if environment_deadline is None:
            os.environ.pop("API_BENCH_DEADLINE", None)
        else:
            os.environ["API_BENCH_DEADLINE"] = environment_deadline
    latencies = sorted(value for report in reports for value in report["latencies"])
    wall = max(report["ended"] for report in reports) - min(report["began"] for report in reports)
    return {"requests": len(latencies), "seconds": round(wall, 2),
            "rps": round(len(latencies) / wall, 1) if wall else None,
            "p50_ms": bench._ms(latencies, 50), "p95_ms": bench._ms(latencies, 95),
            "unexpected": sum(report["unexpected_count"] for report in reports),
            "unexpected_examples": [line for report in reports for line in report["unexpected"]][:5]}


def bench_api_database(url: str, args, log) -> dict:
    from sqlalchemy.engine import make_url

    name = make_url(url).get_backend_name()
    log(f"{name}: building a fresh database…")
    built = build(url, log)
    campaign_id, secret = built["campaign_id"], built["secret"]
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "FLASK_APP": "app.py"}
    with tempfile.TemporaryDirectory(prefix="console-api-bench-") as directory:
        served = bench.Served("bench_api:served_api()", environment, "/api/v1/ping", Path(directory))
        try:
            log(f"{name}: hello world (GET /api/v1/ping), {CLIENTS} clients, {args.seconds:.0f} s…")
            hello = run_phase(served.port, secret, ("repeat", ("GET", "/api/v1/ping", None, (200,))),
                              seconds=args.seconds)
            log(f"  {hello['rps']} req/s, p50 {hello['p50_ms']} ms, p95 {hello['p95_ms']} ms")

            log(f"{name}: {args.api_leads:,} single upserts (POST /api/v1/leads), {CLIENTS} clients…")
            singles = [("POST", "/api/v1/leads", json.dumps(lead(campaign_id, number, "s")).encode(), (201,))
                       for number in range(args.api_leads)]
            single = run_phase(served.port, secret, singles)
            del singles
            log(f"  {single['rps']} req/s, p50 {single['p50_ms']} ms, p95 {single['p95_ms']} ms,"
                f" unexpected {single['unexpected']} {single['unexpected_examples'][:2]}")

            size = args.batch_size
            log(f"{name}: {args.api_leads:,} leads in batches of {size:,} (POST /api/v1/leads:batch), {CLIENTS}"
                " clients…")
            batches = [("POST", "/api/v1/leads:batch", json.dumps({"leads": [
                lead(campaign_id, number, "b") for number in range(start, min(start + size, args.api_leads))]
            }).encode(), (200,)) for start in range(0, args.api_leads, size)]
            batch = run_phase(served.port, secret, batches)
            del batches
            batch["leads_per_s"] = round(args.api_leads / batch["seconds"], 1) if batch["seconds"] else None
            log(f"  {batch['leads_per_s']} leads/s ({batch['rps']} batches/s, p95 {batch['p95_ms']} ms),"
                f" unexpected {batch['unexpected']} {batch['unexpected_examples'][:2]}")
        finally:
            served.stop()
    figures = {"database": name, "clients": CLIENTS, "workers": int(os.environ.get("WEB_CONCURRENCY", "2")),
               "leads": args.api_leads, "batch_size": size,
               "hello_rps": hello["rps"], "hello_p95_ms": hello["p95_ms"],
               "single_rps": single["rps"], "single_p50_ms": single["p50_ms"], "single_p95_ms": single["p95_ms"],
               "single_seconds": single["seconds"], "single_unexpected": single["unexpected"],
               "batch_leads_per_s": batch["leads_per_s"], "batch_p95_ms": batch["p95_ms"],
               "batch_seconds": batch["seconds"], "batch_unexpected": batch["unexpected"]}
    figures["single_ratio"] = round(single["rps"] / hello["rps"], 3) if hello["rps"] else None
    figures["batch_ratio"] = round(batch["leads_per_s"] / hello["rps"], 3) if hello["rps"] else None
    figures["targets_met"] = bool((single["p95_ms"] or 1e9) < TARGET_SINGLE_P95_MS
                                  and (name != "sqlite" or (batch["leads_per_s"] or 0) >= TARGET_BATCH_LEADS_PER_S)
                                  and single["unexpected"] == 0 and batch["unexpected"] == 0)
    return figures


def api_main(args, log, bench_module) -> int:
    global bench
    bench = bench_module
    results = bench.on_each_database(args, lambda url: bench_api_database(url, args, log))
    results["targets"] = {"single_p95_ms_below": TARGET_SINGLE_P95_MS,
                          "batch_leads_per_s_at_least_on_sqlite": TARGET_BATCH_LEADS_PER_S}
    results["definitions"] = {
        "hello_rps, _p95_ms": "GET /api/v1/ping (no token, no database) in the same server, for --seconds",
        "single_rps, _p50/_p95_ms": "POST /api/v1/leads, one new lead a request (token, rate count, the import's"
                                    " reading and settling, audit)",
        "batch_leads_per_s": "--api-leads leads / seconds, in POST /api/v1/leads:batch of --batch-size",
        "single_ratio": "single_rps / hello_rps", "batch_ratio": "batch_leads_per_s / hello_rps",
        "*_unexpected": "answers other than 201 (single) or 200 (batch): must be 0",
    }
    results["targets_met"] = all(figures["targets_met"] for key, figures in results.items()
                                 if key in ("sqlite", "postgresql"))
    print(json.dumps(results, sort_keys=True), flush=True)
    return 0
