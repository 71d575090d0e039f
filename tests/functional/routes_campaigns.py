"""Access table of the campaigns area's new pages: a new campaign, each campaign's life actions (marketing), and
the campaign calendar (sales and marketing) (merged into test_access.py). The list and settings rows stay in
routes_calls.py."""
from console.auth.models import Role

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "campaigns.new": ("GET", "/campaigns/new", {M, A}),
    "campaigns.create": ("POST", "/campaigns/new", {M, A}),
    "campaigns.pause": ("POST", "/campaigns/{campaign_id}/pause", {M, A}),
    "campaigns.resume": ("POST", "/campaigns/{campaign_id}/resume", {M, A}),
    "campaigns.end": ("POST", "/campaigns/{campaign_id}/end", {M, A}),
    "campaigns.archive": ("POST", "/campaigns/{campaign_id}/archive", {M, A}),
    "campaigns.unarchive": ("POST", "/campaigns/{campaign_id}/unarchive", {M, A}),
    "campaigns.calendar": ("GET", "/campaigns/calendar", {S, M, A}),
}

POST_BODIES = {
    "campaigns.create": {"name": "Spring webinar follow-up", "source": "webinar", "priority": "3",
                         "calling_start": "09:00", "calling_end": "18:00", "calling_days": "1", "max_attempts": "5",
                         "min_retry_minutes": "60", "call_guide_id": "0", "start_as": "paused",
                         "expected_leads": "400", "custom_fields-0-key": "", "custom_fields-0-label": "Fleet size"},
    "campaigns.pause": {"next": "/campaigns/"},
}
