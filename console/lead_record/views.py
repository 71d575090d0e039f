"""The lead record's pages: finding a lead, its page with its timeline, and its contact data's form.

Marketing, sales and admins read them; marketing and admins edit contact data. Agents reach a lead only through
their call screen (403 here).
"""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from console.auth.models import Role
from console.forms import int_arg
from console.lead_record import services
from console.lead_record.forms import ContactForm, LeadSearchForm, contact_data, contact_form
from console.lead_record.rules import classify_search
from console.leads import services as leads
from console.leads.rules import CONTACT_LABELS
from console.security import allow
from console.web import fragment_requested

blueprint = Blueprint("lead_record", __name__, url_prefix="/leads")


def _viewer():
    return current_user._get_current_object()


@blueprint.get("/")
@allow(Role.MARKETING, Role.SALES)
def search():
    form = LeadSearchForm(request.args)
    page = int_arg("page") or 1
    results, status = None, 422
    if form.validate():
        results, status = services.search_leads(classify_search(form.q.data or ""), form.filters(), page), 200
    # The form swaps its results alone as the user types; a boosted link or a history restore wants the page.
    results_only = fragment_requested() and request.headers.get("HX-Target") == "search-results"
    template = "lead_record/_results.html" if results_only else "lead_record/search.html"
    response = make_response(render_template(template, form=form, results=results), status)
    response.vary.add("HX-Target")
    return response


def _lead_or_404(lead_id: int):
    lead = services.load_lead(lead_id)
    if lead is None:
        abort(404)
    return lead


@blueprint.get("/<id:lead_id>")
@allow(Role.MARKETING, Role.SALES)
def show(lead_id: int):
    lead = _lead_or_404(lead_id)
    record = services.lead_record(lead, _viewer())
    return render_template("lead_record/show.html", record=record, lead=lead)


@blueprint.get("/<id:lead_id>/edit")
@allow(Role.MARKETING)
def edit(lead_id: int):
    lead = _lead_or_404(lead_id)
    return render_template("lead_record/edit.html", lead=lead, form=contact_form(lead, data=contact_data(lead)))


@blueprint.post("/<id:lead_id>/edit")
@allow(Role.MARKETING)
def save(lead_id: int):
    lead = _lead_or_404(lead_id)
    form: ContactForm = contact_form(lead)
    if not form.validate():
        return render_template("lead_record/edit.html", lead=lead, form=form), 422
    try:
        changed = leads.update_contact(lead, _viewer(), form.contact_changes(), form.version.data)
    except leads.ContactInvalid as error:
        form.show_errors(error.field_errors)
        return render_template("lead_record/edit.html", lead=lead, form=form), 422
    except leads.StaleLead:
        return render_template("lead_record/edit.html", lead=services.load_lead(lead_id), form=form,
                               stale=True), 409
    if changed:
        labels = {**CONTACT_LABELS, "time_zones": "time zones"}
        flash(f"{lead.full_name}: saved ({', '.join(labels.get(name, name).lower() for name in changed)}).",
              "success")
    else:
        flash(f"{lead.full_name}: nothing changed.", "info")
    return redirect(url_for("lead_record.show", lead_id=lead_id), code=303)
