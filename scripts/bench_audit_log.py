"""Time the audit log page's and the users page's queries on millions of audit rows (SQLite or PostgreSQL).

    .venv/bin/python scripts/bench_audit_log.py sqlite:////tmp/audit.db [ROWS]
    .venv/bin/python scripts/bench_audit_log.py postgresql+psycopg://console:console@127.0.0.1:5432/EMPTY_DB [ROWS]

Loads ROWS (default 2,000,000) events over a year from 190 agents into an empty database the first time (a few
minutes), then prints the best and median time of each filter of the page, the action list, the users page (last
sign-in of 200 users) and one agent's CSV export. Nothing here runs in the test suite.
"""
import json, os, random, sys, time
from datetime import datetime, timedelta
sys.path.insert(0, os.getcwd())
from sqlalchemy import text
from console import create_app
from console.extensions import db

INSERT = text("INSERT INTO audit_events (at, actor_id, action, subject_type, subject_id, actor_email, ip_address,"
              " detail) VALUES (:at, :actor_id, :action, :subject_type, :subject_id, :actor_email, :ip_address,"
              " :detail)")
url = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_PROFILE": "CHEAPEST"})
random.seed(5)
with app.app_context():
    fresh = not db.inspect(db.engine).has_table("audit_events")
    if fresh:
        db.create_all()
        conn = db.session.connection()
        users = [{"id": i, "email": f"u{i}@example.com", "full_name": f"User {i}",
                  "role": "teleprospector" if i > 10 else "admin", "password_hash": "x", "active": True,
                  "created_at": datetime(2025, 1, 1)} for i in range(1, 201)]
        conn.execute(text("INSERT INTO users (id, email, full_name, role, password_hash, active, created_at)"
                          " VALUES (:id, :email, :full_name, :role, :password_hash, :active, :created_at)"), users)
        db.session.commit()
        start = datetime(2025, 12, 1)
        actions = [("lead.claimed", "Lead", 40), ("lead.answer_saved", "Lead", 28), ("call.dispositioned", "Call", 20),
                   ("call.notes_saved", "Call", 6), ("telephony.dial", "Call", 4), ("handoff.created", "Handoff", 1),
                   ("auth.login", "User", 1)]
        weights = [a[2] for a in actions]
        batch = []
        t0 = time.perf_counter()
        for n in range(rows):
            at = start + timedelta(seconds=n * (365 * 86400 / rows))
            action, subject, _ = random.choices(actions, weights)[0]
            actor = random.randint(11, 200)
            sid = actor if subject == "User" else random.randint(1, 500_000)
            detail = {"lead_id": sid} if subject in ("Call", "Handoff") else {"call_id": n}
            batch.append({"at": at, "actor_id": actor, "action": action, "subject_type": subject, "subject_id": sid,
                          "actor_email": f"u{actor}@example.com", "ip_address": "10.0.0.1",
                          "detail": json.dumps(detail)})
            if len(batch) == 20000:
                db.session.connection().execute(INSERT, batch)
                db.session.commit(); batch = []
        # A few rare events, and a lead with its calls and a hand-off.
        db.session.connection().execute(INSERT, [
            {"at": start + timedelta(days=day), "actor_id": 1, "action": "user.deactivated", "subject_type": "User",
             "subject_id": 12, "actor_email": "u1@example.com", "ip_address": None, "detail": "{}"}
            for day in (3, 200, 300)])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE")); db.session.commit()
        print(f"loaded {rows} rows in {time.perf_counter()-t0:.0f}s")

    from console.team import services
    from console.team.services import AuditFilters
    from datetime import date
    def timed(label, fn, repeat=5):
        with app.test_request_context():
            fn()
            times = []
            for _ in range(repeat):
                t = time.perf_counter(); result = fn(); times.append(time.perf_counter() - t)
                db.session.rollback()
        print(f"{label:<55} {min(times)*1000:8.1f} ms  (median {sorted(times)[len(times)//2]*1000:.1f})")
        return result
    # The lead filter reads the lead's calls and hand-offs first; none exist here, so it finds the lead's own events.
    page = timed("page, no filter", lambda: services.audit_page(AuditFilters()))
    deep = db.session.scalar(text("SELECT id FROM audit_events ORDER BY at LIMIT 1 OFFSET 1000"))
    timed("page, no filter, deep (Older from near the oldest)",
          lambda: services.audit_page(AuditFilters(), before=deep))
    timed("page, by who", lambda: services.audit_page(AuditFilters(actor_id=57)))
    timed("page, by who, Older from its middle",
          lambda: services.audit_page(AuditFilters(actor_id=57), before=rows // 2))
    timed("page, by action (common)", lambda: services.audit_page(AuditFilters(action="call.dispositioned")))
    timed("page, by action (3 rows in millions)", lambda: services.audit_page(AuditFilters(action="user.deactivated")))
    timed("page, by lead", lambda: services.audit_page(AuditFilters(lead_id=4242)))
    timed("page, by date range (one day, a year ago)",
          lambda: services.audit_page(AuditFilters(since=date(2025, 12, 20), until=date(2025, 12, 20))))
    timed("page, who + action", lambda: services.audit_page(AuditFilters(actor_id=57, action="auth.login")))
    timed("page, who + rare action (none)",
          lambda: services.audit_page(AuditFilters(actor_id=57, action="user.deactivated")))
    timed("actions present (the select)", services.actions_present)
    timed("users page: 200 users with last sign-in", lambda: services.user_rows())
    t = time.perf_counter()
    with app.test_request_context():
        n = sum(1 for _ in services.audit_export(AuditFilters(actor_id=57)))
    print(f"{'CSV export of one agent (' + str(n - 1) + ' rows)':<55} {(time.perf_counter()-t)*1000:8.1f} ms")
