"""The lead definition's pages: the definition in force (glossary, criteria, points, the chart, the open leads by
band; printable), proposals (new, edited, the side-by-side changes, their impact, the votes), the history and
the comparison of any two versions, and the admin's approval counts."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from console.auth.models import Role
from console.campaigns import services as campaigns
from console.forms import int_arg
from console.leads.rules import Stage
from console.scoring import rules, services
from console.scoring.forms import (ApprovalsForm, CompareForm, ProposalActionForm, ProposalForm, ScopeForm,
                                   VoteForm, with_suggested_points)
from console.scoring.models import DefinitionVersion
from console.security import allow, login_required_for_all
from console.web import fragment_requested, visible_or_abort

blueprint = Blueprint("scoring", __name__, url_prefix="/definition")

SIDES = (Role.SALES, Role.MARKETING)


@blueprint.app_template_filter("ladder")
def _ladder(model):
    return rules.ladder(model)


def _actor():
    return current_user._get_current_object()


def _glossary_words() -> dict[str, str]:
    """The shared language's words: the lead's stages as console.leads.rules.Stage names them, and "Contact"."""
    return {"contact": rules.CONTACT_WORD, **{term: Stage.LABELS.get(term, term) for term in rules.GLOSSARY_TERMS
                                              if term != "contact"}}


def _render(template: str, status: int = 200, **context):
    return render_template(template, glossary_words=_glossary_words(), terms=rules.GLOSSARY_TERMS,
                           band_labels=rules.BAND_LABELS, **context), status


# ---------------------------------------------------------------- the definition in force

@blueprint.get("/")
@login_required_for_all
def definition():
    names = campaigns.campaign_names_by_id()
    own = services.campaigns_with_own_definition()
    scope = ScopeForm(request.args)
    scope.campaign.choices = [SelectChoice(0, "Every campaign (the global definition)")] + [
        SelectChoice(campaign_id, names.get(campaign_id, f"Campaign {campaign_id}")) for campaign_id in own]
    campaign_id = scope.campaign.data if scope.validate() and scope.campaign.data else None
    page = services.definition_page(campaign_id)
    return _render("scoring/definition.html", page=page, scope=scope, campaign_name=names.get(campaign_id),
                   campaign_names=names)


# ---------------------------------------------------------------- history and comparing

@blueprint.get("/versions")
@allow(*SIDES)
def history():
    versions = services.history()
    return _render("scoring/history.html", versions=versions, campaign_names=campaigns.campaign_names_by_id(),
                   compare=_compare_form(versions))


def _compare_form(versions, formdata=None) -> CompareForm:
    form = CompareForm(formdata)
    numbers = [version.id if version else services.SHIPPED_VERSION for version in versions]
    form.from_version.choices = [SelectChoice(number, f"Version {number}") for number in numbers]
    form.to_version.choices = list(form.from_version.choices)
    if formdata is None and numbers:
        form.to_version.data = numbers[0]
        form.from_version.data = numbers[1] if len(numbers) > 1 else numbers[0]
    return form


@blueprint.get("/compare")
@allow(*SIDES)
def compare():
    versions = services.history()
    form = _compare_form(versions, request.args)
    if not form.validate():
        return _render("scoring/compare.html", 422, form=form, comparison=None)
    return _render("scoring/compare.html", form=form,
                   comparison=services.comparison(form.from_version.data, form.to_version.data))


# ---------------------------------------------------------------- one version, a proposal

def _version(version_id: int) -> DefinitionVersion:
    return visible_or_abort(DefinitionVersion, version_id)


def _proposal_page(version: DefinitionVersion, vote_form: VoteForm | None = None, status: int = 200):
    page = services.proposal_page(version.id, _actor())
    if page is None:
        abort(404)
    return _render("scoring/proposal.html", status, page=page, vote_form=vote_form or VoteForm(),
                   action_form=ProposalActionForm(), campaign_names=campaigns.campaign_names_by_id())


@blueprint.get("/versions/<id:version_id>")
@allow(*SIDES)
def proposal(version_id: int):
    return _proposal_page(_version(version_id))


@blueprint.get("/versions/<id:version_id>/status")
@allow(*SIDES)
def proposal_status(version_id: int):
    """The impact and rescoring panels alone, polled while a job works on them."""
    page = services.proposal_page(_version(version_id).id, _actor())
    if not fragment_requested():
        return redirect(url_for("scoring.proposal", version_id=version_id))
    return _render("scoring/_progress.html", page=page)


@blueprint.post("/versions/<id:version_id>/vote")
@allow(*SIDES)
def vote(version_id: int):
    version = _version(version_id)
    form = VoteForm()
    if not form.validate():
        return _proposal_page(version, form, 422)
    try:
        status = services.vote(version, _actor(), decision=form.decision.data, comment=form.comment.data or "",
                               side=form.side.data)
    except services.DefinitionError as error:
        if form.decision.data == rules.REJECT and not (form.comment.data or "").strip():
            form.comment.errors = [str(error)]
        else:
            form.decision.errors = [str(error)]
        return _proposal_page(version, form, 422)
    flash({rules.VersionStatus.ACTIVE: f"Version {version_id} is approved by both sides and now in force; the open "
                                       "leads are being rescored.",
           rules.VersionStatus.REJECTED: f"Version {version_id} is rejected; its proposer has your comment."}
          .get(status, "Your vote is counted."), "success")
    return redirect(url_for("scoring.proposal", version_id=version_id), code=303)


def _proposer_action(version_id: int, act, done: str):
    version = _version(version_id)
    form = ProposalActionForm()
    if form.validate():
        try:
            act(version, _actor())
        except services.DefinitionError as error:
            flash(str(error), "error")
        else:
            flash(done, "success")
    return redirect(url_for("scoring.proposal", version_id=version_id), code=303)


@blueprint.post("/versions/<id:version_id>/submit")
@allow(*SIDES)
def submit_proposal(version_id: int):
    return _proposer_action(version_id, services.submit, "Proposed: both sides have been asked for their vote.")


@blueprint.post("/versions/<id:version_id>/rebase")
@allow(*SIDES)
def rebase_proposal(version_id: int):
    return _proposer_action(version_id, services.rebase, "Rebased onto the definition in force: check what changes, "
                                                         "then propose it again.")


# ---------------------------------------------------------------- new and edited proposals

def _proposal_form(*, campaign_choice: bool) -> ProposalForm:
    form = ProposalForm()
    names = campaigns.campaign_names_by_id()
    form.campaign_id.choices = [SelectChoice(0, "Every campaign (the global definition)")] + [
        SelectChoice(campaign_id, name) for campaign_id, name in names.items()]
    if not campaign_choice:
        del form.campaign_id
    return form


def _editor(form: ProposalForm, version: DefinitionVersion | None, base, status: int = 200, problems=()):
    return _render("scoring/edit.html", status, form=form, version=version, base=base, problems=list(problems),
                   kinds=(rules.CHOICE, rules.NUMBER))


@blueprint.get("/proposals/new")
@allow(*SIDES)
def new_proposal():
    campaign_id = int_arg("campaign")
    base = services.in_force(campaign_id)
    form = _proposal_form(campaign_choice=True)
    form.campaign_id.data = campaign_id or 0
    model, suggested = with_suggested_points(rules.model_to_dict(base.model), request.args.getlist("points"))
    form.fill(model, base.glossary)
    if suggested:  # opened from the evidence for the scoring model (console/reports/evidence.py)
        form.note.data = (f"Points of {suggested} answer{'s' if suggested != 1 else ''} moved to follow their win "
                          "rates (evidence for the scoring model).")
    return _editor(form, None, base)


def _definition_or_problems(form: ProposalForm):
    if not form.validate():
        return None, ["Some fields need your attention: see below."]
    return form.definition(), []


@blueprint.post("/proposals/new")
@allow(*SIDES)
def create_proposal():
    form = _proposal_form(campaign_choice=True)
    campaign_id = (form.campaign_id.data or None) if form.campaign_id.data is not None else None
    base = services.in_force(campaign_id)
    definition, problems = _definition_or_problems(form)
    if definition is not None:
        try:
            version = services.propose(_actor(), campaign_id=campaign_id, model=definition[0],
                                       glossary=definition[1], note=form.note.data or "",
                                       submit=form.action.data != "draft")
        except services.DefinitionError as error:
            problems = getattr(error, "problems", [str(error)])
        else:
            flash(f"Version {version.id} {'saved as a draft' if form.action.data == 'draft' else 'proposed'}.",
                  "success")
            return redirect(url_for("scoring.proposal", version_id=version.id), code=303)
    return _editor(form, None, base, 422, problems)


def _own_proposal(version_id: int) -> DefinitionVersion | None:
    version = _version(version_id)
    if not version.can_be_changed_by(_actor()):
        flash("Only its proposer changes a proposal, while it is open." if version.is_open
              else f"Version {version.id} is {version.status_label.lower()}: it no longer changes.", "error")
        return None
    return version


@blueprint.get("/versions/<id:version_id>/edit")
@allow(*SIDES)
def edit_proposal(version_id: int):
    version = _own_proposal(version_id)
    if version is None:
        return redirect(url_for("scoring.proposal", version_id=version_id), code=303)
    form = _proposal_form(campaign_choice=False)
    form.note.data = version.note
    form.fill(version.model, version.glossary or {})
    return _editor(form, version, services.definition_numbered(version.base_id or services.SHIPPED_VERSION))


@blueprint.post("/versions/<id:version_id>/edit")
@allow(*SIDES)
def revise_proposal(version_id: int):
    version = _own_proposal(version_id)
    if version is None:
        return redirect(url_for("scoring.proposal", version_id=version_id), code=303)
    form = _proposal_form(campaign_choice=False)
    definition, problems = _definition_or_problems(form)
    if definition is not None:
        try:
            services.revise(version, _actor(), model=definition[0], glossary=definition[1],
                            note=form.note.data or "", submit=form.action.data != "draft")
        except services.DefinitionError as error:
            problems = getattr(error, "problems", [str(error)])
        else:
            flash(f"Version {version_id}: revision saved; earlier votes no longer count.", "success")
            return redirect(url_for("scoring.proposal", version_id=version_id), code=303)
    base = services.definition_numbered(version.base_id or services.SHIPPED_VERSION)
    return _editor(form, version, base, 422, problems)


# ---------------------------------------------------------------- the admin's approval counts

@blueprint.get("/approvals")
@allow()
def approvals():
    counts = services.approval_settings()
    return _render("scoring/approvals.html", form=ApprovalsForm(data=counts))


@blueprint.post("/approvals")
@allow()
def save_approvals():
    form = ApprovalsForm()
    if form.validate():
        try:
            services.save_approval_settings(_actor(), sales=form.sales.data, marketing=form.marketing.data)
        except services.DefinitionInvalid as error:
            form.sales.errors = list(error.problems)
        else:
            flash(f"Approvals needed: {form.sales.data} from sales, {form.marketing.data} from marketing.", "success")
            return redirect(url_for("scoring.approvals"), code=303)
    return _render("scoring/approvals.html", 422, form=form)
