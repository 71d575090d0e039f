"""Imports as marketing sees them: the lists loaded into campaigns, uploading one, mapping its columns, following
its progress, its row report, and withdrawing it."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from console.auth.models import Role
from console.campaigns.models import Campaign
from console.csv_files import DELIMITER_LABELS, ENCODING_LABELS, csv_download
from console.extensions import db
from console.forms import int_arg
from console.imports import rules, services
from console.imports.forms import MappingForm, UploadForm, chosen_mapping, mapping_form
from console.imports.rules import ListStatus
from console.leads.models import LeadList
from console.security import allow
from console.web import fragment_requested

blueprint = Blueprint("imports", __name__)


def _list_or_404(list_id: int) -> LeadList:
    lead_list = db.get_or_404(LeadList, list_id)
    if lead_list.status == ListStatus.STORING:
        abort(404)
    return lead_list


@blueprint.get("/imports/")
@allow(Role.MARKETING)
def index():
    campaign_id = int_arg("campaign")
    campaign = db.session.get(Campaign, campaign_id) if campaign_id else None
    return render_template("imports/index.html", lists=services.lists(campaign.id if campaign else None),
                           campaign=campaign, ListStatus=ListStatus)


@blueprint.get("/campaigns/<id:campaign_id>/lists")
@allow(Role.MARKETING)
def campaign_lists(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    return render_template("imports/campaign_lists.html", campaign=campaign, lists=services.lists(campaign.id),
                           ListStatus=ListStatus)


def _upload_form(**kwargs) -> UploadForm:
    form = UploadForm(**kwargs)
    form.campaign_id.choices = [SelectChoice(campaign.id, campaign.name) for campaign in services.importable_campaigns()]
    return form


@blueprint.get("/imports/new")
@allow(Role.MARKETING)
def new():
    form = _upload_form(campaign_id=int_arg("campaign"))
    return render_template("imports/new.html", form=form, sources=services.remembered_sources())


@blueprint.post("/imports/new")
@allow(Role.MARKETING)
def upload():
    form = _upload_form()
    if form.validate():
        campaign = db.session.get(Campaign, form.campaign_id.data)
        upload_file = form.file.data
        try:
            lead_list = services.upload(campaign, upload_file.stream, upload_file.filename,
                                        source_name=form.source_name.data or "", duplicates=form.duplicates.data,
                                        actor=current_user._get_current_object())
        except services.ImportRefused as refused:
            form.file.errors = [str(refused)]
        else:
            return redirect(url_for("imports.mapping", list_id=lead_list.id), code=303)
    return render_template("imports/new.html", form=form, sources=services.remembered_sources()), 422


def _mapping_page(lead_list: LeadList, form: MappingForm | None = None, problems: dict | None = None,
                  status: int = 200):
    preview = services.preview(lead_list)
    fields = services.campaign_fields(lead_list.campaign)
    if form is None:
        form = mapping_form(preview.columns, fields, services.suggested_mapping(lead_list, preview.columns))
    return render_template("imports/mapping.html", lead_list=lead_list, preview=preview, form=form, fields=fields,
                           problems=problems or {}, encoding_label=ENCODING_LABELS.get(preview.encoding, preview.encoding),
                           delimiter_label=DELIMITER_LABELS.get(preview.delimiter, preview.delimiter)), status


@blueprint.get("/imports/<id:list_id>/mapping")
@allow(Role.MARKETING)
def mapping(list_id: int):
    lead_list = _list_or_404(list_id)
    if lead_list.status != ListStatus.UPLOADED:
        return redirect(url_for("imports.show", list_id=lead_list.id), code=303)
    return _mapping_page(lead_list)


@blueprint.post("/imports/<id:list_id>/mapping")
@allow(Role.MARKETING)
def start(list_id: int):
    lead_list = _list_or_404(list_id)
    if lead_list.status != ListStatus.UPLOADED:
        flash("This list was started already.", "info")
        return redirect(url_for("imports.show", list_id=lead_list.id), code=303)
    preview = services.preview(lead_list)
    fields = services.campaign_fields(lead_list.campaign)
    form = mapping_form(preview.columns, fields, {}, formdata=request.form)
    problems: dict[str, str] = {}
    if form.validate():
        chosen, column_errors = chosen_mapping(form, preview.columns, fields)
        for position, message in column_errors.items():
            form.columns.entries[position].errors = [message]
        if not column_errors:
            try:
                services.start(lead_list, chosen, current_user._get_current_object())
            except services.ImportRefused as refused:
                problems = refused.field_errors or {"": str(refused)}
            else:
                return redirect(url_for("imports.show", list_id=lead_list.id), code=303)
    return _mapping_page(lead_list, form, problems, 422)


@blueprint.get("/imports/<id:list_id>")
@allow(Role.MARKETING)
def show(list_id: int):
    lead_list = _list_or_404(list_id)
    if lead_list.status == ListStatus.UPLOADED:
        return redirect(url_for("imports.mapping", list_id=lead_list.id), code=303)
    context = services.progress_of(lead_list)
    if fragment_requested():
        response = make_response(render_template("imports/_progress.html", **context))
        if context["finished"]:
            # Only a page showing the import still running polls: now it has ended, the whole page (its rows
            # not imported, its actions) is drawn again.
            response.headers["HX-Refresh"] = "true"
        return response
    outcome = request.args.get("outcome")
    outcome = outcome if outcome in rules.OUTCOMES else None
    return render_template("imports/show.html", **context, outcome=outcome,
                           issues=services.issues(lead_list, outcome) if lead_list.status in ListStatus.FINISHED else [])


@blueprint.get("/imports/<id:list_id>/report.csv")
@allow(Role.MARKETING)
def report(list_id: int):
    lead_list = _list_or_404(list_id)
    name = f"import-{lead_list.id}-rows-not-imported.csv"
    return csv_download(services.report_rows(lead_list), name)


@blueprint.post("/imports/<id:list_id>/withdraw")
@allow(Role.MARKETING)
def withdraw(list_id: int):
    lead_list = _list_or_404(list_id)
    try:
        withdrawn = services.withdraw(lead_list, current_user._get_current_object())
    except services.ImportRefused as refused:
        flash(str(refused), "error")
    else:
        flash(f"List withdrawn: {withdrawn:,} untouched lead{'s' if withdrawn != 1 else ''} left the queue.", "success")
    return redirect(url_for("imports.show", list_id=lead_list.id), code=303)
