"""The agent's queue page, the Next lead action, and why leads are or are not dialable now."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from console.auth.models import Role
from console.campaigns.models import Campaign
from console.compliance.rules import infer_time_zones
from console.extensions import db
from console.leads import services as leads
from console.leads.models import Lead
from console.queue import services
from console.queue.forms import LeadLocationForm
from console.security import allow
from console.web import fragment_requested

blueprint = Blueprint("queue", __name__)

# The queue page counts dialable leads up to here: past it, "1,000+" says all an agent needs.
COUNT_CAP = 1000


@blueprint.get("/queue")
@allow(Role.TELEPROSPECTOR)
def show():
    agent = current_user._get_current_object()
    current = services.current_call(agent)
    dialable = 0 if current else services.count_dialable(agent, limit=COUNT_CAP + 1)
    explanation = services.explain_empty_queue(agent) if not current and not dialable else None
    return render_template("queue/show.html", current=current, dialable=dialable, cap=COUNT_CAP,
                           explanation=explanation)


@blueprint.post("/queue/next")
@allow(Role.TELEPROSPECTOR)
def next_lead():
    call = services.claim_next_lead(current_user._get_current_object())
    if call is None:
        flash("No lead can be called right now. The queue page says why.", "warning")
        return redirect(url_for("queue.show"), code=303)
    return redirect(url_for("calls.call_screen", call_id=call.id), code=303)


@blueprint.get("/queue/campaigns/<id:campaign_id>")
@allow(Role.MARKETING, Role.TELEPROSPECTOR)
def campaign_dialability(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    breakdown = services.campaign_dialability(campaign)
    template = "queue/_campaign_dialability.html" if fragment_requested() else "queue/campaign.html"
    return render_template(template, campaign=campaign, breakdown=breakdown)


@blueprint.get("/queue/leads/<id:lead_id>")
@allow(Role.MARKETING, Role.TELEPROSPECTOR)
def lead_dialability(lead_id: int):
    lead = db.get_or_404(Lead, lead_id)
    form = LeadLocationForm(data={"state": lead.state or "", "time_zones": lead.time_zones})
    return _render_lead(lead, form)


@blueprint.post("/queue/leads/<id:lead_id>/location")
@allow(Role.MARKETING, Role.TELEPROSPECTOR)
def set_lead_location(lead_id: int):
    lead = db.get_or_404(Lead, lead_id)
    form = LeadLocationForm()
    if not form.validate():
        return _render_lead(lead, form), 422
    zones = form.zone_list() or infer_time_zones(lead.phone, form.state.data)
    leads.set_location(lead, current_user._get_current_object(), state=form.state.data, time_zones=zones)
    if fragment_requested():
        return _render_lead(lead, LeadLocationForm(data={"state": lead.state or "", "time_zones": lead.time_zones}))
    flash("Location saved." if zones else "Location saved; the time zone is still unknown.", "info")
    return redirect(url_for("queue.lead_dialability", lead_id=lead.id), code=303)


def _render_lead(lead: Lead, form: LeadLocationForm):
    explanation = services.explain_lead(lead, current_user._get_current_object())
    template = "queue/_lead_dialability.html" if fragment_requested() else "queue/lead.html"
    return render_template(template, explanation=explanation, form=form)
