"""Access table of the notifications area's routes (merged into test_access.py)."""
from console.auth.models import Role
from console.notifications import services

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN

ROUTES = {
    "notifications.index": ("GET", "/notifications/", {T, S, M, A}),
    "notifications.bell": ("GET", "/notifications/bell", {T, S, M, A}),
    "notifications.read_all": ("POST", "/notifications/read-all", {T, S, M, A}),
    # Any signed-in user may mark their own notifications read; the one in the world is the sales
    # member's, so everyone else (an admin too) is refused it (Notification.visible_to).
    "notifications.read": ("POST", "/notifications/{notification_id}/read", {S}),
}

# A notification is its user's alone: an admin may not mark someone else's read.
OWNER_ONLY = {"notifications.read"}


def extend_world(world, users):
    """A notification for the sales member, as the worker stores it (no outbox row needed)."""
    services.deliver(None, [users[S].id], "Hand-off waiting", body="Accept or reject it.", url="/handoffs/")
    world["notification_id"] = services.recent(users[S], limit=1)[0].id
