"""The top bar's menu: each role sees the pages it may open, grouped, with the page it is on marked."""
import re

import pytest

from console.auth.models import Role
from console.navigation import MENU, current_entry

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN


def main_nav(html: str) -> str:
    return html.split('<nav aria-label="Main">')[1].split("</nav>")[0]


def test_every_menu_entry_names_a_view_of_the_console(app):
    # An entry for a page not built yet would silently never show: every entry must be a real endpoint.
    endpoints = set(app.view_functions)
    assert {entry.endpoint for group in MENU for entry in group.entries} <= endpoints


@pytest.mark.parametrize("endpoint, label", [
    ("calls.call_screen", "Queue"), ("calls.callbacks", "Callbacks"), ("reports.campaign", "Campaigns"),
    ("reports.campaigns", "Campaign reports"), ("reports.agents", "Agent view"), ("reports.campaign_csv", "Campaigns"), ("calls.campaign_dispositions", "Campaigns"), ("outbox.webhook", "CRM endpoints"),
    ("outbox.entry", "Outbox"), ("guides.edit", "Call guides"), ("auth.login", None),
    ("campaigns.calendar", "Campaign calendar"), ("campaigns.new", "Campaigns"), ("campaigns.end", "Campaigns"),
    ("team.user", "Users"), ("team.reassign_handoffs", "Users"), ("team.audit_log", "Audit log"),
    ("team.audit_export", "Audit log"), ("imports.mapping", "Imports"), ("imports.campaign_lists", "Campaigns"),
    ("lead_record.show", "Find a lead"), ("lead_record.save", "Find a lead"),
    ("leads.upload_do_not_call", "Do-not-call list"), ("sla.member_team", "Hand-off SLA"),
    ("sla.save_campaign", "Campaigns"), ("handoffs.team", "Hand-offs"), ("handoffs.campaign_feedback", "Campaigns"),
    ("handoffs.feedback", "Feedback"), ("handoffs.won", "Hand-offs")])
def test_a_page_belongs_to_the_entry_naming_it_before_the_one_covering_its_blueprint(endpoint, label):
    entry = current_entry(endpoint)
    assert (entry.label if entry else None) == label


@pytest.mark.parametrize("role, shown, hidden", [
    (T, ["Queue", "Callbacks", "Feedback"], ["Outbox", "Reports", "Hand-offs", "Users", "Audit log", "Imports", "Find a lead",
                                 "Do-not-call list"]),
    (S, ["Hand-offs", "Call guides", "Campaign calendar", "Find a lead"],
     ["Queue", "Outbox", "Reports", "Campaigns", "Users", "Audit log", "Imports", "Do-not-call list"]),
    (M, ["Campaigns", "Campaign calendar", "Reports", "Call guides", "Imports", "Find a lead", "Do-not-call list"],
     ["Queue", "Outbox", "Hand-offs", "Users", "Audit log"]),
    (A, ["Queue", "Hand-offs", "Campaigns", "Reports", "Users", "Audit log", "Outbox", "CRM endpoints", "Imports",
         "Find a lead", "Do-not-call list"], []),
])
def test_each_role_sees_only_the_pages_it_may_open(client, auth, users, role, shown, hidden):
    auth.login(users[role].email)
    nav = main_nav(client.get("/", follow_redirects=True).get_data(as_text=True))
    labels = re.findall(r">([^<>]+)</(?:a|summary)>", nav)
    for label in shown:
        assert label in labels
    for label in hidden:
        assert label not in labels


def test_the_admin_menu_groups_its_pages_and_marks_the_one_showing(client, auth, users):
    auth.login(users[A].email)
    nav = main_nav(client.get("/admin/webhooks").get_data(as_text=True))
    admin_menu = nav.split("<summary>Admin</summary>")[1].split("</details>")[0]
    assert '<a href="/admin/outbox" >Outbox</a>' in admin_menu
    assert '<a href="/admin/webhooks" aria-current="page">CRM endpoints</a>' in admin_menu
    assert nav.count('aria-current="page"') == 1
    assert '<details class="menu current" data-menu>\n            <summary>Admin</summary>' in nav


def test_the_admin_menu_marks_users_on_a_users_page_and_audit_log_on_the_audit_log(client, auth, users):
    auth.login(users[A].email)
    nav = main_nav(client.get(f"/admin/users/{users[T].id}").get_data(as_text=True))
    assert '<a href="/admin/users" aria-current="page">Users</a>' in nav and nav.count('aria-current="page"') == 1
    nav = main_nav(client.get("/admin/audit").get_data(as_text=True))
    assert '<a href="/admin/audit" aria-current="page">Audit log</a>' in nav and nav.count('aria-current="page"') == 1
    admin_menu = nav.split("<summary>Admin</summary>")[1].split("</details>")[0]
    assert re.findall(r">([^<>]+)</a>", admin_menu) == ["Users", "Audit log", "Outbox", "CRM endpoints",
                                                               "Hand-off SLA", "API tokens", "API reference"]


def test_the_leads_menu_lists_finding_a_lead_first_and_marks_the_do_not_call_list(client, auth, users):
    auth.login(users[M].email)
    nav = main_nav(client.get("/do-not-call").get_data(as_text=True))
    leads_menu = nav.split("<summary>Leads</summary>")[1].split("</details>")[0]
    assert leads_menu.index(">Find a lead<") < leads_menu.index(">Do-not-call list<")
    assert '<a href="/do-not-call" aria-current="page">Do-not-call list</a>' in leads_menu
