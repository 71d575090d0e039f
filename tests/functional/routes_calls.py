"""Access table of the call screen, callbacks and campaign settings (merged into test_access.py)."""
from console.auth.models import Role

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "calls.call_screen": ("GET", "/calls/{call_id}", {T, A}),
    "calls.save_answer": ("POST", "/calls/{call_id}/answers", {T, A}),
    "calls.save_notes": ("POST", "/calls/{call_id}/notes", {T, A}),
    "calls.correct_contact": ("POST", "/calls/{call_id}/contact", {T, A}),
    "calls.disposition": ("POST", "/calls/{call_id}/disposition", {T, A}),
    "calls.callbacks": ("GET", "/callbacks", {T, A}),
    "calls.auto_advance": ("POST", "/agent/auto-advance", {T, A}),
    "campaigns.index": ("GET", "/campaigns/", {M, A}),
    "campaigns.settings": ("GET", "/campaigns/{campaign_id}/settings", {M, A}),
    "campaigns.save_settings": ("POST", "/campaigns/{campaign_id}/settings", {M, A}),
    "calls.campaign_dispositions": ("GET", "/campaigns/{campaign_id}/dispositions", {M, A}),
    "calls.save_campaign_dispositions": ("POST", "/campaigns/{campaign_id}/dispositions", {M, A}),
    # The call screen's objection quick-find and marks (their URLs are under /guides/).
    "calls.objection_quick_find": ("GET", "/guides/calls/{call_id}/objections?q=budget", {T, A}),
    "calls.mark_objection": ("POST", "/guides/calls/{call_id}/objections/no-budget", {T, A}),
}

# Writes on a call belong to the agent holding it: an admin may look, not act on someone else's call.
OWNER_ONLY = {"calls.save_answer", "calls.save_notes", "calls.disposition", "calls.correct_contact", "calls.mark_objection"}

POST_BODIES = {
    # An old version: the agent gets a stale-save refusal (409), an admin the owner check (403) first.
    "calls.save_answer": {"criterion": "budget", "value": "confirmed", "version": "0"},
    "calls.auto_advance": {"auto_advance": "off"},
    "calls.correct_contact": {"contact-first_name": "Pat", "contact-last_name": "Corrected",
                              "contact-email": "pat@example.com"},
    "calls.mark_objection": {"outcome": "worked"},
    "campaigns.save_settings": {"name": "Renamed campaign", "source": "webinar", "priority": "1",
                                "calling_start": "09:00", "calling_end": "18:00", "calling_days": "1", "max_attempts": "5",
                                "min_retry_minutes": "60", "call_guide_id": "0"},
    "calls.save_campaign_dispositions": {"rows-0-code": "busy", "rows-0-next_action": "retry_in",
                                    "rows-0-retry_minutes": "45"},
}
