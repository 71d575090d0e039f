"""Signing in and out, rate limiting, CSRF, cookies, security headers and the users CLI."""
from sqlalchemy import select

from console.audit.models import AuditEvent
from console.auth.models import User
from console.extensions import db
from tests.builders import TEST_PASSWORD


def actions():
    return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()


def test_signing_in_lands_on_the_roles_home_and_is_audited(client, auth, users):
    response = auth.login("teleprospector@example.com")
    assert response.status_code == 303
    assert client.get("/").headers["Location"] == "/queue"
    assert "auth.login" in actions()


def test_a_wrong_password_is_refused_keeps_the_email_and_is_audited(client, auth, users):
    response = auth.login("sales@example.com", "wrong password")
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Email or password is not right." in page
    assert 'value="sales@example.com"' in page
    assert "auth.login_failed" in actions()


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(client, auth, users):
    response = auth.login("nobody@example.com", "whatever")
    assert response.status_code == 401
    assert "Email or password is not right." in response.get_data(as_text=True)


def test_a_deactivated_user_cannot_sign_in(client, auth, users):
    users["sales"].active = False
    db.session.commit()
    assert auth.login("sales@example.com").status_code == 401


def test_failed_sign_ins_are_rate_limited_per_account_even_with_the_right_password(client, auth, users):
    for _ in range(5):
        assert auth.login("sales@example.com", "wrong password").status_code == 401
    response = auth.login("sales@example.com")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
    # Another account from the same address is not locked by this one.
    assert auth.login("marketing@example.com").status_code == 303


def test_failed_sign_ins_are_rate_limited_per_address(app, client, auth, users):
    for number in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        auth.login(f"guess{number}@example.com", "guess")
    assert auth.login("marketing@example.com").status_code == 429
    other_address = app.test_client()
    other_address.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    from tests.conftest import AuthActions

    assert AuthActions(other_address).login("marketing@example.com").status_code == 303


def test_login_without_a_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"email": "sales@example.com", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "auth.login" not in actions()


def test_htmx_posts_need_the_csrf_header(client, auth, users, campaign, make_lead):
    auth.login("teleprospector@example.com")
    make_lead(campaign)
    call_url = client.post("/queue/next", data={"csrf_token": auth.csrf_token()}).headers["Location"]
    notes_url = f"{call_url}/notes"
    headers = {"HX-Request": "true"}
    assert client.post(notes_url, data={"notes": "x"}, headers=headers).status_code == 400
    headers["X-CSRFToken"] = auth.csrf_token()
    assert client.post(notes_url, data={"notes": "x"}, headers=headers).status_code == 200


def test_next_only_redirects_within_the_site(client, auth, users):
    token = auth.csrf_token()
    response = client.post("/login?next=//evil.example/", data={
        "email": "sales@example.com", "password": TEST_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_signing_out_ends_the_session(client, auth, users):
    auth.login("sales@example.com")
    assert auth.logout().status_code == 303
    assert client.get("/handoffs/").status_code == 302
    assert "auth.logout" in actions()


def test_pages_carry_security_headers_and_a_csp_without_inline_script(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]
    assert "<script>" not in response.get_data(as_text=True)


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(app, users):
    from tests.conftest import AuthActions

    plain = app.test_client()
    AuthActions(plain).login("sales@example.com")
    cookie = plain.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure

    https = app.test_client()
    https.environ_base["wsgi.url_scheme"] = "https"
    token_page = https.get("/login", base_url="https://localhost")
    from tests.conftest import csrf_token_from

    response = https.post("/login", base_url="https://localhost", data={
        "email": "sales@example.com", "password": TEST_PASSWORD,
        "csrf_token": csrf_token_from(token_page.get_data(as_text=True))},
        headers={"Referer": "https://localhost/login"})
    assert response.status_code == 303
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers


def test_passwords_are_stored_as_argon2_hashes(users):
    assert users["sales"].password_hash.startswith("$argon2")
    assert TEST_PASSWORD not in users["sales"].password_hash


def test_users_create_command_makes_a_user_and_prompts_for_the_password(runner, app_context):
    result = runner.invoke(args=["users", "create", "--email", "New.Agent@Example.com", "--role", "teleprospector",
                                 "--name", "New Agent"], input="a-long-password\na-long-password\n")
    assert result.exit_code == 0, result.output
    assert "Created new.agent@example.com (teleprospector)." in result.output
    user = db.session.scalar(select(User).where(User.email == "new.agent@example.com"))
    assert user.full_name == "New Agent"


def test_users_create_refuses_bad_input_with_a_clear_message(runner, app_context):
    short = runner.invoke(args=["users", "create", "--email", "a@example.com", "--role", "sales", "--password", "short"])
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    bad_role = runner.invoke(args=["users", "create", "--email", "a@example.com", "--role", "boss", "--password", "x" * 12])
    assert bad_role.exit_code != 0 and "boss" in bad_role.output


def test_healthz_answers_once_the_database_does(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "postgresql" if "postgresql" in app.config[
        "SQLALCHEMY_DATABASE_URI"] else "sqlite"}


def test_healthz_answers_503_when_the_database_does_not(tmp_path):
    from console import create_app

    unreachable = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db", "SECRET_KEY": "x"})
    response = unreachable.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


def test_the_suite_runs_on_the_database_it_was_asked_for(app):
    import os

    wanted = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith(wanted)


def test_behind_a_trusted_proxy_the_forwarded_scheme_makes_the_cookie_secure(database_url):
    from console import create_app

    proxied = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x", "TRUSTED_PROXIES": 1})
    response = proxied.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers
