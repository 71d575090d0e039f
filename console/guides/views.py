"""Call guides in the browser: reading, the editor with live preview, history, diff, revert and
objection performance. (The call screen's quick-find and objection marks are console.calls.views.)
"""
import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from wtforms import SelectChoice

from console.auth.models import Role
from console.extensions import db
from console.forms import int_arg
from console.guides import rules, services
from console.guides.forms import GuideForm, NewGuideForm, PublishForm, RevertForm
from console.guides.models import CallGuide
from console.scoring.services import current_model
from console.security import allow
from console.web import fragment_requested

blueprint = Blueprint("guides", __name__, url_prefix="/guides")

EDITORS = (Role.SALES,)  # and admins, who may do everything
READERS = (Role.SALES, Role.MARKETING)

# The editor's sections, opened one at a time (the guide's name and audience and the save bar stay in view).
EDITOR_SECTIONS = ("opening", "steps", "objections", "battlecards", "scripts")
FIRST_SECTION = "opening"
REOPEN_SECTION = "guide_editor_section"  # in the session: [guide id, section] from a save to the page after it


def _section_of(field: str | None) -> str | None:
    """The section a field id or an item's path is in (steps-2-question, objections[3]); None: outside them."""
    head = re.split(r"[-\[.]", field or "", maxsplit=1)[0]
    if head in ("handoff_script", "voicemail_script"):
        return "scripts"
    return head if head in EDITOR_SECTIONS else None


def _open_section(form: GuideForm, problems: list[dict], focus: str | None) -> str:
    """The section the editor opens: the first problem's, else the item just added or moved, else the one the
    author had open (the form's section field), else the first."""
    for problem in problems:
        if section := _section_of(problem["field_id"]):
            return section
    return _section_of(focus) or (form.section.data if form.section.data in EDITOR_SECTIONS else FIRST_SECTION)


def _field_id(path: str) -> str:
    """The editor's id of the field a problem is about (steps[2].question → steps-2-question)."""
    field_id = re.sub(r"\[(\d+)\]", r"-\1", path).replace(".", "-")
    field_id = re.sub(r"^(steps-\d+|objections-\d+)-id$", r"\1-ref", field_id)
    return re.sub(r"-label$", "-text", field_id)


def _field_errors(problems: list[rules.Problem]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(_field_id(problem.path), []).append(problem.message)
    return errors


def _problem_list(problems: list[rules.Problem], content: dict) -> list[dict]:
    """Problems as the editor lists them: where, in the editor's words, linked to the field, and what."""
    return [{"field_id": _field_id(problem.path), "where": rules.locate_for_people(problem.path, content),
             "message": problem.message} for problem in problems]


def _stats_period() -> str:
    period = request.values.get("stats_period") or request.values.get("period") or rules.DEFAULT_STATS_PERIOD
    return period if period in rules.STATS_PERIODS else rules.DEFAULT_STATS_PERIOD


def _editor_context(guide: CallGuide, form: GuideForm, **extra) -> dict:
    period = _stats_period()
    return dict(open_section=_open_section(form, extra.get("problems", []), extra.get("focus")),
        guide=guide, form=form, published=guide.published_version, draft=services.draft_version(guide),
        stats={item.objection_id: item for item in services.objection_stats(guide, period)},
        stats_period=period, periods=rules.STATS_PERIODS, scoring=current_model(),
        branch_ends=rules.BRANCH_ENDS, qualification_fields=rules.QUALIFICATION_FIELDS,
        merge_fields=rules.MERGE_FIELDS, publish_form=PublishForm(), errors=extra.pop("errors", {}),
        problems=extra.pop("problems", []), missing_criteria=services.guides_missing_criteria().get(guide.id, ()),
        **extra,
    )


def _render_editor(guide: CallGuide, form: GuideForm, status: int = 200, **extra):
    return render_template("guides/edit.html", **_editor_context(guide, form, **extra)), status


@blueprint.get("/")
@allow(*READERS)
def index():
    guides = services.all_guides()
    used_by = services.campaigns_using_guides()
    drafts = {guide.id: services.draft_version(guide) for guide in guides}
    form = NewGuideForm()
    form.copy_from.choices = [SelectChoice(0, "A short blank guide")] + [SelectChoice(guide.id, guide.name) for guide in guides]
    return render_template("guides/index.html", guides=guides, used_by=used_by, drafts=drafts, form=form,
                           missing=services.guides_missing_criteria())


@blueprint.post("/new")
@allow(*EDITORS)
def create():
    form = NewGuideForm()
    if form.validate():
        copy_from = db.session.get(CallGuide, form.copy_from.data) if form.copy_from.data else None
        try:
            guide = services.create_guide(form.slug.data, form.name.data, author=current_user._get_current_object(),
                                          copy_from=copy_from)
        except rules.GuideError as error:
            flash("Could not create the guide: " + "; ".join(problem.describe() for problem in error.problems), "error")
        else:
            flash(f"Guide {guide.name} created as a draft. Publish it when it is ready.", "success")
            return redirect(url_for("guides.edit", guide_id=guide.id), code=303)
    else:
        flash("Could not create the guide: " + "; ".join(m for ms in form.errors.values() for m in ms), "error")
    return redirect(url_for("guides.index"), code=303)


@blueprint.get("/<id:guide_id>")
@allow(*READERS)
def show(guide_id: int):
    guide = db.get_or_404(CallGuide, guide_id)
    number = int_arg("version")
    version = services.version_by_number(guide, number) if number else guide.published_version
    if number and version is None:
        abort(404)
    rendered = services.render(version.content, services.SAMPLE_VALUES) if version else None
    if rendered:
        rendered["version_number"] = version.number
    return render_template("guides/show.html", guide=guide, version=version, rendered=rendered,
                           missing_criteria=services.guides_missing_criteria().get(guide.id, ()))


@blueprint.get("/<id:guide_id>/edit")
@allow(*EDITORS)
def edit(guide_id: int):
    guide = db.get_or_404(CallGuide, guide_id)
    latest = services.latest_version(guide)
    content = latest.content if latest else {}
    reopened = session.pop(REOPEN_SECTION, None)  # the section open when this author last saved this guide
    section = reopened[1] if isinstance(reopened, list) and len(reopened) == 2 and reopened[0] == guide.id else ""
    form = GuideForm.for_content(content, services.campaign_names(), base_number=latest.number if latest else None,
                                 section=section)
    return _render_editor(guide, form, base=latest)


@blueprint.post("/<id:guide_id>/edit")
@allow(*EDITORS)
def save(guide_id: int):
    guide = db.get_or_404(CallGuide, guide_id)
    form = GuideForm()
    form.set_campaigns(services.campaign_names())
    if not form.validate():
        return _render_editor(guide, form, 422, problems=[{"field_id": name, "where": name.replace("_", " "),
                                                           "message": "; ".join(map(str, messages))}
                                                          for name, messages in form.errors.items()])
    base_number = form.base_number.data
    try:
        version = services.save_draft(guide, form.raw_content(), author=current_user._get_current_object(),
                                      base_number=base_number, change_note=form.change_note.data or "")
    except rules.GuideError as error:
        content, _problems = services.check(form.raw_content())
        return _render_editor(guide, form, 422, problems=_problem_list(error.problems, content),
                              errors=_field_errors(error.problems),
                              base=services.version_by_number(guide, base_number) if base_number else None)
    except services.GuideConflict as conflict:
        # Keep every word they typed; the next save builds on the version they now know about.
        form.base_number.data = conflict.latest.number
        return _render_editor(guide, form, 409, conflict=conflict, base=conflict.latest)
    if form.section.data in EDITOR_SECTIONS:
        session[REOPEN_SECTION] = [guide.id, form.section.data]
    if version is None:
        flash("No changes to save: the text is the same as the latest version.", "info")
    else:
        published = guide.published_version
        flash(f"Draft version {version.number} saved. Agents still see "
              f"{('version ' + str(published.number)) if published else 'no version'} until you publish it.", "success")
    return redirect(url_for("guides.edit", guide_id=guide.id), code=303)


@blueprint.post("/<id:guide_id>/edit/form")
@allow(*EDITORS)
def change_form(guide_id: int):
    """Add, remove or move a step, answer, objection or battlecard in the unsaved form (nothing is saved)."""
    guide = db.get_or_404(CallGuide, guide_id)
    submitted = GuideForm()
    try:
        content, focus = rules.apply_change(submitted.editable_content(), submitted.change.data or "")
    except ValueError:
        abort(400)
    form = GuideForm.for_content(content, services.campaign_names(), change_note=submitted.change_note.data,
                                 base_number=submitted.base_number.data, section=submitted.section.data)
    base_number = form.base_number.data
    context = _editor_context(guide, form, focus=focus,
                              base=services.version_by_number(guide, base_number) if base_number else None)
    if fragment_requested():
        return render_template("guides/_editor_fields.html", **context), 200, {"HX-Trigger": "guide-changed"}
    return render_template("guides/edit.html", **context)


@blueprint.post("/<id:guide_id>/preview")
@allow(*EDITORS)
def preview(guide_id: int):
    db.get_or_404(CallGuide, guide_id)
    content, problems = services.check(GuideForm().raw_content())
    rendered = services.render(content, services.SAMPLE_VALUES)
    unreachable = rules.unreachable_steps(content) if content["steps"] else []
    return render_template("guides/_preview.html", guide=rendered, problems=_problem_list(problems, content),
                           unreachable=unreachable,
                           steps={step["id"]: step["title"] for step in content["steps"]})


@blueprint.post("/<id:guide_id>/publish")
@allow(*EDITORS)
def publish(guide_id: int):
    guide = db.get_or_404(CallGuide, guide_id)
    form = PublishForm()
    if not form.validate():
        abort(400)
    try:
        version = services.publish(guide, form.number.data, actor=current_user._get_current_object())
    except services.GuideActionError as error:
        flash(str(error), "error")
    else:
        flash(f"Version {version.number} published: agents see it from their next call.", "success")
    back_to = "guides.history" if request.form.get("back_to") == "history" else "guides.edit"
    return redirect(url_for(back_to, guide_id=guide.id), code=303)


@blueprint.get("/<id:guide_id>/history")
@allow(*READERS)
def history(guide_id: int):
    guide = db.get_or_404(CallGuide, guide_id)
    versions = services.versions_of(guide)
    return render_template("guides/history.html", guide=guide, versions=versions,
                           draft=services.draft_version(guide), revert_form=RevertForm(), publish_form=PublishForm())


@blueprint.get("/<id:guide_id>/diff")
@allow(*READERS)
def diff(guide_id: int):
    guide = db.get_or_404(CallGuide, guide_id)
    versions = services.versions_of(guide)
    if not versions:
        abort(404)
    newest = versions[0].number
    right_number = int_arg("to") or newest
    left_number = int_arg("from") or max(right_number - 1, 1)
    left, right = services.version_by_number(guide, left_number), services.version_by_number(guide, right_number)
    if left is None or right is None:
        abort(404)
    rows = rules.side_by_side(rules.to_yaml(left.content), rules.to_yaml(right.content))
    return render_template("guides/diff.html", guide=guide, versions=versions, left=left, right=right, rows=rows,
                           changed=any(row.kind not in ("equal", "skipped") for row in rows),
                           summary=rules.describe_changes(left.content, right.content))


@blueprint.post("/<id:guide_id>/versions/<id:number>/revert")
@allow(*EDITORS)
def revert(guide_id: int, number: int):
    guide = db.get_or_404(CallGuide, guide_id)
    form = RevertForm()
    if not form.validate():
        abort(400)
    try:
        version = services.revert(guide, number, actor=current_user._get_current_object(),
                                  change_note=form.change_note.data or "")
    except services.GuideActionError as error:
        flash(str(error), "error")
    else:
        flash(f"Reverted: version {version.number} (the text of version {number}) is published.", "success")
    return redirect(url_for("guides.history", guide_id=guide.id), code=303)


@blueprint.get("/<id:guide_id>/versions/<id:number>.yaml")
@allow(*READERS)
def version_file(guide_id: int, number: int):
    guide = db.get_or_404(CallGuide, guide_id)
    version = services.version_by_number(guide, number) or abort(404)
    return Response(rules.to_yaml(version.content), mimetype="text/plain; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{guide.slug}.yaml"'})


@blueprint.get("/<id:guide_id>/performance")
@allow(*READERS)
def performance(guide_id: int):
    guide = db.get_or_404(CallGuide, guide_id)
    period = _stats_period()
    return render_template("guides/performance.html", guide=guide, period=period, periods=rules.STATS_PERIODS,
                           objections=services.objection_stats(guide, period),
                           min_outcomes=rules.MIN_OUTCOMES_FOR_VERDICT, losing_below=rules.LOSING_BELOW)
