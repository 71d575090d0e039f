"""Shared fixtures: an app on a real database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set),
clients signed in as each role, builders for the core records, and a live server for the browser tests.

Each pytest-xdist worker gets its own database; tables are emptied after every test.
"""
from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

import pytest
import time_machine
from flask import has_request_context, request
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from werkzeug.serving import make_server

from console import create_app
from console.config import normalise_database_url
from console.database import snapshots
from console.extensions import db
from console.guides.models import CallGuide

pytest.register_assert_rewrite("tests.builders")
pytest_plugins = ["tests.builders", "tests.receivers"]
from tests.builders import TEST_PASSWORD  # noqa: E402

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


# The suite runs on a fixed, ticking clock: a Wednesday at 18:30 UTC, when every US zone
# (Hawaii and Alaska included) is inside its calling window and no holiday bans calls.
# Without it, tests that claim leads would pass or fail with the hour CI happens to run at.
# Calling-window rules are tested at chosen instants of their own (tests/unit).
# TEST_CLOCK=2026-11-23T02:30 runs the suite at another instant.
SUITE_CLOCK = datetime.fromisoformat(os.environ.get("TEST_CLOCK", "2026-11-18T18:30")).replace(tzinfo=UTC)


@pytest.fixture(scope="session", autouse=True)
def _suite_clock():
    with time_machine.travel(SUITE_CLOCK, tick=True):
        yield


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives headless Chromium through Playwright")
    config.addinivalue_line("markers", "postgres_only: needs PostgreSQL")


def pytest_sessionfinish(session, exitstatus):
    """CI sets STRICT_NO_SKIPS=1: a skipped browser or PostgreSQL test there is a failure, not a pass."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("STRICT_NO_SKIPS") == "1" and reporter and reporter.stats.get("skipped"):
        reporter.write_line(f"STRICT_NO_SKIPS: {len(reporter.stats['skipped'])} test(s) were skipped", red=True)
        session.exitstatus = 1


def _worker_database_url(tmp_path_factory, worker_id: str) -> str:
    if not TEST_DATABASE_URL:
        return f"sqlite:///{tmp_path_factory.getbasetemp() / f'console-{worker_id}.db'}"
    url = make_url(normalise_database_url(TEST_DATABASE_URL))
    name = f"{url.database}_{worker_id}"
    recreate_postgres_database(url, name)
    return url.set(database=name).render_as_string(hide_password=False)


def recreate_postgres_database(url, name: str) -> None:
    """Drop and create a database, connected to the server's maintenance database."""
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    return _worker_database_url(tmp_path_factory, worker_id)


class RequestIsolatedClient(FlaskClient):
    """Each request gets its own app context (own `g`, own database session), as in production.

    Without this, a request made while a test holds an app context would reuse
    the test's `g` and session, and leak state (such as a cached CSRF token) between clients.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "SERVER_NAME": None,
    })
    app.test_client_class = RequestIsolatedClient
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():  # the database itself is thrown away (temp file, or dropped next run)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty every table after each test that used the app, children first."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            # call_guides and guide_versions refer to each other: break the cycle first.
            connection.execute(CallGuide.__table__.update().values(published_version_id=None))
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
    snapshots.forget_all()  # the rows they hold were just deleted behind the ORM's back


# Every SQLite write a request makes goes through the writer turn (console/database/writers.py: write_transaction,
# or the claim's writer line), which begins its transaction IMMEDIATE. A request that writes in a transaction begun
# DEFERRED skipped the turn: under load it meets another writer and gets "database is locked". Such a write fails the
# test that made it (requests only: tests arrange their data as they like). /test/... routes are the tests' own.
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_writes_outside_the_turn: list[str] = []


@event.listens_for(Engine, "begin")
def _note_how_the_transaction_began(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.info["test_sqlite_begin"] = connection.get_execution_options().get("sqlite_begin", "DEFERRED")


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes_outside_the_writer_turn(connection, _cursor, statement, _parameters, _context, _many) -> None:
    if connection.dialect.name != "sqlite" or not has_request_context() or request.path.startswith("/test/"):
        return
    if statement.lstrip()[:7].upper().startswith(_WRITES) and connection.info.get("test_sqlite_begin") != "IMMEDIATE":
        _writes_outside_the_turn.append(f"{request.method} {request.path}: {statement[:120]}")


@pytest.fixture(autouse=True)
def _every_request_write_takes_the_writer_turn():
    _writes_outside_the_turn.clear()
    yield
    assert not _writes_outside_the_turn, f"SQLite writes outside the writer turn: {_writes_outside_the_turn}"


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Sign in through the real login form, and post forms with the session's CSRF token."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = TEST_PASSWORD):
        return self._client.post("/login", data={"email": email, "password": password, "csrf_token": self.csrf_token()})

    def logout(self):
        return self._client.post("/logout", data={"csrf_token": self.csrf_token()})

    def csrf_token(self) -> str:
        return csrf_token_from(self._client.get("/", follow_redirects=True).get_data(as_text=True))

    def post(self, url: str, data: dict | None = None, **kwargs):
        return self._client.post(url, data={**(data or {}), "csrf_token": self.csrf_token()}, **kwargs)


def csrf_token_from(html: str, required: bool = True) -> str | None:
    import re

    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html)
    if match is None and required:
        raise AssertionError("no CSRF token on the page")
    return match.group(1) if match else None


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture(scope="session")
def live_server(app):
    """The app served over HTTP on a free loopback port, for Playwright."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
