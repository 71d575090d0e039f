"""The API's rate limit is one limit per token across processes: two app processes (as gunicorn's workers are)
on one database let a token through exactly its limit, not twice it."""
import multiprocessing

from console.auth.models import Role
from tests.functional.api_support import bearer  # noqa: F401  (a fixture)

LIMIT = 30
REQUESTS_PER_PROCESS = 25
WINDOW_MIDDLE = 1_800_000_030.0  # every process counts in the same window, whenever the test runs


def _calls(database_url: str, headers: dict, start, statuses) -> None:
    """A worker process: its own app on the shared database, calling as fast as it can once both are ready."""
    from console import create_app
    from console.api import services

    services.epoch_now = lambda: WINDOW_MIDDLE
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                      "API_RATE_LIMIT_PER_MINUTE": LIMIT})
    client = app.test_client()
    start.wait()
    for _ in range(REQUESTS_PER_PROCESS):
        statuses.put(client.get("/api/v1/campaigns", headers=headers).status_code)


def test_two_processes_share_one_tokens_limit(app, database_url, users, bearer):
    headers = bearer(Role.MARKETING)
    context = multiprocessing.get_context("spawn")
    start, statuses = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_calls, args=(database_url, headers, start, statuses)) for _ in range(2)]
    for worker in workers:
        worker.start()
    answers = [statuses.get(timeout=120) for _ in range(2 * REQUESTS_PER_PROCESS)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert answers.count(200) == LIMIT
    assert answers.count(429) == 2 * REQUESTS_PER_PROCESS - LIMIT
