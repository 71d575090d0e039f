"""The sales inbox of hand-offs, the hand-off packet and what sales does on it, and the feedback pages (the agent's
own, and each campaign's for marketing)."""
from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectChoice

from console.auth.models import Role
from console.campaigns.models import Campaign
from console.clock import utcnow
from console.extensions import db
from console.handoffs import rules, sales_inbox, services
from console.handoffs.forms import (AcceptForm, FirstContactForm, LostForm, MeetingHeldForm, OpportunityForm,
                                    RatingForm, ReassignForm, RejectForm, WonForm)
from console.handoffs.models import Handoff, RejectionKind
from console.handoffs.packet import build_packet
from console.security import allow
from console.telephony.services import can_hear_recordings
from console.web import fragment_requested, never_raises, visible_or_abort

blueprint = Blueprint("handoffs", __name__, url_prefix="/handoffs")


@blueprint.app_context_processor
@never_raises  # an error page drawn while the database is down must still draw
def unread_feedback():
    """The agent's count of unread feedback, beside the Feedback entry of the top bar."""
    if fragment_requested() or not current_user.is_authenticated or current_user.role != Role.TELEPROSPECTOR:
        return {}  # a fragment (an answer's score, a notes status) has no top bar: spare the count
    if "unread_feedback" not in g:  # one count a request, however many templates it renders (the dialer panel)
        g.unread_feedback = services.unread_feedback_count(current_user.id)
    return {"unread_feedback": g.unread_feedback}


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


def _assignees(handoff: Handoff, user) -> list[SelectChoice]:
    return [SelectChoice(member.id, member.full_name) for member in services.reassign_choices(handoff, user)]


def _forms(handoff: Handoff, user) -> dict:
    """Every form the packet's action panel may show, empty (the recall dates offered from the campaign)."""
    today = utcnow().date()
    recall = rules.default_recall(today, handoff.campaign.nurture_recall_days)
    reassign = ReassignForm(formdata=None)
    reassign.assignee.choices = _assignees(handoff, user)
    return {"accept": AcceptForm(formdata=None), "reject": RejectForm(formdata=None, recall_on=recall),
            "reassign": reassign, "first_contact": FirstContactForm(formdata=None),
            "meeting": MeetingHeldForm(formdata=None), "opportunity": OpportunityForm(formdata=None),
            "won": WonForm(formdata=None, won_on=today), "lost": LostForm(formdata=None, lost_recall_on=recall),
            "rating": RatingForm(formdata=None, rating=handoff.rating, rating_comment=handoff.rating_comment)}


def _render_packet(handoff: Handoff, failed: str | None = None, form=None, error: str | None = None,
                   status: int = 200):
    """The packet; after a refused action, that action's form as it was typed with what is wrong (422)."""
    user = current_user._get_current_object()
    forms = _forms(handoff, user)
    if failed is not None:
        forms[failed] = form
    packet = build_packet(handoff, user, may_hear=can_hear_recordings(user, handoff.lead))
    body = render_template("handoffs/packet.html", handoff=handoff, lead=packet.lead, packet=packet, forms=forms,
                           failed=failed, error=error, may_reassign=handoff.can_be_reassigned_by(user),
                           kinds=RejectionKind, contact_kinds=rules.ContactKind, lost_reasons=rules.LostReason)
    return body, status, {"HX-Replace-Url": url_for("handoffs.packet", handoff_id=handoff.id)}


def _back_to_packet(handoff: Handoff, message: str):
    flash(message, "success")
    return redirect(url_for("handoffs.packet", handoff_id=handoff.id), code=303)


@blueprint.get("/<id:handoff_id>")
@allow(Role.SALES)
def packet(handoff_id: int):
    return _render_packet(visible_or_abort(Handoff, handoff_id))


@blueprint.post("/<id:handoff_id>/accept")
@allow(Role.SALES)
def accept(handoff_id: int):
    handoff = visible_or_abort(Handoff, handoff_id)
    form = AcceptForm()
    if not form.validate():
        return _render_packet(handoff, "accept", form, "The form expired: try again.", 422)
    try:
        services.accept(handoff, current_user._get_current_object())
    except services.HandoffError as error:
        return _render_packet(handoff, "accept", form, str(error), 422)
    return _back_to_packet(handoff, f"{handoff.lead.full_name}: accepted. The first contact is yours to make.")


@blueprint.post("/<id:handoff_id>/reject")
@allow(Role.SALES)
def reject(handoff_id: int):
    handoff = visible_or_abort(Handoff, handoff_id)
    form = RejectForm()
    if not form.validate():
        return _render_packet(handoff, "reject", form, None, 422)
    rejection = services.Rejection(form.kind.data, form.comment.data, recall_on=form.recall_on.data,
                                   disqualify=form.then.data == "disqualify")
    try:
        successor = services.reject(handoff, current_user._get_current_object(), rejection)
    except services.HandoffError as error:
        return _render_packet(handoff, "reject", form, str(error), 422)
    if successor is not None:
        flash(f"{handoff.lead.full_name}: rejected and routed to {successor.assigned_to.full_name}.", "success")
    else:
        flash(f"{handoff.lead.full_name}: rejected ({RejectionKind.LABELS[rejection.kind].lower()}).", "success")
    return redirect(url_for("handoffs.inbox"), code=303)


@blueprint.post("/<id:handoff_id>/reassign")
@allow(Role.SALES)
def reassign(handoff_id: int):
    handoff = visible_or_abort(Handoff, handoff_id)
    user = current_user._get_current_object()
    if not handoff.managed_by(user):
        abort(403)
    form = ReassignForm()
    form.assignee.choices = _assignees(handoff, user)
    if not form.validate():
        return _render_packet(handoff, "reassign", form, None, 422)
    try:
        services.reassign_handoff(handoff, form.assignee.data, user)
    except services.HandoffError as error:
        return _render_packet(handoff, "reassign", form, str(error), 422)
    flash(f"{handoff.lead.full_name}: reassigned.", "success")
    return redirect(url_for("handoffs.inbox"), code=303)


def _record(handoff_id: int, name: str, form, entry_of):
    """One progress step: the form, `record_progress`, back to the packet (or the form again with what is wrong)."""
    handoff = visible_or_abort(Handoff, handoff_id)
    if not form.validate():
        return _render_packet(handoff, name, form, None, 422)
    entry = entry_of(form)
    try:
        services.record_progress(handoff, current_user._get_current_object(), entry)
    except services.HandoffError as error:
        return _render_packet(handoff, name, form, str(error), 422)
    return _back_to_packet(handoff, f"{handoff.lead.full_name}: {rules.Step.LABELS[entry.step].lower()} recorded.")


@blueprint.post("/<id:handoff_id>/first-contact")
@allow(Role.SALES)
def first_contact(handoff_id: int):
    return _record(handoff_id, "first_contact", FirstContactForm(), lambda form: services.ProgressEntry(
        rules.Step.FIRST_CONTACT, contact_kind=form.contact_kind.data))


@blueprint.post("/<id:handoff_id>/meeting")
@allow(Role.SALES)
def meeting_held(handoff_id: int):
    return _record(handoff_id, "meeting", MeetingHeldForm(), lambda form: services.ProgressEntry(
        rules.Step.MEETING_HELD))


@blueprint.post("/<id:handoff_id>/opportunity")
@allow(Role.SALES)
def opportunity(handoff_id: int):
    return _record(handoff_id, "opportunity", OpportunityForm(), lambda form: services.ProgressEntry(
        rules.Step.OPPORTUNITY, amount_cents=form.amount.data, on=form.expected_close_on.data))


@blueprint.post("/<id:handoff_id>/won")
@allow(Role.SALES)
def won(handoff_id: int):
    return _record(handoff_id, "won", WonForm(), lambda form: services.ProgressEntry(
        rules.Step.WON, amount_cents=form.won_amount.data, on=form.won_on.data))


@blueprint.post("/<id:handoff_id>/lost")
@allow(Role.SALES)
def lost(handoff_id: int):
    return _record(handoff_id, "lost", LostForm(), lambda form: services.ProgressEntry(
        rules.Step.LOST, lost_reason=form.lost_reason.data, note=form.lost_note.data or "",
        recall_on=form.lost_recall_on.data))


@blueprint.post("/<id:handoff_id>/rating")
@allow(Role.SALES)
def rate(handoff_id: int):
    return _record(handoff_id, "rating", RatingForm(), lambda form: services.ProgressEntry(
        rules.Step.RATING, rating=form.rating.data, note=form.rating_comment.data or ""))


@blueprint.get("/feedback")
@allow(Role.TELEPROSPECTOR)
def feedback():
    handoffs, unread = services.open_feedback(current_user._get_current_object())
    return render_template("handoffs/feedback.html", handoffs=handoffs, unread=unread,
                           lost_labels=rules.LostReason.LABELS)


@blueprint.get("/campaigns/<id:campaign_id>/feedback")
@allow(Role.MARKETING)
def campaign_feedback(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    return render_template("handoffs/campaign_feedback.html", campaign=campaign,
                           feedback=services.campaign_feedback(campaign_id), kinds=RejectionKind.LABELS,
                           lost_labels=rules.LostReason.LABELS)
