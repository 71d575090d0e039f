"""Marketing's review of qualified leads before sales gets them (campaigns whose SLA policy asks for it)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from console.auth.models import Role
from console.handoffs import review_services as services
from console.handoffs.forms import SendBackForm
from console.security import allow

blueprint = Blueprint("handoff_review", __name__, url_prefix="/handoffs/review")


def _render(form=None, error=None, failed_id=None, status=200):
    return render_template("handoffs/review.html", handoffs=services.awaiting_review(), form=form or SendBackForm(),
                           error=error, failed_id=failed_id), status


@blueprint.get("/")
@allow(Role.MARKETING)
def index():
    return _render()


@blueprint.post("/<id:handoff_id>/release")
@allow(Role.MARKETING)
def release(handoff_id: int):
    form = SendBackForm()
    if not form.validate():
        return _render(form, "The form expired: try again.", handoff_id, 422)
    try:
        handoff = services.release(handoff_id, current_user._get_current_object())
    except services.ReviewRefused as error:
        return _render(form, str(error), handoff_id, 422)
    except LookupError:
        return _render(form, "No such hand-off.", None, 404)
    flash(f"{handoff.lead.full_name}: handed to {handoff.assigned_to.full_name}.", "success")
    return redirect(url_for("handoff_review.index"), code=303)


@blueprint.post("/<id:handoff_id>/send-back")
@allow(Role.MARKETING)
def send_back(handoff_id: int):
    form = SendBackForm()
    if not form.validate():
        return _render(form, "Say what the agent should fix (at most 2,000 characters).", handoff_id, 422)
    try:
        handoff = services.send_back(handoff_id, current_user._get_current_object(), form.reason.data or "")
    except services.ReviewRefused as error:
        return _render(form, str(error), handoff_id, 422)
    except LookupError:
        return _render(form, "No such hand-off.", None, 404)
    flash(f"{handoff.lead.full_name}: sent back to {handoff.qualified_by.full_name}.", "success")
    return redirect(url_for("handoff_review.index"), code=303)
