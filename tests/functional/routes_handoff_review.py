"""Access table of marketing's review before sales (merged into test_access.py): marketing and admins."""
from console.auth.models import Role

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "handoff_review.index": ("GET", "/handoffs/review/", {M, A}),
    "handoff_review.release": ("POST", "/handoffs/review/{handoff_id}/release", {M, A}),
    "handoff_review.send_back": ("POST", "/handoffs/review/{handoff_id}/send-back", {M, A}),
}

POST_BODIES = {"handoff_review.send_back": {"reason": "The phone number is the switchboard."}}
