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


def bench_environment(worker_id: str, suffix: str) -> tuple[dict, str]:
    """The environment a bench subprocess runs in, and the database it is told to use: SQLite, or a fresh
    PostgreSQL database of its own when the suite runs on PostgreSQL."""
    environment = {**os.environ, "DATABASE_URL": ""}
    if not TEST_DATABASE_URL:
        return environment, "sqlite"
    url = make_url(normalise_database_url(TEST_DATABASE_URL))
    name = f"{url.database}_{worker_id}_{suffix}"
    recreate_postgres_database(url, name)
    environment["DATABASE_URL"] = url.set(database=name).render_as_string(hide_password=False)
    return environment, "postgresql"


def test_a_small_bench_run_reports_every_figure_and_no_double_claims(worker_id):
    """The whole bench, small: built, run in two processes, and reported (in a subprocess: it shifts its clock)."""
    environment, only = bench_environment(worker_id, "bench")
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


PAGES_FIGURES = {f"{page}_{figure}" for page in ("call_screen", "autosave", "queue") for figure in ("rps", "p95_ms", "ratio")}


def test_a_small_pages_bench_run_serves_every_page_and_reports_its_figures(tmp_path, worker_id):
    """scripts/bench.py pages, small: gunicorn serving the console and the hello world, every request answered 200."""
    environment, only = bench_environment(worker_id, "pages_bench")
    finished = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "pages", "--leads", "2000", "--seconds", "1.5",
         "--only", only, "--cache-dir", str(tmp_path / "cache")],
        env=environment, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    results = json.loads(finished.stdout.strip().splitlines()[-1])
    figures = results[only]
    assert PAGES_FIGURES | {"hello_rps", "hello_p95_ms", "per_round", "failed", "requests"} <= set(figures)
    assert set(results["targets"]) == {"call_screen_ratio_at_least", "autosave_ratio_at_least",
                                       "call_screen_p95_ms_below"}
    assert figures["leads"] == 2000 and figures["rounds"] == 3 and figures["browsers"] == 16
    assert figures["failed"] == {"hello": 0, "call_screen": 0, "autosave": 0, "queue": 0}, figures["failed_statuses"]
    assert figures["server_errors"] == 0
    assert all(figures["requests"][page] > 0 for page in ("hello", "call_screen", "autosave", "queue"))
    assert len(figures["per_round"]) == 12 and all(entry["rps"] for entry in figures["per_round"])


def test_the_pages_bench_serves_the_console_with_the_gunicorn_settings_of_scripts_start():
    """The bench runs gunicorn as ./scripts/start does: if one changes, the other must."""
    bench = _bench_module()
    start = (ROOT / "scripts" / "start").read_text()
    command = bench.gunicorn_command("app:app", 5000)
    assert '--workers "${WEB_CONCURRENCY:-2}"' in start and command[command.index("--workers") + 1] == \
        os.environ.get("WEB_CONCURRENCY", "2")
    assert f"--threads {bench.GUNICORN_THREADS}" in start and "--threads" in command
    assert "--access-logfile -" in start and command[command.index("--access-logfile") + 1] == "-"
    assert "gunicorn" in command[2] and not any(flag in start for flag in ("--preload", "--worker-class", "-k "))
