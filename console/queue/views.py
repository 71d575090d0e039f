"""The agent's queue page and the Next lead action."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from console.auth.models import Role
from console.queue import services
from console.security import allow

blueprint = Blueprint("queue", __name__)


@blueprint.get("/queue")
@allow(Role.TELEPROSPECTOR)
def show():
    agent = current_user._get_current_object()
    return render_template("queue/show.html", current=services.current_call(agent),
                           dialable=services.count_dialable(agent))


@blueprint.post("/queue/next")
@allow(Role.TELEPROSPECTOR)
def next_lead():
    call = services.claim_next_lead(current_user._get_current_object())
    if call is None:
        flash("No lead can be called right now. The queue page says why.", "warning")
        return redirect(url_for("queue.show"), code=303)
    return redirect(url_for("calls.call_screen", call_id=call.id), code=303)
