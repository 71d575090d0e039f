"""Campaigns as marketing sees them: the list and each campaign's settings (its dispositions' next actions:
console.calls.views)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectChoice

from console.auth.models import Role
from console.campaigns import services
from console.campaigns.forms import CampaignForm
from console.campaigns.models import Campaign
from console.extensions import db
from console.guides import services as guides
from console.security import allow

blueprint = Blueprint("campaigns", __name__, url_prefix="/campaigns")


@blueprint.get("/")
@allow(Role.MARKETING)
def index():
    return render_template("campaigns/index.html", rows=services.campaigns_with_lead_counts())


def _campaign_form(campaign: Campaign, **kwargs) -> CampaignForm:
    form = CampaignForm(obj=campaign, **kwargs)
    form.call_guide_id.choices = [SelectChoice(0, "No call guide")] + [
        SelectChoice(guide.id, guide.name) for guide in guides.all_guides()]
    if form.call_guide_id.data is None:
        form.call_guide_id.data = 0
    return form


@blueprint.get("/<id:campaign_id>/settings")
@allow(Role.MARKETING)
def settings(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    return render_template("campaigns/settings.html", campaign=campaign, form=_campaign_form(campaign))


@blueprint.post("/<id:campaign_id>/settings")
@allow(Role.MARKETING)
def save_settings(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    form = _campaign_form(campaign)
    if form.validate():
        try:
            changed = services.update_campaign(campaign, current_user._get_current_object(),
                                               {name: form[name].data for name in services.EDITABLE_FIELDS})
        except services.CampaignInvalid as error:
            for name, message in error.field_errors.items():
                form[name].errors = [message]
        else:
            flash(f"{campaign.name}: settings saved." if changed else f"{campaign.name}: nothing changed.", "success")
            return redirect(url_for("campaigns.index"), code=303)
    return render_template("campaigns/settings.html", campaign=campaign, form=form), 422
