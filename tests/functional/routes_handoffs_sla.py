"""Access table of the hand-off SLA pages (merged into test_access.py): the default policy and sales teams are an
admin's; a campaign's own policy is marketing's (and admins'); the team view is a sales manager's (and admins').

A sales member who manages no team gets 403 from the team view (test_handoff_sla_pages.py); so does marketing: the
team view is a manager's tool about the people they manage (workload, who is late). Marketing hears of every missed
clock through its escalation (in the console and by email, linked to the campaign's SLA tab) and sets the SLA of its
campaigns."""
from console.auth.models import Role
from console.handoffs import sla_services

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

POLICY = {"accept_minutes": "120", "first_contact_minutes": "480", "handover_minutes": "60", "amber_percent": "75",
          "time_zone": "America/New_York", "day_start": "09:00", "day_end": "17:00", "work_days": ["1", "2", "3"],
          "holiday_country": "US"}

ROUTES = {
    "handoffs.team": ("GET", "/handoffs/team", {S, A}),
    "sla.index": ("GET", "/sla/", {A}),
    "sla.save_default": ("POST", "/sla/", {A}),
    "sla.campaign": ("GET", "/sla/campaigns/{campaign_id}", {M, A}),
    "sla.save_campaign": ("POST", "/sla/campaigns/{campaign_id}", {M, A}),
    "sla.use_default": ("POST", "/sla/campaigns/{campaign_id}/default", {M, A}),
    "sla.member_team": ("GET", "/sla/members/{sales_user_id}", {A}),
    "sla.save_member_team": ("POST", "/sla/members/{sales_user_id}", {A}),
}

POST_BODIES = {
    "sla.save_default": POLICY,
    "sla.save_campaign": POLICY,
    "sla.save_member_team": {"sales_team": "East", "sales_manager": "y"},
}


def extend_world(world, users):
    """The sales member manages a team (the team view is a manager's); the member page names them."""
    sla_services.save_sales_team(users[A], users[S], "East", True)
    world["sales_user_id"] = users[S].id
