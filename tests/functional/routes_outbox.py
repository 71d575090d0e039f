"""Access table of the outbox area's admin pages: the outbox, its rows and jobs, the CRM endpoints (merged into
test_access.py). All of it is the admin's."""
from sqlalchemy import select

from console.auth.models import Role
from console.extensions import db
from console.outbox import services
from console.outbox.models import OutboxEntry

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "outbox.index": ("GET", "/admin/outbox", {A}),
    "outbox.jobs": ("GET", "/admin/outbox/jobs", {A}),
    "outbox.start_job": ("POST", "/admin/outbox/jobs", {A}),
    "outbox.entry": ("GET", "/admin/outbox/{outbox_entry_id}", {A}),
    "outbox.retry": ("POST", "/admin/outbox/{outbox_entry_id}/retry", {A}),
    "outbox.discard": ("POST", "/admin/outbox/{outbox_entry_id}/discard", {A}),
    "outbox.webhooks": ("GET", "/admin/webhooks", {A}),
    "outbox.add_webhook": ("POST", "/admin/webhooks", {A}),
    "outbox.webhook": ("GET", "/admin/webhooks/{endpoint_id}", {A}),
    "outbox.save_webhook": ("POST", "/admin/webhooks/{endpoint_id}", {A}),
    "outbox.test_webhook": ("POST", "/admin/webhooks/{endpoint_id}/test", {A}),
}

POST_BODIES = {
    "outbox.start_job": {"kind": "job.queue_rebuild"},
    "outbox.add_webhook": {"name": "Another CRM", "url": "https://crm.example.com/hooks/other", "active": "y"},
    "outbox.save_webhook": {"name": "World CRM", "url": "https://crm.example.com/hooks/console", "active": "y"},
}


def extend_world(world, users):
    """A CRM endpoint, and the email the hand-off's creation put in the outbox."""
    endpoint = services.save_endpoint(None, users[A], name="World CRM", url="https://crm.example.com/hooks/console")
    world["endpoint_id"] = endpoint.id
    db.session.rollback()
    world["outbox_entry_id"] = db.session.scalars(
        select(OutboxEntry.id).where(OutboxEntry.kind == services.EMAIL).order_by(OutboxEntry.id)).first()
    assert world["outbox_entry_id"] is not None
