"""Access table of hand-offs (merged into test_access.py): a sales member acts on the hand-offs visible to them
(the world's is the sales member's own), a sales manager or an admin reassigns, an agent reads their own feedback,
marketing reads a campaign's feedback."""
from console.auth.models import Role

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "handoffs.inbox": ("GET", "/handoffs/", {S, A}),
    "handoffs.packet": ("GET", "/handoffs/{handoff_id}", {S, A}),
    "handoffs.accept": ("POST", "/handoffs/{handoff_id}/accept", {S, A}),
    "handoffs.reject": ("POST", "/handoffs/{handoff_id}/reject", {S, A}),
    # The world's sales member manages team East (routes_handoffs_sla.extend_world), so may reassign their team's
    # hand-offs; a member who manages no team is refused (test_handoff_actions.py).
    "handoffs.reassign": ("POST", "/handoffs/{handoff_id}/reassign", {S, A}),
    "handoffs.first_contact": ("POST", "/handoffs/{handoff_id}/first-contact", {S, A}),
    "handoffs.meeting_held": ("POST", "/handoffs/{handoff_id}/meeting", {S, A}),
    "handoffs.opportunity": ("POST", "/handoffs/{handoff_id}/opportunity", {S, A}),
    "handoffs.won": ("POST", "/handoffs/{handoff_id}/won", {S, A}),
    "handoffs.lost": ("POST", "/handoffs/{handoff_id}/lost", {S, A}),
    "handoffs.rate": ("POST", "/handoffs/{handoff_id}/rating", {S, A}),
    "handoffs.feedback": ("GET", "/handoffs/feedback", {T, A}),
    "handoffs.campaign_feedback": ("GET", "/handoffs/campaigns/{campaign_id}/feedback", {M, A}),
}

POST_BODIES = {
    "handoffs.reject": {"kind": "definitional", "comment": "No budget this year", "then": "nurture",
                        "recall_on": "2099-01-01"},
    "handoffs.reassign": {"assignee": "0"},
    "handoffs.first_contact": {"contact_kind": "call"},
    "handoffs.opportunity": {"amount": "12,500.00", "expected_close_on": "2099-01-01"},
    "handoffs.won": {"won_amount": "12500", "won_on": "2026-01-01"},
    "handoffs.lost": {"lost_reason": "no_budget", "lost_note": "Froze spending"},
    "handoffs.rate": {"rating": "4", "rating_comment": "Well prepared"},
}
