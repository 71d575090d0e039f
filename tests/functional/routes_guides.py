"""Access table of the call guides: reading, the editor, history and performance (merged into test_access.py).
The call screen's quick-find and objection marks are in routes_calls.py."""
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
}

POST_BODIES = {
    "guides.create": {"name": "Champions", "slug": "champions", "copy_from": "0"},
    "guides.change_form": {"change": "add:objections"},
    "guides.publish": {"number": "1"},
}
