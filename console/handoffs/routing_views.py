"""Hand-off routing pages: the rules of each scope (marketing and admins edit them), the Test form, and sales
members' availability (each their own; an admin anyone's)."""
from datetime import time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from console.auth.models import Role
from console.campaigns.services import campaign_names_by_id
from console.forms import int_arg
from console.handoffs import routing_services as services
from console.handoffs.routing import LeadFacts, Method, NoMember
from console.handoffs.routing_forms import AvailabilityForm, MoveForm, RoutingTestForm, rule_form
from console.security import allow

blueprint = Blueprint("routing", __name__, url_prefix="/routing")


def _actor():
    return current_user._get_current_object()


@blueprint.get("/")
@allow(Role.MARKETING)
def index():
    names = campaign_names_by_id()
    return render_template("handoffs/routing.html", scopes=services.rule_scopes(names),
                           member_names=services.member_names(), members=services.availability_rows(),
                           campaign_names=names, methods=Method.LABELS, move_form=MoveForm())


def _scope() -> tuple[int | None, str]:
    campaign_id = int_arg("campaign_id")
    if campaign_id is None:
        return None, "Global default"
    names = campaign_names_by_id()
    if campaign_id not in names:
        abort(404)
    return campaign_id, names[campaign_id]


def _render_rule(form, rule=None, scope_name="", campaign_id=None, status=200):
    return render_template("handoffs/routing_rule.html", form=form, rule=rule, scope_name=scope_name,
                           campaign_id=campaign_id), status


def _values(form) -> services.RuleValues:
    return services.RuleValues(form.name.data or "", form.conditions(), form.method.data, form.members())


def _show_refusal(form, error: services.RuleInvalid) -> None:
    for name, message in error.problems.items():
        if name == "members":  # the pool is a set of weights, shown with one message above them
            form.members_error = message
        else:
            form[name].errors = list(form[name].errors or []) + [message]


@blueprint.get("/rules/new")
@allow(Role.MARKETING)
def new_rule():
    campaign_id, scope_name = _scope()
    form = rule_form(services.sales_members())
    form.method.data = Method.ROUND_ROBIN
    return _render_rule(form, scope_name=scope_name, campaign_id=campaign_id)


@blueprint.post("/rules/new")
@allow(Role.MARKETING)
def add_rule():
    campaign_id, scope_name = _scope()
    form = rule_form(services.sales_members(), formdata=request.form)
    if form.validate():
        try:
            rule = services.add_rule(_actor(), campaign_id, _values(form))
        except services.RuleInvalid as error:
            _show_refusal(form, error)
        else:
            flash(f"Rule {rule.position} '{rule.name}' added to {scope_name}.", "success")
            return redirect(url_for("routing.index"), code=303)
    return _render_rule(form, scope_name=scope_name, campaign_id=campaign_id, status=422)


def _rule_or_404(rule_id: int):
    rule = services.rule(rule_id)
    if rule is None:
        abort(404)
    return rule


def _scope_name(rule) -> str:
    return "Global default" if rule.campaign_id is None else campaign_names_by_id().get(rule.campaign_id, "")


@blueprint.get("/rules/<id:rule_id>")
@allow(Role.MARKETING)
def rule(rule_id: int):
    row = _rule_or_404(rule_id)
    return _render_rule(rule_form(services.sales_members(), row), row, _scope_name(row), row.campaign_id)


@blueprint.post("/rules/<id:rule_id>")
@allow(Role.MARKETING)
def save_rule(rule_id: int):
    row = _rule_or_404(rule_id)
    form = rule_form(services.sales_members(), formdata=request.form)
    if form.validate():
        try:
            services.save_rule(_actor(), row, _values(form))
        except services.RuleInvalid as error:
            _show_refusal(form, error)
        else:
            flash(f"Rule {row.position} '{row.name}' saved.", "success")
            return redirect(url_for("routing.index"), code=303)
    return _render_rule(form, row, _scope_name(row), row.campaign_id, status=422)


@blueprint.post("/rules/<id:rule_id>/delete")
@allow(Role.MARKETING)
def delete_rule(rule_id: int):
    row = _rule_or_404(rule_id)
    name = row.name
    try:
        services.delete_rule(_actor(), row)
    except services.RoutingRefused as error:
        flash(str(error), "error")
    else:
        flash(f"Rule '{name}' deleted.", "success")
    return redirect(url_for("routing.index"), code=303)


@blueprint.post("/rules/<id:rule_id>/move")
@allow(Role.MARKETING)
def move_rule(rule_id: int):
    row = _rule_or_404(rule_id)
    form = MoveForm()
    if not form.validate():
        flash("Choose up or down.", "error")
    else:
        try:
            services.move_rule(_actor(), row, form.direction.data == "up")
        except services.RoutingRefused as error:
            flash(str(error), "error")
    return redirect(url_for("routing.index"), code=303)


def _test_form(formdata=None) -> RoutingTestForm:
    form = RoutingTestForm(formdata=formdata) if formdata is not None else RoutingTestForm()
    form.campaign_id.choices = [SelectChoice(0, "Global default (a campaign without rules)")] + [
        SelectChoice(campaign_id, name) for campaign_id, name in campaign_names_by_id().items()]
    return form


@blueprint.get("/test")
@allow(Role.MARKETING)
def test():
    return render_template("handoffs/routing_test.html", form=_test_form(), decision=None, lead=None)


@blueprint.post("/test")
@allow(Role.MARKETING)
def run_test():
    form = _test_form(request.form)
    decision = lead = None
    if form.validate():
        campaign_id = form.campaign_id.data or None
        facts = LeadFacts(state=(form.state.data or "").strip().upper() or None,
                          country=(form.country.data or "").strip().upper() or None,
                          industry=(form.industry.data or "").strip() or None, employees=form.employees.data,
                          band=form.band.data or None, persona=(form.persona.data or "").strip() or None)
        if form.lead_id.data:
            lead = services.test_lead(form.lead_id.data)
            if lead is None:
                form.lead_id.errors = ["No lead has this id."]
            else:
                campaign_id, facts = lead.campaign_id, services.lead_facts(lead, lead.score_band)
        if not form.lead_id.errors:
            try:
                decision = services.preview(campaign_id, facts)
            except NoMember as error:
                form.campaign_id.errors = [str(error)]
    status = 200 if decision is not None else 422
    return render_template("handoffs/routing_test.html", form=form, decision=decision, lead=lead,
                           member_names=services.member_names()), status


def _render_availability(user, form, status=200):
    return render_template("handoffs/availability.html", member=user, form=form,
                           own=user.id == current_user.id), status


def _availability_form(user, formdata=None) -> AvailabilityForm:
    if formdata is not None:
        return AvailabilityForm(formdata=formdata)
    hours = user.working_hours or {}
    return AvailabilityForm(data={"away": user.away, "days": hours.get("days", []),
                                  "start": _time(hours.get("start")), "end": _time(hours.get("end")),
                                  "time_zone": user.time_zone or ""})


def _time(text):
    return time.fromisoformat(text) if text else None


def _save_availability(user, redirect_to: str):
    form = _availability_form(user, request.form)
    if form.validate():
        try:
            services.save_availability(_actor(), user, bool(form.away.data), form.working_hours(),
                                       (form.time_zone.data or "").strip() or None)
        except services.RuleInvalid as error:
            form.time_zone.errors = [error.problems.get("time_zone", str(error))]
        else:
            flash("Availability saved: routing reads it for the next hand-off.", "success")
            return redirect(redirect_to, code=303)
    return _render_availability(user, form, 422)


@blueprint.get("/availability")
@allow(Role.SALES)
def availability():
    user = _actor()
    return _render_availability(user, _availability_form(user))


@blueprint.post("/availability")
@allow(Role.SALES)
def save_availability():
    return _save_availability(_actor(), url_for("routing.availability"))


def _member_or_404(user_id: int):
    user = services.sales_member(user_id)
    if user is None:
        abort(404)
    return user


@blueprint.get("/members/<id:user_id>/availability")
@allow(Role.ADMIN)
def member_availability(user_id: int):
    user = _member_or_404(user_id)
    return _render_availability(user, _availability_form(user))


@blueprint.post("/members/<id:user_id>/availability")
@allow(Role.ADMIN)
def save_member_availability(user_id: int):
    user = _member_or_404(user_id)
    return _save_availability(user, url_for("routing.index"))
