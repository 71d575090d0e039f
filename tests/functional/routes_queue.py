"""Access table of the queue area's routes (read by tests/functional/test_access.py)."""
from console.auth.models import Role

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "queue.show": ("GET", "/queue", {T, A}),
    "queue.next_lead": ("POST", "/queue/next", {T, A}),
    "queue.campaign_dialability": ("GET", "/queue/campaigns/{campaign_id}", {T, M, A}),
    "queue.lead_dialability": ("GET", "/queue/leads/{lead_id}", {T, M, A}),
    "queue.set_lead_location": ("POST", "/queue/leads/{lead_id}/location", {T, M, A}),
}

POST_BODIES = {
    "queue.set_lead_location": {"state": "NY", "time_zones": ""},
}
