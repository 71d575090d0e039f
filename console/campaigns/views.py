"""Campaigns as marketing sees them: the list, each campaign's settings and its dispositions' next actions."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from console.auth.models import Role
from console.calls import services as call_services
from console.campaigns import services
from console.campaigns.forms import CampaignForm, DispositionSettingsForm
from console.campaigns.models import Campaign
from console.extensions import db
from console.guides.models import CallGuide
from console.leads.models import Lead
from console.security import allow

blueprint = Blueprint("campaigns", __name__, url_prefix="/campaigns")


@blueprint.get("/")
@allow(Role.MARKETING)
def index():
    rows = db.session.execute(
        select(Campaign, func.count(Lead.id)).outerjoin(Lead, Lead.campaign_id == Campaign.id)
        .group_by(Campaign.id).order_by(Campaign.priority.desc(), Campaign.name)
    ).all()
    return render_template("campaigns/index.html", rows=rows)


def _campaign_form(campaign: Campaign, **kwargs) -> CampaignForm:
    form = CampaignForm(obj=campaign, **kwargs)
    guides = db.session.scalars(select(CallGuide).order_by(CallGuide.name)).all()
    form.call_guide_id.choices = [SelectChoice(0, "No call guide")] + [SelectChoice(guide.id, guide.name) for guide in guides]
    if form.call_guide_id.data is None:
        form.call_guide_id.data = 0
    return form


@blueprint.get("/<int:campaign_id>/settings")
@allow(Role.MARKETING)
def settings(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    return render_template("campaigns/settings.html", campaign=campaign, form=_campaign_form(campaign))


@blueprint.post("/<int:campaign_id>/settings")
@allow(Role.MARKETING)
def save_settings(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    form = _campaign_form(campaign)
    if form.validate():
        try:
            changed = services.update_campaign(campaign, current_user._get_current_object(),
                                               {name: form[name].data for name in services.EDITABLE_FIELDS})
        except services.CampaignInvalid as error:
            db.session.rollback()
            for name, message in error.field_errors.items():
                form[name].errors = [message]
        else:
            flash(f"{campaign.name}: settings saved." if changed else f"{campaign.name}: nothing changed.", "success")
            return redirect(url_for("campaigns.index"), code=303)
    return render_template("campaigns/settings.html", campaign=campaign, form=form), 422


def _disposition_page(campaign: Campaign, form: DispositionSettingsForm | None = None, status: int = 200):
    dispositions = call_services.dispositions_for(campaign.id)
    if form is None:
        form = DispositionSettingsForm(data={"rows": [
            {"code": d.code, "next_action": d.next_action, "retry_minutes": d.retry_minutes or None}
            for d in dispositions if d.editable]})
    rows = {row.form.code.data: row.form for row in form.rows}
    return render_template("campaigns/dispositions.html", campaign=campaign, form=form, rows=rows,
                           dispositions=dispositions), status


@blueprint.get("/<int:campaign_id>/dispositions")
@allow(Role.MARKETING)
def dispositions(campaign_id: int):
    return _disposition_page(db.get_or_404(Campaign, campaign_id))


@blueprint.post("/<int:campaign_id>/dispositions")
@allow(Role.MARKETING)
def save_dispositions(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    form = DispositionSettingsForm()
    if not form.validate():
        return _disposition_page(campaign, form, 422)
    choices = [services.DispositionChoice(row.form.code.data, row.form.next_action.data, row.form.retry_minutes.data)
               for row in form.rows]
    try:
        changed = services.save_disposition_settings(campaign, current_user._get_current_object(), choices)
    except services.CampaignInvalid as error:
        db.session.rollback()
        for row in form.rows:
            if row.form.code.data in error.field_errors:
                row.form.next_action.errors = [error.field_errors[row.form.code.data]]
        return _disposition_page(campaign, form, 422)
    flash(f"{campaign.name}: {len(changed)} disposition{'s' if len(changed) != 1 else ''} changed." if changed
          else f"{campaign.name}: nothing changed.", "success")
    return redirect(url_for("campaigns.dispositions", campaign_id=campaign.id), code=303)
