"""Hand-off routing in the browser's terms: marketing adds, edits, moves and deletes rules; a refused rule comes
back with the reason beside the field and what was typed; the Test form says where a lead would go and why; a
sales member sets their own availability and the hand-off packet says which rule routed the lead."""
from sqlalchemy import select

from console.auth.models import Role, User
from console.calls import services as call_services
from console.extensions import db
from console.handoffs import routing_services
from console.handoffs.models import RoutingRule
from console.queue.services import claim_next_lead

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN


def rules(campaign_id=None):
    db.session.rollback()
    return [(row.name, row.position) for row in routing_services.scope_rules(campaign_id)]


def test_marketing_adds_a_campaign_rule_and_its_catch_all_comes_with_it(client, auth, users, campaign):
    auth.login("marketing@example.com")
    assert b"Hand-off routing" in client.get("/routing/").data
    response = auth.post(f"/routing/rules/new?campaign_id={campaign.id}",
                         {"name": "West coast", "states": "ca, or", "method": "member",
                          f"weight_{users[S].id}": "1"})
    assert response.status_code == 303
    assert rules(campaign.id) == [("West coast", 1), ("Everyone else", 2)]
    page = client.get("/routing/").get_data(as_text=True)
    assert "state CA, OR" in page and "catch-all" in page


def test_a_refused_rule_keeps_what_was_typed_and_says_why_beside_the_field(client, auth, users):
    auth.login("marketing@example.com")
    response = auth.post("/routing/rules/new", {"name": "Big ones", "size_min": "500", "size_max": "50",
                                                "method": "member", "states": "California"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "write two-letter codes" in page
    assert 'value="Big ones"' in page and 'value="500"' in page
    response = auth.post("/routing/rules/new", {"name": "Big ones", "size_min": "500", "size_max": "50",
                                                "method": "member"})
    assert response.status_code == 422
    assert "The largest size must be at least the smallest." in response.get_data(as_text=True)
    assert rules() == []


def test_rules_move_but_the_catch_all_neither_moves_nor_goes_while_rules_need_it(client, auth, users):
    auth.login("admin@example.com")
    for name, state in (("First", "CA"), ("Second", "NY")):
        auth.post("/routing/rules/new", {"name": name, "states": state, "method": "workload"})
    ids = {row.name: row.id for row in db.session.scalars(select(RoutingRule))}
    assert auth.post(f"/routing/rules/{ids['Second']}/move", {"direction": "up"}).status_code == 303
    assert rules() == [("Second", 1), ("First", 2), ("Everyone else", 3)]
    auth.post(f"/routing/rules/{ids['Everyone else']}/move", {"direction": "up"})
    response = auth.post(f"/routing/rules/{ids['Everyone else']}/delete", follow_redirects=True)
    assert "The catch-all stays while other rules need it" in response.get_data(as_text=True)
    assert rules() == [("Second", 1), ("First", 2), ("Everyone else", 3)]
    auth.post(f"/routing/rules/{ids['First']}/delete")
    assert rules() == [("Second", 1), ("Everyone else", 2)]


def test_the_test_form_shows_the_member_and_the_rule_that_decided(client, auth, users, make_user):
    dana = make_user(S, email="dana@example.com", full_name="Dana West")
    auth.login("marketing@example.com")
    auth.post("/routing/rules/new", {"name": "West coast", "states": "CA", "method": "member",
                                     f"weight_{dana.id}": "1"})
    response = auth.post("/routing/test", {"campaign_id": "0", "state": "ca"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "to <strong>Dana West</strong>, by rule 1 'West coast'" in page
    assert "Rule 1 &#39;West coast&#39;: state CA matched; → Dana West" in page
    response = auth.post("/routing/test", {"campaign_id": "0", "lead_id": "999999"})
    assert response.status_code == 422
    assert "No lead has this id." in response.get_data(as_text=True)


def test_a_sales_member_goes_away_and_routing_skips_them(client, auth, users, make_user, campaign, make_lead):
    dana = make_user(S, email="dana@example.com", full_name="Dana West")
    routing_services.add_rule(users[A], None, routing_services.RuleValues(
        "West coast", routing_services.routing.Conditions(states=("NY",)), "round_robin",
        ((dana.id, 1), (users[S].id, 1))))
    auth.login("dana@example.com")
    response = auth.post("/routing/availability", {"away": "y"})
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(User, dana.id).away is True
    make_lead(campaign)
    call = claim_next_lead(users[T])
    for key, value in {"budget": "confirmed", "authority": "decision_maker", "need": "urgent",
                       "timeline": "under_3_months"}.items():
        call_services.save_answer(call, users[T], key, value)
    handoff = call_services.record_disposition(call, users[T], "qualified")
    assert handoff.assigned_to_id == users[S].id
    auth.logout()
    auth.login("sales@example.com")
    page = client.get(f"/handoffs/{handoff.id}").get_data(as_text=True)
    assert "by rule 1 &#39;West coast&#39;: state NY matched; Dana West away, skipped" in page


def test_availability_refuses_an_unknown_zone_and_hours_without_one(client, auth, users):
    auth.login("sales@example.com")
    response = auth.post("/routing/availability", {"days": ["0"], "start": "09:00", "end": "17:00",
                                                   "time_zone": "Mars/Olympus"})
    assert response.status_code == 422
    assert "Not a time zone name" in response.get_data(as_text=True)
    assert 'value="Mars/Olympus"' in response.get_data(as_text=True)
    response = auth.post("/routing/availability", {"days": ["0"], "start": "09:00", "end": "17:00"})
    assert response.status_code == 422
    assert "need the time zone" in response.get_data(as_text=True)


def test_an_admin_sets_a_sales_members_hours_and_the_routing_page_shows_them(client, auth, users):
    auth.login("admin@example.com")
    response = auth.post(f"/routing/members/{users[S].id}/availability",
                         {"days": ["0", "1", "2", "3", "4"], "start": "08:30", "end": "16:00",
                          "time_zone": "America/Chicago"})
    assert response.status_code == 303
    assert "Mon, Tue, Wed, Thu, Fri 08:30–16:00 (America/Chicago)" in client.get("/routing/").get_data(as_text=True)
    assert client.get(f"/routing/members/{users[M].id}/availability").status_code == 404


def test_a_pool_that_names_nobody_for_a_named_member_rule_is_refused_above_the_weights(client, auth, users):
    auth.login("marketing@example.com")
    response = auth.post("/routing/rules/new", {"name": "Nobody", "states": "CA", "method": "member"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count("Choose exactly one sales member") == 1


def test_the_team_user_page_links_a_sales_members_availability_for_admins(client, auth, users):
    auth.login("admin@example.com")
    page = client.get(f"/admin/users/{users[S].id}").get_data(as_text=True)
    assert f"/routing/members/{users[S].id}/availability" in page


def test_working_hours_given_in_part_are_refused_beside_the_field_and_keep_what_was_typed(client, auth, users):
    auth.login("sales@example.com")
    for partial in ({"days": ["0"], "start": "09:00", "end": ""}, {"days": ["0", "1"], "start": "", "end": ""},
                    {"days": [], "start": "09:00", "end": "17:00"}):
        response = auth.post("/routing/availability", {**partial, "time_zone": "America/Chicago"})
        assert response.status_code == 422, partial
        page = response.get_data(as_text=True)
        assert "Give the days and both times, or leave them all empty for any time." in page
        assert 'value="America/Chicago"' in page
    response = auth.post("/routing/availability", {"days": ["0"], "start": "17:00", "end": "09:00",
                                                   "time_zone": "America/Chicago"})
    assert response.status_code == 422
    assert "The end comes after the start" in response.get_data(as_text=True)
