"""Migration 0002 fills the derived queue columns of leads that existed before it, as the rules would."""
from datetime import timedelta

from flask_migrate import upgrade
from sqlalchemy import text

from console import MIGRATIONS_DIR, create_app
from console.clock import utcnow
from console.extensions import db
from console.leads import queue_columns as rules
from tests.integration.test_migrations import migration_database_url  # noqa: F401  (fixture)


def test_upgrading_fills_window_keys_flags_and_ranks_of_existing_leads(migration_database_url):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": migration_database_url, "SECRET_KEY": "x"})
    now = utcnow()
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0001")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO campaigns (id, name, source, message, active, priority, calling_start, calling_end,"
                " max_attempts, min_retry_minutes, created_at) VALUES (1, 'C', 'web', '', :t, 0, '08:00:00',"
                " '21:00:00', 6, 60, :now)"), {"t": True, "now": now})
            connection.execute(text("INSERT INTO accounts (id, name, created_at) VALUES (1, 'A', :now)"), {"now": now})
            rows = [  # id, phone, state, zones, queue_state, inbound, next_call_at, score
                (1, "+12125550101", "ny", "America/New_York", "new", False, None, 40),
                (2, "+12125550102", None, "America/New_York", "new", True, None, None),
                (3, "+12125550103", "NY", "America/New_York", "retry", False, now + timedelta(hours=2), 10),
                (4, "+12125550104", "NY", "America/New_York", "closed", False, None, 90),
                (5, "+12125550105", "NY", "", "callback", False, now - timedelta(minutes=5), 70),
            ]
            for lead_id, phone, state, zones, queue_state, inbound, next_call_at, score in rows:
                connection.execute(text(
                    "INSERT INTO leads (id, campaign_id, account_id, first_name, last_name, phone, state, time_zones,"
                    " inbound, stage, queue_state, next_call_at, attempts, score, version, created_at, updated_at)"
                    " VALUES (:id, 1, 1, 'P', 'L', :phone, :state, :zones, :inbound, 'lead', :queue_state,"
                    " :next_call_at, 0, :score, 1, :now, :now)"),
                    {"id": lead_id, "phone": phone, "state": state, "zones": zones, "inbound": inbound,
                     "queue_state": queue_state, "next_call_at": next_call_at, "score": score, "now": now})
            connection.execute(text("INSERT INTO do_not_call (phone, reason, added_at) VALUES ('+12125550102', '',"
                                    " :now)"), {"now": now})
        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.connect() as connection:
            got = {row.id: row for row in connection.execute(text(
                "SELECT id, window_key, do_not_call, queue_rank FROM leads ORDER BY id"))}
        db.engine.dispose()

    def expected(queue_state, inbound, next_call_at, score):
        return rules.queue_rank(rules.LeadState(queue_state=queue_state, inbound=inbound, next_call_at=next_call_at,
                                                score=score), now)

    assert got[1].window_key == "America/New_York|NY"
    assert got[2].window_key == "America/New_York|" and got[2].do_not_call and got[2].queue_rank is None
    assert got[1].queue_rank == expected("new", False, None, 40)
    assert got[3].queue_rank == expected("retry", False, now + timedelta(hours=2), 10)
    assert got[4].queue_rank is None
    assert got[5].queue_rank == expected("callback", False, now - timedelta(minutes=5), 70)
    assert got[5].window_key == "|NY"
