"""Migration 0007 gives hand-offs made before it the scoring model that scored them, with every criterion explained."""
import json

from flask_migrate import upgrade
from sqlalchemy import text

from console import MIGRATIONS_DIR, create_app
from console.clock import utcnow
from console.extensions import db
from console.scoring.rules import SHIPPED_MODEL, explain_answers
from tests.integration.test_migrations import migration_database_url  # noqa: F401  (fixture)


def test_upgrading_explains_existing_handoffs_with_the_model_that_scored_them(migration_database_url):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": migration_database_url, "SECRET_KEY": "x"})
    now = utcnow()
    old_answers = {"budget": {"value": "confirmed", "detail": "40k approved"}, "need": {"value": "urgent", "detail": ""}}
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0006")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO users (id, email, full_name, role, password_hash, active, created_at)"
                                    " VALUES (1, 'a@example.com', 'A', 'sales', 'x', :t, :now)"), {"t": True, "now": now})
            connection.execute(text(
                "INSERT INTO campaigns (id, name, source, message, active, priority, calling_start, calling_end,"
                " max_attempts, min_retry_minutes, created_at) VALUES (1, 'C', 'web', '', :t, 0, '08:00:00',"
                " '21:00:00', 6, 60, :now)"), {"t": True, "now": now})
            connection.execute(text("INSERT INTO accounts (id, name, created_at) VALUES (1, 'A', :now)"), {"now": now})
            connection.execute(text(
                "INSERT INTO leads (id, campaign_id, account_id, first_name, last_name, phone, time_zones, inbound,"
                " stage, queue_state, attempts, version, created_at, updated_at) VALUES (1, 1, 1, 'P', 'L',"
                " '+12125550101', '', :f, 'mql', 'closed', 1, 1, :now, :now)"), {"f": False, "now": now})
            connection.execute(text(
                "INSERT INTO calls (id, lead_id, campaign_id, agent_id, status, notes, started_at) VALUES"
                " (1, 1, 1, 1, 'completed', '', :now)"), {"now": now})
            connection.execute(text(
                "INSERT INTO handoffs (id, lead_id, call_id, campaign_id, assigned_to_id, qualified_by_id, status,"
                " score, score_band, score_reasons, answers, created_at) VALUES (1, 1, 1, 1, 1, 1, 'pending', 55,"
                " 'warm', '[]', :answers, :now)"), {"answers": json.dumps(old_answers), "now": now})
        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.connect() as connection:
            row = connection.execute(text("SELECT answers, score_model_version FROM handoffs WHERE id = 1")).one()
        db.engine.dispose()
    answers = row.answers if isinstance(row.answers, dict) else json.loads(row.answers)
    assert row.score_model_version == SHIPPED_MODEL.version
    expected = explain_answers({"budget": "confirmed", "need": "urgent"}, SHIPPED_MODEL)
    assert [(key, line["label"], line["answer"], line["points"]) for key, line in answers.items()] == [
        (line.criterion, line.label, line.answer, line.points) for line in expected]
    assert answers["budget"]["detail"] == "40k approved"
    assert answers["authority"]["value"] is None
