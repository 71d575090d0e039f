"""The admin's team pages (the users, one user, adding one, the audit log) and the public set-password page."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from console.auth.models import Role
from console.auth.services import UserError
from console.csv_files import csv_download
from console.forms import int_arg
from console.auth.services import MIN_PASSWORD_LENGTH
from console.security import allow, public
from console.team import services
from console.team.forms import (LINK_HOURS, AuditFilterForm, ConfirmForm, NewUserForm, ReassignForm,
                                ResetPasswordForm, RoleForm, SetPasswordForm, UserFilterForm)
from console.web import never_raises

blueprint = Blueprint("team", __name__)


@blueprint.context_processor
@never_raises
def _team_words():
    return {"link_hours": LINK_HOURS, "min_password_length": MIN_PASSWORD_LENGTH, "subject_url": services.subject_url}


def _actor():
    return current_user._get_current_object()


def _no_store(page: str, status: int = 200):
    """Pages with a password or a link on them: never kept by the browser or a proxy."""
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- the users

@blueprint.get("/admin/users")
@allow(Role.ADMIN)
def users():
    filters = UserFilterForm(request.args)
    if not filters.validate():
        return render_template("team/users.html", rows=services.user_rows(), filters=filters), 422
    return render_template("team/users.html", filters=filters,
                           rows=services.user_rows(filters.role.data or None, filters.status.data or None))


@blueprint.get("/admin/users/new")
@allow(Role.ADMIN)
def new_user():
    return render_template("team/new_user.html", form=NewUserForm())


@blueprint.post("/admin/users/new")
@allow(Role.ADMIN)
def create_user():
    form = NewUserForm()
    if form.validate():
        try:
            credentials = services.create_user(_actor(), email=form.email.data, full_name=form.full_name.data,
                                               role=form.role.data, method=form.access.data)
        except UserError as error:
            form.email.errors.append(_sentence(error))
        else:
            return _no_store(render_template("team/credentials.html", credentials=credentials, new=True))
    return render_template("team/new_user.html", form=form), 422


def _sentence(error: Exception) -> str:
    text = str(error)
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


# ---------------------------------------------------------------- one user

def _render_user(user_id: int, status: int = 200, *, role_form: RoleForm | None = None,
                 reset_form: ResetPasswordForm | None = None, reassign_form: ReassignForm | None = None,
                 refusal: tuple[str, str] | None = None):
    """One user's page; a refused or invalid action comes back on it (422) with what is wrong beside its form."""
    page = services.user_page(user_id, _actor())
    if page is None:
        abort(404)
    if role_form is None:
        role_form = RoleForm(formdata=None, role=page.user.role)
    reassign_form = reassign_form or _reassign_form(page, formdata=None)
    return render_template("team/user.html", page=page, user=page.user, role_form=role_form,
                           reset_form=reset_form or ResetPasswordForm(formdata=None), reassign_form=reassign_form,
                           confirm_form=ConfirmForm(formdata=None), refusal=refusal), status


def _reassign_form(page: services.UserPage, **kwargs) -> ReassignForm:
    form = ReassignForm(**kwargs)
    form.handoffs.choices = [SelectChoice(handoff.id, f"{handoff.lead.full_name}, {handoff.lead.account.name}")
                             for handoff in page.pending_handoffs]
    form.assignee.choices = [SelectChoice("", "Choose a sales member")] + [
        SelectChoice(member.id, member.full_name) for member in page.sales_members]
    return form


@blueprint.get("/admin/users/<id:user_id>")
@allow(Role.ADMIN)
def user(user_id: int):
    return _render_user(user_id)


@blueprint.post("/admin/users/<id:user_id>/role")
@allow(Role.ADMIN)
def change_role(user_id: int):
    form = RoleForm()
    if not form.validate():
        return _render_user(user_id, 422, role_form=form)
    try:
        changed, before = services.change_role(_actor(), user_id, form.role.data)
    except services.TeamRefusal as refusal:
        form.role.errors.append(str(refusal))
        return _render_user(user_id, 422, role_form=form)
    if changed.role == before:
        flash(f"{changed.full_name} already has the role {changed.role_label}.", "info")
    else:
        flash(f"{changed.full_name} is now {changed.role_label} (was {Role.LABELS.get(before, before)}).", "success")
    return redirect(url_for("team.user", user_id=user_id), code=303)


@blueprint.post("/admin/users/<id:user_id>/deactivate")
@allow(Role.ADMIN)
def deactivate_user(user_id: int):
    if not ConfirmForm().validate():
        abort(400)
    try:
        done = services.deactivate_user(_actor(), user_id)
    except services.TeamRefusal as refusal:
        return _render_user(user_id, 422, refusal=("access", str(refusal)))
    flash(_deactivation_summary(done), "success")
    return redirect(url_for("team.user", user_id=user_id), code=303)


def _deactivation_summary(done: services.Deactivation) -> str:
    parts = [f"{done.user.full_name} is deactivated: they can no longer sign in, and their open pages are refused."]
    if done.released_leads:
        parts.append(f"{_count(len(done.released_leads), 'lead')} they held went back to the queue.")
    if done.abandoned_calls:
        parts.append(f"{_count(len(done.abandoned_calls), 'open call')} closed as abandoned.")
    if done.shared_callbacks:
        parts.append(f"{_count(len(done.shared_callbacks), 'callback')} reserved for them are now anyone's.")
    if done.pending_handoffs:
        parts.append(f"{_count(done.pending_handoffs, 'pending hand-off')} to reassign below.")
    return " ".join(parts)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@blueprint.post("/admin/users/<id:user_id>/reactivate")
@allow(Role.ADMIN)
def reactivate_user(user_id: int):
    if not ConfirmForm().validate():
        abort(400)
    try:
        done = services.reactivate_user(_actor(), user_id)
    except services.TeamRefusal as refusal:
        return _render_user(user_id, 422, refusal=("access", str(refusal)))
    flash(f"{done.full_name} is active again and can sign in with their password (reset it if they need a new one).",
          "success")
    return redirect(url_for("team.user", user_id=user_id), code=303)


@blueprint.post("/admin/users/<id:user_id>/password")
@allow(Role.ADMIN)
def reset_password(user_id: int):
    form = ResetPasswordForm()
    if not form.validate():
        return _render_user(user_id, 422, reset_form=form)
    try:
        credentials = services.reset_password(_actor(), user_id, form.access.data)
    except services.TeamRefusal as refusal:
        form.access.errors.append(str(refusal))
        return _render_user(user_id, 422, reset_form=form)
    return _no_store(render_template("team/credentials.html", credentials=credentials, new=False))


@blueprint.post("/admin/users/<id:user_id>/handoffs")
@allow(Role.ADMIN)
def reassign_handoffs(user_id: int):
    page = services.user_page(user_id, _actor())
    if page is None:
        abort(404)
    form = _reassign_form(page)
    if not form.validate():
        return _render_user(user_id, 422, reassign_form=form)
    try:
        moved = services.reassign_handoffs(_actor(), user_id, form.handoffs.data, form.assignee.data)
    except services.TeamRefusal as refusal:
        form.assignee.errors.append(str(refusal))
        return _render_user(user_id, 422, reassign_form=_keep_choices(form, user_id))
    flash(f"{_count(len(moved), 'hand-off')} given to {moved[0].assigned_to.full_name}, who is notified.", "success")
    return redirect(url_for("team.user", user_id=user_id), code=303)


def _keep_choices(form: ReassignForm, user_id: int) -> ReassignForm:
    """The submitted form on a page read again (what changed in the meantime shows), its choices made afresh."""
    page = services.user_page(user_id, _actor())
    fresh = _reassign_form(page, formdata=None)
    fresh.handoffs.data, fresh.assignee.data = form.handoffs.data, form.assignee.data
    fresh.assignee.errors = list(form.assignee.errors)
    return fresh


# ---------------------------------------------------------------- a password set from a link

@blueprint.route("/password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    """Public: the link is the proof. Every link that cannot be used gets the same page, so that it tells
    nothing of which accounts exist."""
    account = services.password_link_account(token)
    if account is None:
        return _no_store(render_template("team/link_not_valid.html"), 404)
    form = SetPasswordForm()
    if request.method == "POST":
        if form.validate():
            try:
                services.set_password_from_link(token, form.password.data)
            except services.LinkNotValid:
                return _no_store(render_template("team/link_not_valid.html"), 404)
            except UserError as error:
                form.password.errors.append(_sentence(error))
            else:
                flash("Your password is set. Sign in with it.", "success")
                return redirect(url_for("auth.login"), code=303)
        return _no_store(render_template("team/set_password.html", form=form, account=account), 422)
    return _no_store(render_template("team/set_password.html", form=form, account=account))


# ---------------------------------------------------------------- the audit log

def _audit_filter_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.user.choices = [SelectChoice("", "Anyone")] + [
        SelectChoice(person.id, person.full_name + ("" if person.active else " (deactivated)"))
        for person in services.everyone()]
    form.action.choices = [SelectChoice("", "Any action")] + [
        SelectChoice(action, words) for action, words in services.actions_present()]
    return form


def _filters(form: AuditFilterForm) -> services.AuditFilters:
    return services.AuditFilters(actor_id=form.user.data, lead_id=form.lead.data, action=form.action.data or None,
                                 since=form.since.data, until=form.until.data)


@blueprint.get("/admin/audit")
@allow(Role.ADMIN)
def audit_log():
    form = _audit_filter_form()
    before = int_arg("before")
    if not form.validate():
        return render_template("team/audit_log.html", form=form, page=services.AuditPage([], None),
                               before=before, export_args={}), 422
    filters = _filters(form)
    return render_template("team/audit_log.html", form=form, page=services.audit_page(filters, before),
                           before=before, export_args=_query_of(filters))


def _query_of(filters: services.AuditFilters) -> dict:
    """The filters as the query string has them (for the CSV link, the Older and Newest links)."""
    names = {"actor_id": "user", "lead_id": "lead", "action": "action", "since": "from", "until": "to"}
    return {names[name]: value for name, value in filters.as_detail().items()}


@blueprint.get("/admin/audit.csv")
@allow(Role.ADMIN)
def audit_export():
    form = _audit_filter_form()
    if not form.validate():
        return render_template("team/audit_log.html", form=form, page=services.AuditPage([], None), before=None,
                               export_args={}), 422
    filters = _filters(form)
    services.record_export(_actor(), filters)
    return csv_download(services.audit_export(filters), "audit-log.csv")
