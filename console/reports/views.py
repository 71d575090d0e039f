"""Campaign call outcomes for marketing managers."""
from flask import Blueprint, render_template

from console.auth.models import Role
from console.campaigns.models import Campaign
from console.extensions import db
from console.reports import services
from console.security import allow

blueprint = Blueprint("reports", __name__, url_prefix="/reports")


@blueprint.get("/")
@allow(Role.MARKETING)
def campaigns():
    return render_template("reports/campaigns.html", outcomes=services.all_campaign_outcomes())


@blueprint.get("/campaigns/<id:campaign_id>")
@allow(Role.MARKETING)
def campaign(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    return render_template("reports/campaign.html", campaign=campaign, outcome=services.campaign_outcomes(campaign))
