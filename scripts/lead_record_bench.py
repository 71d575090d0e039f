"""Time the lead search, the do-not-call list's pages and a 100,000-number upload on a million leads.

    .venv/bin/python scripts/lead_record_bench.py [--leads 1000000] [--entries 1000000] [--database URL]

Builds (once, then reuses) a database of `--leads` leads with realistic, unevenly common last names over 50,000
companies and 10 campaigns, and `--entries` do-not-call entries; a SQLite file in the temporary directory
unless `--database` names a PostgreSQL database (its name must contain "bench": it is dropped and rebuilt).
No table statistics are gathered on SQLite, as in production. Prints each timing (median of five) and a last
line of JSON with all of them.
"""
from __future__ import annotations

import argparse
import io
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SYLLABLES = ["an", "ber", "car", "den", "el", "fin", "gar", "han", "is", "jo", "kel", "lan", "mor", "nor", "ol", "per",
             "quin", "ros", "sen", "tor", "ul", "ver", "wil", "xan", "yor", "zen", "son", "man", "ley", "ton", "field"]
FIRST_NAMES = ["James", "Maria", "Robert", "Linda", "Michael", "Priya", "Kevin", "Aisha", "Carlos", "Emily", "Jordan"]
STEMS = ["Bluegate", "Cedar Ridge", "Ironwood", "Lakeshore", "Summit", "Harborview", "Redfern", "Silverline"]
KINDS = ["Logistics", "Health", "Software", "Analytics", "Manufacturing", "Supply", "Financial", "Insurance"]
AREAS = [("212", "NY"), ("617", "MA"), ("312", "IL"), ("214", "TX"), ("415", "CA"), ("206", "WA"), ("305", "FL")]
CAMPAIGNS, ACCOUNTS, LISTS = 10, 50_000, 20


def build(app, leads: int, entries: int) -> None:
    from sqlalchemy.schema import CreateIndex, DropIndex

    from console.campaigns.models import Campaign
    from console.clock import utcnow
    from console.compliance.rules import infer_time_zones
    from console.extensions import db
    from console.leads.models import Lead, LeadList
    from console.leads.queue_columns import LeadState, queue_columns

    rng = random.Random(7)
    surnames = sorted({"".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize() for _ in range(40_000)})
    rng.shuffle(surnames)
    popularity = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(surnames))))
    now = utcnow()
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.add_all(Campaign(name=f"Campaign {n}", source="list") for n in range(CAMPAIGNS))
        db.session.commit()
        db.session.add_all(LeadList(campaign_id=1 + n % CAMPAIGNS, file_name=f"list{n}.csv") for n in range(LISTS))
        db.session.commit()
        dialect = db.engine.dialect
        indexes = [(str(DropIndex(index).compile(dialect=dialect)), str(CreateIndex(index).compile(dialect=dialect)))
                   for index in Lead.__table__.indexes]
        zones = {area: ",".join(infer_time_zones(f"+1{area}5550100", state)) for area, state in AREAS}
        columns = ("id campaign_id account_id first_name last_name email phone state time_zones source stage "
                   "queue_state attempts score score_band version created_at updated_at do_not_call window_key "
                   "queue_rank custom_fields lead_list_id external_id inbound").split()

        def lead_rows():
            for n in range(1, leads + 1):
                area, state = AREAS[n % len(AREAS)]
                last = rng.choices(surnames, cum_weights=popularity)[0]
                score = None if rng.random() < .3 else rng.randint(0, 100)
                band = None if score is None else "hot" if score >= 70 else "warm" if score >= 40 else "cool"
                derived = queue_columns(LeadState(zones=tuple(zones[area].split(",")), state=state, score=score), now)
                yield (n, 1 + n % CAMPAIGNS, 1 + n % ACCOUNTS, rng.choice(FIRST_NAMES), last,
                       f"{last.lower()}{n}@example.com", f"+1{area}{200 + (n // 10000) % 800}{n % 10000:04d}", state,
                       zones[area], "list", rng.choice(["lead"] * 8 + ["mql", "nurture"]), "new", 0, score, band, 1,
                       now - timedelta(minutes=n), now, False, derived["window_key"], derived["queue_rank"], "{}",
                       1 + n % LISTS if n % 3 else None, f"EXT-{n}" if n % 2 else None, False)

        account_rows = ((n, f"{rng.choice(STEMS)} {rng.choice(KINDS)} {n}", "Software", now)
                        for n in range(1, ACCOUNTS + 1))
        entry_rows = ((f"+1{rng.choice(AREAS)[0]}{n // 10000 % 1000:03d}{n % 10000:04d}",
                       None if n % 20 else 1 + n % CAMPAIGNS, "bench",
                       rng.choice(["opt_out", "import", "manual", "manual", "api"]), now - timedelta(seconds=entries - n))
                      for n in range(entries))
        raw = db.engine.raw_connection()
        cursor = raw.cursor()
        for drop, _create in indexes:
            cursor.execute(drop)
        tables = (("accounts", ("id", "name", "industry", "created_at"), account_rows), ("leads", columns, lead_rows()),
                  ("do_not_call", ("phone", "campaign_id", "reason", "source", "added_at"), entry_rows))
        for table, names, rows in tables:
            if dialect.name == "sqlite":
                cursor.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                                   rows)
            else:
                with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        if dialect.name != "sqlite":
            for table in ("accounts", "leads", "do_not_call"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        raw.commit()
        for _drop, create in indexes:
            cursor.execute(create)
        raw.commit()
        raw.close()
        if dialect.name != "sqlite":  # PostgreSQL's autovacuum gathers them in production
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        from console.auth import services as auth_services
        auth_services.create_user("marketing@bench.example", "Bench Marketing", "marketing", "bench-password-1")
        db.session.commit()


def median_ms(work, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def upload_file(numbers: int) -> bytes:
    """A file like a CRM export: mixed formats, 2 % invalid lines."""
    rng = random.Random(1)
    formats = ["+1{a}{b}{c}", "({a}) {b}-{c}", "{a}.{b}.{c}", "1-{a}-{b}-{c}", "{a} {b} {c}"]
    lines = ["phone"] + ["555-12" if n % 50 == 0 else rng.choice(formats).format(
        a=rng.choice(AREAS)[0], b=rng.randint(200, 999), c=f"{rng.randint(0, 9999):04d}") for n in range(numbers)]
    return ("\n".join(lines) + "\n").encode()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database", help="a PostgreSQL URL whose database name contains 'bench'")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    from console import create_app
    from console.extensions import db

    if args.database and "bench" not in args.database.rsplit("/", 1)[-1]:
        parser.error("the database's name must contain 'bench': it is dropped and rebuilt")
    path = Path(tempfile.gettempdir()) / f"lead-record-bench-{args.leads}-{args.entries}.db"
    url = args.database or f"sqlite:///{path}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_PROFILE": "CHEAPEST", "WTF_CSRF_ENABLED": False})
    if args.rebuild or args.database or not path.exists():
        started = time.perf_counter()
        build(app, args.leads, args.entries)
        print(f"built {args.leads:,} leads and {args.entries:,} entries in {time.perf_counter() - started:.0f} s")
    client = app.test_client()
    client.post("/login", data={"email": "marketing@bench.example", "password": "bench-password-1"})
    figures = {}
    pages = ["/leads/", "/leads/?campaign=3", "/leads/?stage=sal", "/leads/?list=5", "/leads/?page=1000",
             "/leads/?q=rivera", "/leads/?q=an", "/leads/?q=an&page=20", "/leads/?q=an&campaign=9",
             "/leads/?q=cedar+ridge", "/leads/?q=cedar+ridge&stage=sal", "/leads/?q=jordan+an",
             "/leads/?q=%28212%29+201-0005", "/leads/?q=212+201", "/leads/?q=EXT-5001", "/leads/1000",
             "/do-not-call", "/do-not-call?q=212201", "/do-not-call?scope=global&source=api",
             "/do-not-call?q=1212&source=api", "/do-not-call?cursor=20000"]
    for page in pages:
        figures[page] = median_ms(lambda page=page: client.get(page))
        print(f"{figures[page]:8.1f} ms  GET {page}")
    data = upload_file(100_000)
    started = time.perf_counter()
    response = client.post("/do-not-call/upload", data={"numbers": (io.BytesIO(data), "numbers.csv"), "scope": "9",
                                                        "reason": "bench"}, content_type="multipart/form-data")
    figures["upload 100,000 numbers (s)"] = round(time.perf_counter() - started, 2)
    print(f"{figures['upload 100,000 numbers (s)']:8.2f} s   POST /do-not-call/upload of 100,000 numbers "
          f"({len(data) / 1e6:.1f} MB): {response.status_code}")
    with app.app_context():
        figures["database"] = db.engine.dialect.name
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
