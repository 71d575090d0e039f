"""Access table of hand-off routing (merged into test_access.py): marketing and admins edit the rules and test
them; a sales member sets their own availability, an admin anyone's."""
from console.auth.models import Role
from console.handoffs import routing_services
from console.handoffs.routing import Conditions, Method

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "routing.index": ("GET", "/routing/", {M, A}),
    "routing.new_rule": ("GET", "/routing/rules/new?campaign_id={campaign_id}", {M, A}),
    "routing.add_rule": ("POST", "/routing/rules/new", {M, A}),
    "routing.rule": ("GET", "/routing/rules/{rule_id}", {M, A}),
    "routing.save_rule": ("POST", "/routing/rules/{rule_id}", {M, A}),
    "routing.delete_rule": ("POST", "/routing/rules/{rule_id}/delete", {M, A}),
    "routing.move_rule": ("POST", "/routing/rules/{rule_id}/move", {M, A}),
    "routing.test": ("GET", "/routing/test", {M, A}),
    "routing.run_test": ("POST", "/routing/test", {M, A}),
    "routing.availability": ("GET", "/routing/availability", {S, A}),
    "routing.save_availability": ("POST", "/routing/availability", {S, A}),
    "routing.member_availability": ("GET", "/routing/members/{sales_user_id}/availability", {A}),
    "routing.save_member_availability": ("POST", "/routing/members/{sales_user_id}/availability", {A}),
}

POST_BODIES = {
    "routing.add_rule": {"name": "East", "states": "NY", "method": "workload"},
    "routing.save_rule": {"name": "West", "states": "CA, OR", "method": "workload"},
    "routing.move_rule": {"direction": "down"},
    "routing.run_test": {"campaign_id": "0", "state": "CA"},
    "routing.save_availability": {"away": "y"},
    "routing.save_member_availability": {"time_zone": "America/New_York", "days": ["0", "1"], "start": "09:00",
                                         "end": "17:00"},
}


def extend_world(world, users):
    """A global rule (with its catch-all) naming the sales member."""
    rule = routing_services.add_rule(users[A], None, routing_services.RuleValues(
        "West", Conditions(states=("CA",)), Method.MEMBER, ((users[S].id, 1),)))
    world["rule_id"] = rule.id
    world["sales_user_id"] = users[S].id
