"""Access table of the call guides: reading, the editor, history, performance, quick-find and marks on calls
(merged into test_access.py)."""
from console.auth.models import Role

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "guides.index": ("GET", "/guides/", {S, M, A}),
    "guides.show": ("GET", "/guides/{guide_id}", {S, M, A}),
    "guides.create": ("POST", "/guides/new", {S, A}),
    "guides.edit": ("GET", "/guides/{guide_id}/edit", {S, A}),
    "guides.save": ("POST", "/guides/{guide_id}/edit", {S, A}),
    "guides.change_form": ("POST", "/guides/{guide_id}/edit/form", {S, A}),
    "guides.preview": ("POST", "/guides/{guide_id}/preview", {S, A}),
    "guides.publish": ("POST", "/guides/{guide_id}/publish", {S, A}),
    "guides.history": ("GET", "/guides/{guide_id}/history", {S, M, A}),
    "guides.diff": ("GET", "/guides/{guide_id}/diff", {S, M, A}),
    "guides.revert": ("POST", "/guides/{guide_id}/versions/1/revert", {S, A}),
    "guides.version_file": ("GET", "/guides/{guide_id}/versions/1.yaml", {S, M, A}),
    "guides.performance": ("GET", "/guides/{guide_id}/performance", {S, M, A}),
    "guides.quick_find": ("GET", "/guides/calls/{call_id}/objections?q=budget", {T, A}),
    "guides.mark": ("POST", "/guides/calls/{call_id}/objections/no-budget", {T, A}),
}

# Marking an objection is the agent's own record of their call: an admin may look, not mark.
OWNER_ONLY = {"guides.mark"}

POST_BODIES = {
    "guides.create": {"name": "Champions", "slug": "champions", "copy_from": "0"},
    "guides.change_form": {"change": "add:objections"},
    "guides.publish": {"number": "1"},
    "guides.mark": {"outcome": "worked"},
}
