"""The admin's team pages through the Flask test client: the users, adding one (with a link or a one-time
password, shown once), one user's page and its actions, a deactivated user's session refused, setting a password
from a link end to end, and the audit log with its filters, pages and CSV."""
import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from console.audit.models import AuditEvent
from console.auth.models import Role, User
from console.calls import services as call_services
from console.clock import utcnow
from console.extensions import db
from console.handoffs.models import Handoff
from console.queue.services import claim_next_lead
from console.team import services
from tests.builders import TEST_PASSWORD
from tests.conftest import AuthActions

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN
QUALIFYING = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


def page_of(response) -> str:
    return response.get_data(as_text=True)


def actions(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def secret_on(page: str) -> str:
    return re.search(r'<code class="secret-value" id="credential">([^<]+)</code>', page).group(1)


@pytest.fixture
def admin(client, auth, users):
    """The admin signed in. Tests list it after the fixtures that build rows: the test's own session must not read
    between a request's commit and its own writes (SQLite refuses to write from an older snapshot)."""
    auth.login("admin@example.com")
    db.session.rollback()
    return auth


# --- the users ------------------------------------------------------------------------------------------------

def test_the_users_page_lists_everyone_with_role_status_and_last_sign_in(client, admin, users):
    services.deactivate_user(users[A], users[S].id)
    page = page_of(client.get("/admin/users"))
    assert "4 users" in page
    agent_row = page.split('id="user-%d"' % users[T].id)[1].split("</tr>")[0]
    assert "Teleprospector" in agent_row and "Active" in agent_row and "never" in agent_row
    admin_row = page.split('id="user-%d"' % users[A].id)[1].split("</tr>")[0]
    assert re.search(r"<time[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d</time>\s*</td>\s*$", admin_row.strip() + "\n")
    sales_row = page.split('id="user-%d"' % users[S].id)[1].split("</tr>")[0]
    assert "Deactivated" in sales_row and 'class="is-deactivated"' in page


def test_the_users_can_be_filtered_by_role_and_status(client, admin, users, make_user):
    make_user(S, email="second.seller@example.com")
    services.deactivate_user(users[A], users[S].id)
    page = page_of(client.get("/admin/users?role=sales"))
    assert "2 users" in page and "second.seller@example.com" in page and "agent@example.com" not in page
    page = page_of(client.get("/admin/users?role=sales&status=active"))
    assert "1 user " in page and "second.seller@example.com" in page and "sales@example.com" not in page
    page = page_of(client.get("/admin/users?status=deactivated"))
    assert "1 user " in page and "sales@example.com" in page
    response = client.get("/admin/users?role=overlord")
    assert response.status_code == 422 and "Not a valid choice" in page_of(response)


# --- adding a user ----------------------------------------------------------------------------------------------

def test_an_admin_adds_a_user_with_a_link_shown_once_who_then_sets_a_password_and_signs_in(app, client, admin):
    assert client.get("/admin/users/new").status_code == 200
    response = admin.post("/admin/users/new", data={"email": "Ana.Ruiz@example.com", "full_name": "Ana Ruiz",
                                                    "role": S, "access": "link"})
    page = page_of(response)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Shown once." in page and "ana.ruiz@example.com" in page
    link = secret_on(page)
    assert link.startswith("http://localhost/password/")
    path = link.removeprefix("http://localhost")
    # Never again: the user's page does not show it.
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == "ana.ruiz@example.com"))
    assert path not in page_of(client.get(f"/admin/users/{user.id}"))

    newcomer = app.test_client()
    form = newcomer.get(path)
    assert form.status_code == 200 and "ana.ruiz@example.com" in page_of(form)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page_of(form)).group(1)
    response = newcomer.post(path, data={"password": "sunny meadow walk", "confirm": "sunny meadow walk",
                                         "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "Your password is set. Sign in with it." in page_of(newcomer.get("/login"))
    assert AuthActions(newcomer).login("ana.ruiz@example.com", "sunny meadow walk").status_code == 303
    assert newcomer.get("/").headers["Location"] == "/handoffs/"
    # The link works once.
    again = newcomer.get(path)
    assert again.status_code == 404 and "This link does not work" in page_of(again)


def test_an_admin_adds_a_user_with_a_one_time_password_they_sign_in_with(app, client, admin):
    response = admin.post("/admin/users/new", data={"email": "lee@example.com", "full_name": "Lee Caller",
                                                    "role": T, "access": "password"})
    password = secret_on(page_of(response))
    assert len(password) >= 16 and "Their one-time password" in page_of(response)
    other = AuthActions(app.test_client())
    assert other.login("lee@example.com", password).status_code == 303
    [created] = [event for event in actions("user.created") if event.detail.get("access")]
    assert created.detail == {"role": T, "access": "password"} and created.actor_id is not None


def test_a_new_user_with_bad_input_keeps_what_was_typed_and_says_what_is_wrong(client, admin):
    response = admin.post("/admin/users/new", data={"email": "not an address", "full_name": "Kim <b>Lee</b>",
                                                    "role": M, "access": "password"})
    page = page_of(response)
    assert response.status_code == 422
    assert "Nobody was added" in page and "This is not an email address." in page
    assert 'value="not an address"' in page and 'value="Kim &lt;b&gt;Lee&lt;/b&gt;"' in page
    assert '<option selected value="marketing">' in page and 'checked id="access-1"' in page
    response = admin.post("/admin/users/new", data={"email": "", "full_name": "", "role": "overlord", "access": "x"})
    page = page_of(response)
    assert response.status_code == 422
    assert "Give their work email address." in page and "Give their name, as colleagues know it." in page
    assert "Not a valid choice" in page


def test_an_email_already_taken_is_refused_beside_the_email(client, admin, users):
    response = admin.post("/admin/users/new", data={"email": "SALES@example.com", "full_name": "Sam Again",
                                                    "role": S, "access": "link"})
    page = page_of(response)
    assert response.status_code == 422
    assert 'id="email-error">A user with email sales@example.com already exists.' in page
    assert 'value="Sam Again"' in page


# --- one user -------------------------------------------------------------------------------------------------

@pytest.fixture
def busy_agent(users, campaign, make_lead):
    """The agent has qualified a lead (a hand-off to sales) and holds another."""
    agent = users[T]
    make_lead(campaign, first_name="Quinn", last_name="Qualified")
    call = claim_next_lead(agent)
    for criterion, value in QUALIFYING.items():
        call_services.save_answer(call, agent, criterion, value)
    handoff = call_services.record_disposition(call, agent, "qualified")
    held = make_lead(campaign, first_name="Holly", last_name="Held")
    claim_next_lead(agent)
    return {"agent": agent, "handoff": handoff, "held": held}


def test_a_users_page_shows_what_they_hold_and_did_lately(client, users, busy_agent, admin):
    page = page_of(client.get(f"/admin/users/{users[T].id}"))
    assert "Holly Held" in page and f'/leads/{busy_agent["held"].id}' in page
    assert "set a disposition" in page and "claimed a lead" in page
    assert f'/admin/audit?user={users[T].id}' in page
    sales_page = page_of(client.get(f"/admin/users/{users[S].id}"))
    assert "Pending hand-offs (1)" in sales_page and "Quinn Qualified" in sales_page
    assert client.get("/admin/users/999999").status_code == 404


def test_an_admin_changes_a_users_role(client, admin, users):
    response = admin.post(f"/admin/users/{users[T].id}/role", data={"role": S})
    assert response.status_code == 303
    following = page_of(client.get(response.headers["Location"]))
    assert "Teleprospector Person is now Sales (was Teleprospector)." in following
    assert actions("user.role_changed")[0].detail == {"before": T, "after": S}


def test_the_last_admin_cannot_be_demoted_or_deactivated_and_the_page_says_why(client, admin, users):
    page = page_of(client.get(f"/admin/users/{users[A].id}"))
    assert "You cannot take the admin role from yourself: another admin must do it." in page
    assert "You cannot deactivate yourself: another admin must do it." in page
    assert "Deactivate Admin Person" not in page
    response = admin.post(f"/admin/users/{users[A].id}/role", data={"role": M})
    assert response.status_code == 422
    assert 'id="role-error" role="alert">You cannot take the admin role from yourself' in page_of(response)
    response = admin.post(f"/admin/users/{users[A].id}/deactivate")
    assert response.status_code == 422 and "You cannot deactivate yourself" in page_of(response)
    db.session.rollback()
    assert db.session.get(User, users[A].id).role == A and db.session.get(User, users[A].id).active


def test_with_a_second_admin_one_admin_may_demote_the_other(client, admin, users, make_user):
    colleague = make_user(A, email="second.admin@example.com")
    page = page_of(client.get(f"/admin/users/{colleague.id}"))
    assert "Deactivate " in page and 'id="demotion-refusal"' not in page
    assert admin.post(f"/admin/users/{colleague.id}/role", data={"role": M}).status_code == 303
    db.session.rollback()
    assert db.session.get(User, colleague.id).role == M


def test_a_deactivated_users_open_session_is_refused_at_its_next_request(app, client, users, busy_agent, admin):
    agent_client = app.test_client()
    agent = AuthActions(agent_client)
    agent.login(users[T].email)
    assert agent_client.get("/queue").status_code == 200
    token = agent.csrf_token()

    response = admin.post(f"/admin/users/{users[T].id}/deactivate")
    assert response.status_code == 303
    summary = page_of(client.get(response.headers["Location"]))
    assert "Teleprospector Person is deactivated" in summary and "1 lead they held went back to the queue." in summary
    assert "1 open call closed as abandoned." in summary

    refused = agent_client.get("/queue")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    htmx = agent_client.post("/queue/next", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert agent.login(users[T].email).status_code == 401


def test_a_deactivated_user_can_be_reactivated(app, client, admin, users):
    services.deactivate_user(users[A], users[M].id)
    page = page_of(client.get(f"/admin/users/{users[M].id}"))
    assert "Reactivate Marketing Person" in page and "Reactivate Marketing before giving them a new password." in page
    response = admin.post(f"/admin/users/{users[M].id}/reactivate")
    assert response.status_code == 303
    assert AuthActions(app.test_client()).login(users[M].email).status_code == 303
    assert admin.post(f"/admin/users/{users[M].id}/reactivate").status_code == 422


def test_a_deactivated_users_password_is_not_reset(client, users, admin):
    services.deactivate_user(users[A], users[M].id)
    response = admin.post(f"/admin/users/{users[M].id}/password", data={"access": "password"})
    assert response.status_code == 422
    assert "Reactivate this user before giving them a new password." in page_of(response)
    assert actions("user.password_reset") == []


def test_a_password_reset_gives_a_new_link_and_the_earlier_one_stops_working(app, client, admin, users):
    first = secret_on(page_of(admin.post(f"/admin/users/{users[M].id}/password", data={"access": "link"})))
    response = admin.post(f"/admin/users/{users[M].id}/password", data={"access": "link"})
    assert response.headers["Cache-Control"] == "no-store" and "their earlier links no longer work" in page_of(response)
    second = secret_on(page_of(response))
    stranger = app.test_client()
    assert stranger.get(first.removeprefix("http://localhost")).status_code == 404
    assert stranger.get(second.removeprefix("http://localhost")).status_code == 200
    response = admin.post(f"/admin/users/{users[M].id}/password", data={"access": "maybe"})
    assert response.status_code == 422 and "Not a valid choice" in page_of(response)


def test_pending_hand_offs_are_reassigned_from_the_users_page(client, users, make_user, busy_agent, admin):
    colleague = make_user(S, full_name="Casey Closer")
    handoff = busy_agent["handoff"]
    services.deactivate_user(users[A], users[S].id)
    page = page_of(client.get(f"/admin/users/{users[S].id}"))
    assert "Sales is deactivated: give these hand-offs to an active sales member" in page
    assert f'<option value="{colleague.id}">Casey Closer</option>' in page

    response = admin.post(f"/admin/users/{users[S].id}/handoffs", data={"assignee": str(colleague.id)})
    assert response.status_code == 422 and "Choose at least one hand-off." in page_of(response)

    response = admin.post(f"/admin/users/{users[S].id}/handoffs",
                          data={"handoffs": str(handoff.id), "assignee": str(colleague.id)})
    assert response.status_code == 303
    assert "1 hand-off given to Casey Closer, who is notified." in page_of(client.get(response.headers["Location"]))
    db.session.rollback()
    assert db.session.get(Handoff, handoff.id).assigned_to_id == colleague.id
    assert actions("handoff.reassigned")[0].detail["to_user_id"] == colleague.id


def test_a_hand_off_cannot_be_given_to_someone_outside_sales(client, users, make_user, busy_agent, admin):
    handoff = busy_agent["handoff"]
    make_user(S, full_name="Casey Closer")
    db.session.rollback()
    response = admin.post(f"/admin/users/{users[S].id}/handoffs",
                          data={"handoffs": str(handoff.id), "assignee": str(users[T].id)})
    assert response.status_code == 422 and "Not a valid choice" in page_of(response)
    assert '<option value="' in page_of(response) and "Casey Closer" in page_of(response)


# --- setting a password from a link ---------------------------------------------------------------------------

@pytest.fixture
def link_path(app, users):
    with app.test_request_context():
        credentials = services.reset_password(users[A], users[M].id, services.BY_LINK)
    return credentials.link.removeprefix("http://localhost")


def _post_password(client, path, password, confirm):
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page_of(client.get(path))).group(1)
    return client.post(path, data={"password": password, "confirm": confirm, "csrf_token": token})


def test_a_password_set_from_a_link_must_be_typed_twice_and_long_enough(client, link_path):
    response = _post_password(client, link_path, "short", "short")
    assert response.status_code == 422 and "Use at least 10 characters" in page_of(response)
    response = _post_password(client, link_path, "long enough password", "long enough passwore")
    assert response.status_code == 422 and "The two passwords are not the same." in page_of(response)
    assert 'value="long enough password"' not in page_of(response)  # passwords are never sent back


def test_every_link_that_does_not_work_gets_the_same_clear_page(app, client, users, link_path):
    unknown = client.get("/password/no-such-token")
    assert unknown.status_code == 404
    assert "This link does not work" in page_of(unknown) and "Ask your admin for a new link." in page_of(unknown)
    assert "marketing@example.com" not in page_of(unknown)
    services.deactivate_user(users[A], users[M].id)
    deactivated = client.get(link_path)
    assert deactivated.status_code == 404 and page_of(deactivated).count("This link does not work") == 2


def test_a_link_past_its_lifetime_does_not_work(client, link_path):
    import time_machine

    with time_machine.travel(utcnow() + timedelta(hours=73), tick=False):
        assert client.get(link_path).status_code == 404


def test_setting_a_password_is_audited_and_the_old_password_stops_working(app, client, users, link_path):
    assert _post_password(client, link_path, "fresh new password", "fresh new password").status_code == 303
    [event] = actions("user.password_set")
    assert event.actor_id == users[M].id and event.subject_id == users[M].id
    assert AuthActions(app.test_client()).login(users[M].email, TEST_PASSWORD).status_code == 401
    assert AuthActions(app.test_client()).login(users[M].email, "fresh new password").status_code == 303


# --- the audit log ----------------------------------------------------------------------------------------------

def test_the_audit_log_shows_newest_first_in_words_with_linked_subjects(client, users, busy_agent, admin):
    page = page_of(client.get("/admin/audit"))
    moments = re.findall(r'<td class="when"><time datetime="([^"]+)">', page)
    assert len(moments) > 10 and moments == sorted(moments, reverse=True)
    assert "handed a lead to sales" in page and "<code class=\"muted\">handoff.created</code>" in page
    assert f'href="/handoffs/{busy_agent["handoff"].id}"' in page
    assert f'href="/admin/users/{users[T].id}">Teleprospector Person</a>' in page


def test_the_audit_log_filters_by_who_lead_action_and_dates(client, users, busy_agent, admin):
    handoff = busy_agent["handoff"]
    by_agent = page_of(client.get(f"/admin/audit?user={users[T].id}"))
    assert "claimed a lead" in by_agent and "signed in</td>" not in by_agent.replace("signed in <code", "")
    assert f'<option selected value="{users[T].id}">' in by_agent

    by_lead = page_of(client.get(f"/admin/audit?lead={handoff.lead_id}"))
    assert "handed a lead to sales" in by_lead and "set a disposition" in by_lead
    assert "Holly Held" not in by_lead

    by_action = page_of(client.get("/admin/audit?action=handoff.created"))
    assert len(re.findall(r'<tr id="event-', by_action)) == 1

    today = utcnow().date()
    assert len(re.findall(r'<tr id="event-', page_of(client.get(f"/admin/audit?from={today}&to={today}")))) > 3
    tomorrow = today + timedelta(days=1)
    empty = page_of(client.get(f"/admin/audit?from={tomorrow}"))
    assert "No event matches these filters." in empty

    bad = client.get("/admin/audit?action=no.such.action&lead=abc")
    assert bad.status_code == 422 and "Not a valid choice" in page_of(bad)


def test_the_audit_log_pages_with_an_older_link(client, admin, users, monkeypatch):
    monkeypatch.setattr(services, "PAGE_SIZE", 3)
    for number in range(4):
        services.reset_password(users[A], users[M].id, services.BY_PASSWORD)
    first = page_of(client.get("/admin/audit?action=user.password_reset"))
    older = re.search(r'href="(/admin/audit\?[^"]*before=\d+[^"]*)" rel="next">Older', first).group(1)
    older = older.replace("&amp;", "&")
    second = page_of(client.get(older))
    first_ids = re.findall(r'<tr id="event-(\d+)">', first)
    second_ids = re.findall(r'<tr id="event-(\d+)">', second)
    assert len(first_ids) == 3 and len(second_ids) == 1 and not set(first_ids) & set(second_ids)
    assert "Newest</a>" in second and 'rel="next"' not in second


def test_the_audit_log_downloads_as_csv_with_formula_like_values_escaped(client, admin, users):
    services.create_user(users[A], email="eve@example.com", full_name="=HYPERLINK(\"http://x\")", role=M,
                         method=services.BY_LINK)
    response = client.get("/admin/audit.csv?action=user.created")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'attachment; filename=audit-log.csv' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(page_of(response).lstrip("\ufeff"))))
    assert rows[0][:5] == ["id", "when (UTC)", "who (email)", "who", "action"]
    assert len(rows) == 1 + len(users) + 1
    assert all(row[4] == "user.created" for row in rows[1:])
    # The admin's own detail is plain; a name that would run as a formula comes back as text.
    spreadsheet_cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "@")) for cell in spreadsheet_cells)
    [exported] = actions("audit.exported")
    assert exported.actor_id == users[A].id and exported.detail == {"filters": {"action": "user.created"}}


def test_a_formula_like_detail_is_escaped_in_the_csv(client, admin, users):
    services.change_role(users[A], users[T].id, S)
    with db.session.begin():
        db.session.add(AuditEvent(action="lead.note", actor_id=users[A].id, detail={"text": "-2+3"},
                                  subject_type="Lead", subject_id=1))
    with db.session.begin():
        db.session.add(AuditEvent(action="=cmd|' /C calc'!A0", actor_id=users[A].id, detail={}))
    rows = list(csv.reader(io.StringIO(page_of(client.get("/admin/audit.csv")).lstrip("\ufeff"))))
    actions_column = [row[4] for row in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in actions_column
    detail_column = [row[8] for row in rows[1:]]
    assert "text: -2+3" in detail_column  # starts with "t": already text


def test_the_audit_log_escapes_what_it_shows(client, admin, users):
    with db.session.begin():
        db.session.add(AuditEvent(action="lead.note", actor_id=users[A].id,
                                  detail={"note": "<script>alert(1)</script>"}))
    page = page_of(client.get("/admin/audit"))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- the users CLI ----------------------------------------------------------------------------------------------

def test_flask_users_list_and_deactivate(runner, users, campaign, make_lead):
    make_lead(campaign)
    claim_next_lead(users[T])
    listed = runner.invoke(args=["users", "list", "--role", "teleprospector"])
    assert listed.exit_code == 0 and "teleprospector@example.com" in listed.output and "1 user." in listed.output
    done = runner.invoke(args=["users", "deactivate", "--email", "Teleprospector@example.com"])
    assert done.exit_code == 0, done.output
    assert "1 held lead(s) back in the queue" in done.output
    assert "deactivated" in runner.invoke(args=["users", "list", "--status", "deactivated"]).output
    refused = runner.invoke(args=["users", "deactivate", "--email", "admin@example.com"])
    assert refused.exit_code != 0 and "last active admin" in refused.output
    assert runner.invoke(args=["users", "deactivate", "--email", "nobody@example.com"]).exit_code != 0
