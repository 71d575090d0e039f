"""Writes at the same moment, over real HTTP against the live server (threads, the suite's file database): each
goes through the writer turn, so none gets "database is locked"; and the error page draws even when the failed
request left its database session broken."""
from __future__ import annotations

import re
import threading
from collections import Counter

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from console import create_app
from console.auth.models import Role, User
from console.calls.models import AgentSettings
from console.extensions import db
from tests.builders import TEST_PASSWORD
from tests.conftest import RequestIsolatedClient, csrf_token_from

AGENTS = 20
TOGGLES = 4


def _signed_in_session(base: str, email: str, barrier: threading.Barrier) -> tuple[requests.Session, str, int]:
    session = requests.Session()
    token = csrf_token_from(session.get(f"{base}/login").text)
    barrier.wait()  # every agent signs in at once: the sign-in's audit row is a write too
    response = session.post(f"{base}/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": token},
                            allow_redirects=False)
    return session, token, response.status_code


def test_twenty_agents_toggling_auto_advance_at_once_all_succeed(live_server, make_user):
    agents = [make_user(Role.TELEPROSPECTOR, email=f"burst{n}@example.com") for n in range(AGENTS)]
    emails, agent_ids = [agent.email for agent in agents], [agent.id for agent in agents]
    statuses: Counter = Counter()
    errors: list[str] = []
    sign_in, toggle = threading.Barrier(AGENTS), threading.Barrier(AGENTS)

    def agent(n: int) -> None:
        try:
            session, token, status = _signed_in_session(live_server, emails[n], sign_in)
            statuses[("sign-in", status)] += 1
            toggle.wait()
            for turn in range(TOGGLES):
                response = session.post(f"{live_server}/agent/auto-advance", allow_redirects=False, data={
                    "auto_advance": "off" if turn % 2 == 0 else "on", "csrf_token": token})
                statuses[("toggle", response.status_code)] += 1
                if response.status_code >= 500:
                    errors.append(response.text[:300])
            # The agent's last choice (off) stands.
            response = session.post(f"{live_server}/agent/auto-advance", allow_redirects=False,
                                    data={"auto_advance": "off", "csrf_token": token})
            statuses[("toggle", response.status_code)] += 1
        except Exception as error:  # noqa: BLE001  (reported below, with the thread's agent)
            errors.append(f"agent {n}: {error!r}")

    threads = [threading.Thread(target=agent, args=(n,)) for n in range(AGENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert statuses == {("sign-in", 303): AGENTS, ("toggle", 303): AGENTS * (TOGGLES + 1)}, statuses
    db.session.rollback()
    settings = db.session.scalars(select(AgentSettings).where(
        AgentSettings.user_id.in_(agent_ids))).all()
    assert len(settings) == AGENTS and not any(row.auto_advance for row in settings)


@pytest.fixture
def breaking_app(database_url) -> Flask:
    """The console on the suite's database with one extra route that leaves its session broken, as a failed flush
    outside any write_transaction would: it commits (the signed-in user's attributes expire), then a flush fails."""
    app = create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret",
                      "PASSWORD_HASH_PROFILE": "CHEAPEST", "SERVER_NAME": None, "PROPAGATE_EXCEPTIONS": False})
    app.test_client_class = RequestIsolatedClient

    @app.get("/test/broken-session")
    def broken_session():
        db.session.commit()
        db.session.add(User(email=None, full_name="", role=Role.TELEPROSPECTOR, password_hash="x"))
        db.session.flush()  # NOT NULL fails: the session now refuses every query until it is rolled back
        return "never"

    broken_session.allowed_roles = frozenset(("*",))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_error_page_draws_after_a_request_broke_its_session(breaking_app, users):
    client = breaking_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": users[Role.TELEPROSPECTOR].email, "password": TEST_PASSWORD,
                                "csrf_token": csrf_token_from(page)})
    response = client.get("/test/broken-session")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in page  # the console's page, not a bare "Internal Server Error"
    assert re.search(r'id="agent-status"', page), "the top bar (its agent status) is drawn too"
