"""Access table of the team area (merged into test_access.py): the users and the audit log are the admin's; the
set-password page is public (the link is the proof), and the world gives it a link that works."""
from console.auth.models import Role
from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.team import rules
from console.auth import services as accounts

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "team.users": ("GET", "/admin/users", {A}),
    "team.new_user": ("GET", "/admin/users/new", {A}),
    "team.create_user": ("POST", "/admin/users/new", {A}),
    "team.user": ("GET", "/admin/users/{team_user_id}", {A}),
    "team.change_role": ("POST", "/admin/users/{team_user_id}/role", {A}),
    "team.deactivate_user": ("POST", "/admin/users/{team_user_id}/deactivate", {A}),
    "team.reactivate_user": ("POST", "/admin/users/{team_user_id}/reactivate", {A}),
    "team.reset_password": ("POST", "/admin/users/{team_user_id}/password", {A}),
    "team.reassign_handoffs": ("POST", "/admin/users/{sales_user_id}/handoffs", {A}),
    "team.set_password": ("GET", "/password/{password_token}", "public"),
    "team.audit_log": ("GET", "/admin/audit", {A}),
    "team.audit_export": ("GET", "/admin/audit.csv", {A}),
}

POST_BODIES = {
    "team.create_user": {"email": "new.hire@example.com", "full_name": "New Hire", "role": T, "access": "link"},
    "team.change_role": {"role": M},
    "team.reset_password": {"access": "password"},
}


def extend_world(world, users):
    """A marketing manager to act on (never the signed-in admin, nor the last admin), the sales member holding the
    world's hand-off and a second one to give it to, and a set-password link of the marketing manager that works."""
    from tests.builders import TEST_PASSWORD

    world["team_user_id"] = users[M].id
    world["sales_user_id"] = users[S].id
    world["other_sales_user_id"] = accounts.create_user("sales.two@example.com", "Sales Two", S, TEST_PASSWORD).id
    with writers.write_transaction(db.session):
        now = utcnow()
        world["password_token"] = accounts.issue_password_link(users[M], now + rules.PASSWORD_LINK_LIFETIME,
                                                               actor=users[A], now=now)
