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


def _act(handoff_id: int, act, invalid: str, done):
    """Release or send back: the form, the service, the list again (or the list with what is wrong, 422)."""
    form = SendBackForm()
    if not form.validate():
        return _render(form, invalid, handoff_id, 422)
    try:
        handoff = act(handoff_id, current_user._get_current_object(), form)
    except services.ReviewRefused as error:
        return _render(form, str(error), handoff_id, 422)
    except LookupError:
        return _render(form, "No such hand-off.", None, 404)
    flash(done(handoff), "success")
    return redirect(url_for("handoff_review.index"), code=303)


@blueprint.post("/<id:handoff_id>/release")
@allow(Role.MARKETING)
def release(handoff_id: int):
    return _act(handoff_id, lambda handoff_id, actor, _form: services.release(handoff_id, actor),
                "The form expired: try again.",
                lambda handoff: f"{handoff.lead.full_name}: handed to {handoff.assigned_to.full_name}.")


@blueprint.post("/<id:handoff_id>/send-back")
@allow(Role.MARKETING)
def send_back(handoff_id: int):
    return _act(handoff_id,
                lambda handoff_id, actor, form: services.send_back(handoff_id, actor, form.reason.data or ""),
                "Say what the agent should fix (at most 2,000 characters).",
                lambda handoff: f"{handoff.lead.full_name}: sent back to {handoff.qualified_by.full_name}.")
