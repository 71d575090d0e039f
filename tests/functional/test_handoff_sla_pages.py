"""The SLA on the sales pages: the inbox in sections sorted by clock with countdown chips, the packet's clocks, the
team view (managers and admins only), the top bar's badge; and the policy pages (default, a campaign's own, a sales
member's team), which keep what was typed when it is wrong."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from console.auth.models import Role
from console.calls import services as call_services
from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.handoffs import sla_services
from console.handoffs.models import Handoff, HandoffStatus, SlaPolicy
from console.queue.services import claim_next_lead
from tests.functional.routes_handoffs_sla import POLICY

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN
QUALIFYING = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}
ALWAYS_OPEN = {**sla_services.sla.DEFAULTS, "day_start": "00:00", "day_end": "23:59", "work_days": list(range(1, 8)),
               "holiday_country": None}


@pytest.fixture
def handoff_to(app_context, make_lead, users, campaign):
    """A hand-off to `member`, released `minutes_ago`, under an SLA open around the clock (the test's hour never
    matters), in `status`."""
    def make(member, minutes_ago=0, status=HandoffStatus.PENDING, name="Lead"):
        make_lead(campaign, first_name=name)
        call = claim_next_lead(users[T])
        for criterion, value in QUALIFYING.items():
            call_services.save_answer(call, users[T], criterion, value)
        handoff = call_services.record_disposition(call, users[T], "qualified")
        with writers.write_transaction(db.session):
            handoff = db.session.get(Handoff, handoff.id)
            handoff.assigned_to_id, handoff.sla, handoff.status = member.id, ALWAYS_OPEN, status
            handoff.created_at = handoff.released_at = utcnow() - timedelta(minutes=minutes_ago)
            if status == HandoffStatus.ACCEPTED:
                handoff.decided_at = handoff.released_at + timedelta(minutes=1)
        return handoff.id

    return make


def section(html: str, heading: str) -> str:
    return html.split(f">{heading} <span")[1].split("</section>")[0]


def test_the_inbox_shows_overdue_new_and_first_contact_due_each_sorted_by_clock(client, auth, users, handoff_to):
    handoff_to(users[S], minutes_ago=300, name="Late")  # the accept clock (240 min) ran out
    handoff_to(users[S], minutes_ago=10, name="Fresh")
    handoff_to(users[S], minutes_ago=200, name="Older")  # amber: 200 of 240 minutes spent
    handoff_to(users[S], minutes_ago=30, status=HandoffStatus.ACCEPTED, name="Accepted")
    auth.login(users[S].email)
    html = client.get("/handoffs/").get_data(as_text=True)
    overdue, new, first = section(html, "Overdue"), section(html, "New"), section(html, "Accepted, first contact due")
    assert "Late " in overdue and "overdue by 1 h" in overdue and "clock-red" in overdue
    assert re.findall(r">(Older|Fresh) Lead", new) == ["Older", "Fresh"]  # the soonest due first
    assert "clock-amber" in new and "(soon)" in new and re.search(r"(39|40) min left", new)
    assert "Accepted " in first and "First contact clock: " in first


def test_a_sales_member_sees_a_badge_of_their_new_hand_offs(client, auth, users, handoff_to):
    handoff_to(users[S])
    handoff_to(users[S])
    auth.login(users[S].email)
    html = client.get("/handoffs/").get_data(as_text=True)
    assert html.count('title="new hand-offs waiting for your decision">2 new</span>') == 2  # the group and its link


def test_the_packet_shows_its_clocks(client, auth, users, handoff_to):
    handoff_id = handoff_to(users[S], minutes_ago=60)
    auth.login(users[S].email)
    html = client.get(f"/handoffs/{handoff_id}").get_data(as_text=True)
    assert "Accept or reject clock: " in html and re.search(r"(3 h|2 h 59 min) left", html)
    assert "First contact clock: " in html


def test_a_manager_s_team_view_lists_each_member_with_workload_overdue_and_breaches(client, auth, users, make_user,
                                                                                     handoff_to):
    manager, member, stranger = (make_user(S, email=email, full_name=name) for email, name in (
        ("boss@example.com", "Bo Boss"), ("dana@example.com", "Dana East"), ("wes@example.com", "Wes West")))
    for user, team, manages in ((manager, "East", True), (member, "East", False), (stranger, "West", False)):
        sla_services.save_sales_team(users[A], user, team, manages)
    late = handoff_to(member, minutes_ago=600, name="Late")
    handoff_to(member, minutes_ago=5)
    handoff_to(stranger, minutes_ago=600)
    sla_services.check_breaches()
    auth.login(manager.email)
    html = client.get("/handoffs/team").get_data(as_text=True)
    assert "Dana East" in html and "Bo Boss" in html and "Wes West" not in html
    row = html.split("Dana East</a>")[1].split("</tr>")[0]
    assert re.findall(r'class="number">(?:<strong class="overdue-count">)?(\d+)', row) == ["2", "2", "1", "2"]
    assert f'href="/handoffs/{late}"' in html and "overdue by" in html
    chart = html[html.index('<figure class="workload-chart">'):html.index("</figure>")]
    assert "<title>Dana East: 1 overdue</title>" in chart and "<title>Dana East: 1 open, on time</title>" in chart
    assert "Wes West" not in chart
    assert 'href="/handoffs/team"' in client.get("/handoffs/").get_data(as_text=True)


def test_only_managers_and_admins_open_the_team_view(client, auth, users, make_user):
    auth.login(users[S].email)
    assert client.get("/handoffs/team").status_code == 403
    assert 'href="/handoffs/team"' not in client.get("/handoffs/").get_data(as_text=True)
    auth.logout()
    auth.login(users[M].email)
    assert client.get("/handoffs/team").status_code == 403
    auth.logout()
    auth.login(users[A].email)
    assert client.get("/handoffs/team").status_code == 200


def test_an_admin_saves_the_default_policy(client, auth, users):
    auth.login(users[A].email)
    response = auth.post("/sla/", {**POLICY, "accept_minutes": "90", "holiday_subdivision": "ny"})
    assert response.status_code == 303
    db.session.rollback()  # what the request committed, read afresh
    row = db.session.scalars(select(SlaPolicy)).one()
    assert (row.accept_minutes, row.work_days, row.holiday_subdivision) == (90, "123", "NY")
    assert 'value="90"' in client.get("/sla/").get_data(as_text=True)


def test_a_wrong_policy_is_refused_beside_its_fields_and_keeps_what_was_typed(client, auth, users):
    auth.login(users[A].email)
    response = auth.post("/sla/", {**POLICY, "accept_minutes": "0", "time_zone": "Mars/Base", "day_end": "08:00",
                                   "holiday_country": "ZZ", "first_contact_minutes": "abc"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give a number of business minutes from 1" in html and "Not a valid integer value" in html
    assert 'value="Mars/Base"' in html and 'value="ZZ"' in html and 'value="0"' in html
    db.session.rollback()
    assert db.session.scalar(select(SlaPolicy.id)) is None
    response = auth.post("/sla/", {**POLICY, "time_zone": "Mars/Base", "holiday_country": "ZZ"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Not a time zone name" in html and "holiday calendar knows" in html


def test_marketing_gives_a_campaign_its_own_policy_and_sends_it_back_to_the_default(client, auth, users, campaign):
    auth.login(users[M].email)
    page = client.get(f"/sla/campaigns/{campaign.id}").get_data(as_text=True)
    assert "follows the built-in SLA" in page and 'aria-current="page">Hand-off SLA' in page
    assert auth.post(f"/sla/campaigns/{campaign.id}", {**POLICY, "accept_minutes": "30"}).status_code == 303
    db.session.rollback()
    assert sla_services.snapshot(campaign.id)["accept_minutes"] == 30
    assert "has an SLA of its own" in client.get(f"/sla/campaigns/{campaign.id}").get_data(as_text=True)
    assert auth.post(f"/sla/campaigns/{campaign.id}/default").status_code == 303
    db.session.rollback()
    assert sla_services.own_policy(campaign.id) is None


def test_an_admin_puts_a_sales_member_in_a_team(client, auth, users):
    auth.login(users[A].email)
    assert auth.post(f"/sla/members/{users[S].id}", {"sales_team": "East", "sales_manager": "y"}).status_code == 303
    db.session.rollback()
    db.session.refresh(users[S])
    assert (users[S].sales_team, users[S].sales_manager) == ("East", True)
    response = auth.post(f"/sla/members/{users[S].id}", {"sales_team": "", "sales_manager": "y"})
    assert response.status_code == 422 and "name the team" in response.get_data(as_text=True)
    assert client.get(f"/sla/members/{users[M].id}").status_code == 404  # not a sales member
