"""SLA pages: the default policy and sales teams (admins, under /sla), and a campaign's own policy (a campaign tab:
marketing and admins)."""
from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user

from console.auth.models import Role
from console.campaigns.models import Campaign
from console.extensions import db
from console.handoffs import sales_inbox
from console.handoffs import sla_services as services
from console.handoffs.sla import DEFAULTS
from console.handoffs.sla_forms import SalesTeamForm, SlaPolicyForm
from console.security import allow
from console.web import fragment_requested, never_raises

blueprint = Blueprint("sla", __name__, url_prefix="/sla")


@blueprint.app_context_processor
@never_raises  # an error page drawn while the database is down must still draw
def _new_handoffs():
    """A sales member's top bar counts the hand-offs waiting for their decision (the Hand-offs entry's badge)."""
    if fragment_requested() or not current_user.is_authenticated or current_user.role != Role.SALES:
        return {}
    if "new_handoffs" not in g:  # one count a request, however many templates it renders
        g.new_handoffs = sales_inbox.new_count(current_user)
    return {"new_handoffs": g.new_handoffs}


@blueprint.app_template_global()
def sla_clocks(handoff):
    """A hand-off's clocks now (the packet's `_packet_clocks.html`): computed from its snapshot, no query."""
    return services.packet_clocks(handoff)


def _actor():
    return current_user._get_current_object()


def _show_refusal(form, error: services.PolicyInvalid) -> None:
    for name, message in error.problems.items():
        form[name].errors = [*form[name].errors, message]


def _render_default(form, status=200):
    return render_template("handoffs/sla.html", form=form, policy=services.default_policy(),
                           members=services.sales_members()), status


@blueprint.get("/")
@allow(Role.ADMIN)
def index():
    row = services.default_policy()
    return _render_default(SlaPolicyForm.of(services.row_values(row) if row is not None else DEFAULTS))


@blueprint.post("/")
@allow(Role.ADMIN)
def save_default():
    form = SlaPolicyForm()
    if form.validate():
        try:
            services.save_policy(_actor(), None, form.values())
        except services.PolicyInvalid as error:
            _show_refusal(form, error)
        else:
            flash("Default SLA saved: hand-offs made from now on run by it.", "success")
            return redirect(url_for("sla.index"), code=303)
    return _render_default(form, 422)


def _campaign(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


def _render_campaign(campaign, form, status=200):
    return render_template("handoffs/sla_campaign.html", campaign=campaign, form=form,
                           own=services.own_policy(campaign.id), default=services.default_policy()), status


@blueprint.get("/campaigns/<id:campaign_id>")
@allow(Role.MARKETING)
def campaign(campaign_id: int):
    campaign = _campaign(campaign_id)
    return _render_campaign(campaign, SlaPolicyForm.of(services.snapshot(campaign.id)))


@blueprint.post("/campaigns/<id:campaign_id>")
@allow(Role.MARKETING)
def save_campaign(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = SlaPolicyForm()
    if form.validate():
        try:
            services.save_policy(_actor(), campaign.id, form.values())
        except services.PolicyInvalid as error:
            _show_refusal(form, error)
        else:
            flash(f"{campaign.name} has its own SLA now: its hand-offs made from now on run by it.", "success")
            return redirect(url_for("sla.campaign", campaign_id=campaign.id), code=303)
    return _render_campaign(campaign, form, 422)


@blueprint.post("/campaigns/<id:campaign_id>/default")
@allow(Role.MARKETING)
def use_default(campaign_id: int):
    campaign = _campaign(campaign_id)
    if services.use_default(_actor(), campaign.id):
        flash(f"{campaign.name} follows the default SLA again.", "success")
    return redirect(url_for("sla.campaign", campaign_id=campaign.id), code=303)


def _member(user_id: int):
    member = services.sales_member(user_id)
    if member is None:
        abort(404)
    return member


def _render_team(member, form, status=200):
    return render_template("handoffs/sla_team.html", member=member, form=form), status


@blueprint.get("/members/<id:user_id>")
@allow(Role.ADMIN)
def member_team(user_id: int):
    member = _member(user_id)
    return _render_team(member, SalesTeamForm(data={"sales_team": member.sales_team or "",
                                                    "sales_manager": member.sales_manager}))


@blueprint.post("/members/<id:user_id>")
@allow(Role.ADMIN)
def save_member_team(user_id: int):
    member = _member(user_id)
    form = SalesTeamForm()
    if form.validate():
        try:
            services.save_sales_team(_actor(), member, form.sales_team.data, bool(form.sales_manager.data))
        except services.PolicyInvalid as error:
            _show_refusal(form, error)
        else:
            flash(f"{member.full_name}'s sales team saved.", "success")
            return redirect(url_for("sla.index"), code=303)
    return _render_team(member, form, 422)
