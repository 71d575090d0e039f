"""scripts/bench.py claim: a small run end to end, and how it counts leads held by two agents at once."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from console.config import normalise_database_url
from tests.conftest import TEST_DATABASE_URL, recreate_postgres_database

ROOT = Path(__file__).resolve().parents[2]


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_lead_claimed_while_another_agent_holds_it_counts_as_a_double_claim():
    overlapping_holds = _bench_module().overlapping_holds
    one_after_another = [(7, 1.0, 2.0), (7, 2.5, 3.0), (8, 1.5, 4.0)]
    assert overlapping_holds(one_after_another) == 0
    assert overlapping_holds([*one_after_another, (7, 1.9, 2.2)]) == 1
    # The third claim overlaps the first hold, which outlasts the second.
    assert overlapping_holds([(9, 1.0, 5.0), (9, 2.0, 2.5), (9, 3.0, 3.5)]) == 2


def test_a_small_bench_run_reports_every_figure_and_no_double_claims(worker_id):
    """The whole bench, small: built, run in two processes, and reported (in a subprocess: it shifts its clock)."""
    environment = {**os.environ, "DATABASE_URL": ""}
    only = "sqlite"
    if TEST_DATABASE_URL:
        url = make_url(normalise_database_url(TEST_DATABASE_URL))
        name = f"{url.database}_{worker_id}_bench"
        recreate_postgres_database(url, name)
        environment["DATABASE_URL"] = url.set(database=name).render_as_string(hide_password=False)
        only = "postgresql"
    finished = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "claim", "--leads", "3000", "--seconds", "1",
         "--talk-ms", "5", "--fresh-agents", "3000", "--processes", "2", "--only", only],
        env=environment, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert finished.returncode == 0, finished.stderr[-3000:]
    figures = json.loads(finished.stdout.strip().splitlines()[-1])[only]
    assert figures["processes"] == 2 and figures["leads"] == 3000
    assert figures["double_claims"] == 0
    assert figures["claims"] > 0 and figures["app_claims"] > 0 and figures["bare_claims"] > 0
    assert figures["p95_ms"] > 0 and figures["ratio"] > 0


def test_the_builds_pages_are_written_back_before_anything_is_timed(tmp_path):
    """SQLite: the write-ahead log the build filled is checkpointed into the database file and emptied."""
    from sqlalchemy import create_engine, text

    import console  # noqa: F401  (its engine events: WAL)

    database = tmp_path / "built.db"
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE leads (name TEXT)"))
        connection.execute(text("INSERT INTO leads VALUES (:name)"), [{"name": f"lead {n}" * 20} for n in range(2000)])
    wal = Path(f"{database}-wal")
    assert wal.stat().st_size > 0
    assert _bench_module().write_back(engine) is True
    assert wal.stat().st_size == 0
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM leads")) == 2000
    engine.dispose()
