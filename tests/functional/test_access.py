"""Every route against every role and against no sign-in: who may use what is declared and enforced.

Areas add their routes in tests/functional/routes_<area>.py: a ROUTES dict like
the one below, and optionally POST_BODIES, OWNER_ONLY and a fixture-free
`extend_world(world, users)` that adds the ids their URLs need.
"""
import importlib
import pkgutil

import pytest

import tests.functional

from console.auth.models import Role
from console.calls import services as call_services
from console.queue.services import claim_next_lead

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN
ANYONE = {T, S, M, A}

# (method, URL template, roles allowed). Admins can do everything. "public": anyone, signed in or not;
# "webhook": Twilio's signed webhooks, which refuse (403) every request without a valid X-Twilio-Signature.
ROUTES = {
    "home": ("GET", "/", ANYONE),
    "healthz": ("GET", "/healthz", "public"),
    "favicon": ("GET", "/favicon.ico", "public"),
    "auth.login": ("GET", "/login", "public"),
    "auth.logout": ("POST", "/logout", ANYONE),
    "reports.campaigns": ("GET", "/reports/", {M, A}),
    "reports.campaign": ("GET", "/reports/campaigns/{campaign_id}", {M, A}),
}

# Writes on a call belong to the agent holding it: an admin may look, not act on someone else's call.
OWNER_ONLY = {"calls.save_answer", "calls.save_notes", "calls.disposition"}

POST_BODIES = {
    "calls.save_answer": {"criterion": "budget", "value": "confirmed"},
    "calls.save_notes": {"notes": "hello"},
    "calls.disposition": {"disposition": "busy"},
}


AREA_TABLES = [
    importlib.import_module(f"tests.functional.{module.name}")
    for module in pkgutil.iter_modules(tests.functional.__path__) if module.name.startswith("routes_")
]
# The JSON API's routes answer to a bearer token, not a session (tests/functional/test_api_access.py walks them).
TOKEN_ROUTES = {}
for _table in AREA_TABLES:
    ROUTES.update(_table.ROUTES)
    TOKEN_ROUTES.update(getattr(_table, "TOKEN_ROUTES", {}))
    POST_BODIES.update(getattr(_table, "POST_BODIES", {}))
    OWNER_ONLY |= set(getattr(_table, "OWNER_ONLY", ()))


def test_every_route_is_in_the_access_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints == set(ROUTES) | set(TOKEN_ROUTES)


def test_every_view_declares_who_may_use_it(app):
    for endpoint, view in app.view_functions.items():
        if endpoint != "static":
            assert getattr(view, "allowed_roles", None) is not None, endpoint


@pytest.fixture
def world(users, campaign, make_lead):
    """A call held by the teleprospector and a hand-off assigned to the sales member."""
    agent = users[T]
    make_lead(campaign)
    qualified = claim_next_lead(agent)
    for key, value in {"budget": "confirmed", "authority": "decision_maker", "need": "urgent",
                       "timeline": "under_3_months"}.items():
        call_services.save_answer(qualified, agent, key, value)
    handoff = call_services.record_disposition(qualified, agent, "qualified")
    make_lead(campaign)
    held = claim_next_lead(agent)
    world = {"call_id": held.id, "handoff_id": handoff.id, "campaign_id": campaign.id,
             "guide_id": campaign.call_guide_id, "lead_id": held.lead_id}
    for table in AREA_TABLES:
        if hasattr(table, "extend_world"):
            table.extend_world(world, users)
    return world


def _request(client, auth, endpoint, world):
    method, template, _roles = ROUTES[endpoint]
    url = template.format(**world)
    if method == "GET":
        return client.get(url)
    return client.post(url, data={**POST_BODIES.get(endpoint, {}), "csrf_token": auth.csrf_token()})


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
@pytest.mark.parametrize("role", [T, S, M, A])
def test_each_role_gets_exactly_the_routes_it_is_allowed(client, auth, world, endpoint, role):
    auth.login(f"{role}@example.com")
    response = _request(client, auth, endpoint, world)
    allowed = ROUTES[endpoint][2]
    if role == A and endpoint in OWNER_ONLY:
        assert response.status_code == 403
    elif allowed == "webhook":  # Twilio's webhooks: no valid signature, no entry, whoever is signed in
        assert response.status_code == 403
    elif allowed == "public" or role in allowed:
        assert response.status_code not in (401, 403), response.status_code
        assert response.status_code < 500
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_without_sign_in_only_public_routes_answer(client, auth, world, endpoint):
    response = _request(client, auth, endpoint, world)
    method, _template, allowed = ROUTES[endpoint]
    if allowed == "public":
        assert response.status_code == 200
    elif allowed == "webhook":
        assert response.status_code == 403
    elif method == "GET":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == 401


def test_an_agent_cannot_open_another_agents_call(client, auth, world, make_user):
    other = make_user(T, email="other-agent@example.com")
    auth.login(other.email)
    assert client.get(f"/calls/{world['call_id']}").status_code == 403
    response = client.post(f"/calls/{world['call_id']}/disposition",
                           data={"disposition": "busy", "csrf_token": auth.csrf_token()})
    assert response.status_code == 403


def test_a_sales_member_cannot_open_a_colleagues_hand_off(client, auth, world, make_user):
    colleague = make_user(S, email="colleague@example.com")
    auth.login(colleague.email)
    assert client.get(f"/handoffs/{world['handoff_id']}").status_code == 403
    assert b"No leads have been handed to you" in client.get("/handoffs/").data
