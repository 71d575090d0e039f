"""The sales inbox of hand-offs and the hand-off packet."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from console.auth.models import Role
from console.handoffs import services
from console.handoffs.packet import build_packet
from console.handoffs.forms import DecisionForm
from console.handoffs.models import Handoff
from console.security import allow
from console.telephony.services import can_hear_recordings
from console.web import visible_or_abort

blueprint = Blueprint("handoffs", __name__, url_prefix="/handoffs")


@blueprint.get("/")
@allow(Role.SALES)
def inbox():
    return render_template("handoffs/inbox.html", handoffs=services.inbox(current_user))


def _render_packet(handoff: Handoff, form: DecisionForm, error: str | None = None, status: int = 200):
    viewer = current_user._get_current_object()
    packet = build_packet(handoff, viewer, may_hear=can_hear_recordings(viewer, handoff.lead))
    body = render_template("handoffs/packet.html", handoff=handoff, lead=packet.lead, packet=packet, form=form,
                           error=error)
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
