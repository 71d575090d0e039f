"""Access table of the API's pages in the console (merged into test_access.py): the admin's tokens and the
reference. The JSON routes under /api/v1 answer to a bearer token, not a session: they are in TOKEN_ROUTES, and
tests/functional/test_api_*.py check who may call them."""
from console.api import services
from console.auth.models import Role

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "api_pages.tokens": ("GET", "/admin/api/tokens", {A}),
    "api_pages.create_token": ("POST", "/admin/api/tokens", {A}),
    "api_pages.revoke_token": ("POST", "/admin/api/tokens/{token_id}/revoke", {A}),
    "api_pages.reference": ("GET", "/admin/api/reference", {M, S, A}),
}

POST_BODIES = {
    "api_pages.create_token": {"email": "marketing@example.com", "name": "Marketing automation", "expires_days": "30"},
}

# endpoint → (method, path, roles whose tokens may call it; admins' always may; "anyone": no token needed)
TOKEN_ROUTES = {
    "api.ping": ("GET", "/api/v1/ping", "anyone"),
    "api.openapi": ("GET", "/api/v1/openapi.json", "anyone"),
    "api.push_lead": ("POST", "/api/v1/leads", {M}),
    "api.push_leads": ("POST", "/api/v1/leads:batch", {M}),
    "api.find_lead": ("GET", "/api/v1/leads?campaign_id={campaign_id}&external_id=x", {M, S}),
    "api.lead": ("GET", "/api/v1/leads/{lead_id}", {M, S}),
    "api.add_touches": ("POST", "/api/v1/leads/{lead_id}/touches", {M}),
    "api.handoffs": ("GET", "/api/v1/handoffs", {S}),
    "api.outcome": ("POST", "/api/v1/handoffs/{handoff_id}/outcome", {S}),
    "api.campaigns": ("GET", "/api/v1/campaigns", {M, S}),
    "api.campaign_report": ("GET", "/api/v1/campaigns/{campaign_id}/report", {M}),
    "api.list_number": ("POST", "/api/v1/do-not-call", set()),
    "api.unlist_number": ("DELETE", "/api/v1/do-not-call/+12125550100?reason=x", set()),
}


def extend_world(world, users):
    """A token to revoke."""
    token, _secret = services.create_token("sales@example.com", "World CRM", None, users[A])
    world["token_id"] = token.id
