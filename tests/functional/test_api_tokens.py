"""API tokens: made on the admin's page and by `flask api-tokens`, stored hashed, shown once, refused once revoked
or expired or when their user is deactivated, and the last use noted."""
import hashlib
from datetime import timedelta

from sqlalchemy import select

from console.api import rules, services
from console.api.models import ApiToken
from console.audit.models import AuditEvent
from console.auth import services as auth_services
from console.auth.models import Role
from console.clock import utcnow
from console.extensions import db
from tests.functional.api_support import bearer  # noqa: F401  (a fixture)

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN


def test_the_admin_makes_a_token_whose_secret_is_shown_once_and_stored_only_as_its_hash(client, auth, users):
    auth.login("admin@example.com")
    response = auth.post("/admin/api/tokens", {"email": "marketing@example.com", "name": "HubSpot",
                                               "expires_days": "30"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    secret = page.split('id="credential">')[1].split("<")[0]
    assert secret.startswith(rules.TOKEN_PREFIX)
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.name == "HubSpot" and token.user.email == "marketing@example.com"
    assert (token.expires_at - utcnow()).days in (29, 30)
    listing = client.get("/admin/api/tokens").get_data(as_text=True)
    assert "HubSpot" in listing and secret not in listing and token.prefix in listing
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.subject_type == "ApiToken")) == \
        "api_token.created"


def test_a_token_for_an_unknown_email_is_refused_beside_the_field(client, auth, users):
    auth.login("admin@example.com")
    response = auth.post("/admin/api/tokens", {"email": "nobody@example.com", "name": "X"})
    assert response.status_code == 422
    assert "No active user has the email" in response.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None


def test_a_token_works_until_it_is_revoked(client, auth, users, bearer):
    headers = bearer(M)
    assert client.get("/api/v1/campaigns", headers=headers).status_code == 200
    token = db.session.scalar(select(ApiToken))
    auth.login("admin@example.com")
    assert auth.post(f"/admin/api/tokens/{token.id}/revoke", {}).status_code == 303
    response = client.get("/api/v1/campaigns", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "This token was revoked."


def test_an_expired_token_is_refused(client, users, app_context):
    token, secret = services.create_token("marketing@example.com", "Short", 1, None)
    token = db.session.get(ApiToken, token.id)
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert response.get_json() == {"error": {"code": "unauthorized", "message": "This token has expired.",
                                             "fields": {}}}


def test_a_deactivated_users_token_is_refused(client, users, bearer):
    headers = bearer(M)
    auth_services.set_active(users[M], False, utcnow())
    db.session.commit()
    assert client.get("/api/v1/campaigns", headers=headers).status_code == 401


def test_no_token_a_malformed_header_or_an_unknown_token_is_refused(client, users):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"},
                    {"Authorization": "Bearer tpc_not-a-token"}, {"Authorization": "Bearer " + "x" * 5000}):
        response = client.get("/api/v1/campaigns", headers=headers)
        assert response.status_code == 401, headers
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_the_first_call_of_a_minute_notes_when_the_token_was_last_used(client, users, bearer):
    headers = bearer(M)
    assert db.session.scalar(select(ApiToken.last_used_at)) is None
    client.get("/api/v1/campaigns", headers=headers)
    db.session.rollback()
    used = db.session.scalar(select(ApiToken.last_used_at))
    assert used is not None and utcnow() - used < timedelta(minutes=1)


def test_an_agents_token_may_call_nothing_but_the_open_routes(client, users, bearer):
    headers = bearer(T)
    assert client.get("/api/v1/ping", headers=headers).status_code == 200
    for url in ("/api/v1/campaigns", "/api/v1/handoffs", "/api/v1/leads/1"):
        response = client.get(url, headers=headers)
        assert response.status_code == 403, url
        assert response.get_json()["error"]["code"] == "forbidden"


def test_the_command_makes_lists_and_revokes_tokens(runner, users, app_context):
    made = runner.invoke(args=["api-tokens", "create", "--user", "sales@example.com", "--name", "Salesforce",
                               "--expires", "90"])
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    assert secret.startswith(rules.TOKEN_PREFIX)
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash == rules.secret_hash(secret) and secret not in token.prefix + token.token_hash
    listed = runner.invoke(args=["api-tokens", "list"])
    assert "Salesforce" in listed.output and "sales@example.com" in listed.output and secret not in listed.output
    revoked = runner.invoke(args=["api-tokens", "revoke", str(token.id)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    db.session.rollback()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    refused = runner.invoke(args=["api-tokens", "create", "--user", "nobody@example.com", "--name", "X"])
    assert refused.exit_code != 0 and "No active user" in refused.output
