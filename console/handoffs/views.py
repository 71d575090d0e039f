"""The sales inbox of hand-offs and the hand-off packet."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from console.auth.models import Role
from console.calls import services as calls
from console.handoffs import sales_inbox, services
from console.handoffs.forms import DecisionForm
from console.handoffs.models import Handoff
from console.security import allow
from console.telephony.services import recordings_for_lead
from console.web import visible_or_abort

blueprint = Blueprint("handoffs", __name__, url_prefix="/handoffs")


@blueprint.get("/")
@allow(Role.SALES)
def inbox():
    return render_template("handoffs/inbox.html", inbox=sales_inbox.inbox(current_user),
                           team_view=sales_inbox.may_see_team(current_user))


@blueprint.get("/team")
@allow(Role.SALES)
def team():
    if not sales_inbox.may_see_team(current_user):
        abort(403)  # a sales member who manages no team has only their own inbox
    return render_template("handoffs/team.html", members=sales_inbox.team_view(current_user))


def _render_packet(handoff: Handoff, form: DecisionForm, error: str | None = None, status: int = 200):
    body = render_template("handoffs/packet.html", handoff=handoff, lead=handoff.lead,
                           calls=calls.completed_calls(handoff.lead_id), form=form, error=error,
                           recordings=recordings_for_lead(handoff.lead))
    return body, status, {"HX-Replace-Url": url_for("handoffs.packet", handoff_id=handoff.id)}


@blueprint.get("/<id:handoff_id>")
@allow(Role.SALES)
def packet(handoff_id: int):
    return _render_packet(visible_or_abort(Handoff, handoff_id), DecisionForm())


@blueprint.post("/<id:handoff_id>/decision")
@allow(Role.SALES)
def decide(handoff_id: int):
    handoff = visible_or_abort(Handoff, handoff_id)
    form = DecisionForm()
    if not form.validate():
        return _render_packet(handoff, form, "Choose accept or reject.", 422)
    try:
        services.decide(handoff, current_user._get_current_object(), form.decision.data == "accept", form.reason.data or "")
    except services.HandoffError as error:
        return _render_packet(handoff, form, str(error), 422)
    flash(f"{handoff.lead.full_name}: hand-off {handoff.status_label.lower()}.", "success")
    return redirect(url_for("handoffs.inbox"), code=303)
