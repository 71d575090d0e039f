"""The bell in the top bar, the notifications page, and marking notifications read."""
from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_login import current_user

from console.notifications import services
from console.notifications.models import Notification
from console.security import login_required_for_all, same_site_redirect
from console.web import fragment_requested, never_raises, visible_or_abort

blueprint = Blueprint("notifications", __name__, url_prefix="/notifications")


@blueprint.app_context_processor
@never_raises  # an error page drawn while the database is down must still draw
def _unread_notifications():
    """Every page's top bar shows the bell: its count is read once here, not by each view."""
    if fragment_requested() or not current_user.is_authenticated:
        return {}  # a fragment has no top bar (the bell's own poll passes its count itself); asked first, it
        # spares reloading the user a write transaction expired
    if "unread_notifications" not in g:  # one count a request, however many templates it renders
        g.unread_notifications = services.unread_count(current_user)
    return {"unread_notifications": g.unread_notifications}


@blueprint.get("/")
@login_required_for_all
def index():
    return render_template("notifications/index.html", notifications=services.recent(current_user))


@blueprint.get("/bell")
@login_required_for_all
def bell():
    return render_template("notifications/_bell.html", unread_notifications=services.unread_count(current_user))


@blueprint.post("/<id:notification_id>/read")
@login_required_for_all
def read(notification_id: int):
    notification = visible_or_abort(Notification, notification_id)
    # A notification's url is a console path; anything else is not followed (no open redirects).
    target = same_site_redirect(notification.url, url_for("notifications.index"))
    services.mark_read(notification)
    return redirect(target, code=303)


@blueprint.post("/read-all")
@login_required_for_all
def read_all():
    if services.mark_all_read(current_user):
        flash("All notifications marked read.", "success")
    return redirect(url_for("notifications.index"), code=303)
