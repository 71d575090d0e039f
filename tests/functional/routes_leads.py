"""Access table of the leads area's pages: the do-not-call list (read by tests/functional/test_access.py).
Marketing's and the admins'; agents and sales are refused."""
from console.auth.models import Role
from console.extensions import db
from console.leads import services as leads

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "leads.do_not_call": ("GET", "/do-not-call", {M, A}),
    "leads.add_do_not_call": ("POST", "/do-not-call", {M, A}),
    "leads.upload_do_not_call": ("POST", "/do-not-call/upload", {M, A}),
    "leads.remove_do_not_call": ("POST", "/do-not-call/{do_not_call_entry_id}/remove", {M, A}),
}

POST_BODIES = {
    "leads.add_do_not_call": {"phone": "(212) 555-0199", "scope": "global", "reason": "asked by email"},
    "leads.upload_do_not_call": {"scope": "global", "reason": "a file"},  # no file: the form says so (422)
    "leads.remove_do_not_call": {"reason": "listed by mistake"},
}


def extend_world(world, users):
    """A number on the list, to remove."""
    entry = leads.add_to_do_not_call("+13125550142", reason="world", added_by_id=users[A].id)
    db.session.commit()
    world["do_not_call_entry_id"] = entry.id
