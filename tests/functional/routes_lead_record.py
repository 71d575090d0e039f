"""Access table of the lead record (read by tests/functional/test_access.py): marketing, sales and admins find and
read leads; marketing and admins edit contact data; agents reach a lead only through their call screen."""
from console.auth.models import Role

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "lead_record.search": ("GET", "/leads/", {S, M, A}),
    "lead_record.show": ("GET", "/leads/{lead_id}", {S, M, A}),
    "lead_record.edit": ("GET", "/leads/{lead_id}/edit", {M, A}),
    "lead_record.save": ("POST", "/leads/{lead_id}/edit", {M, A}),
}

POST_BODIES = {
    "lead_record.save": {"first_name": "Pat", "last_name": "Lead", "phone": "+1 212 555 0177", "email": "pat@example.com",
                         "state": "NY"},
}
