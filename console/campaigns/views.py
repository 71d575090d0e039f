"""Campaigns as marketing sees them."""
from flask import Blueprint, render_template
from sqlalchemy import func, select

from console.auth.models import Role
from console.campaigns.models import Campaign
from console.extensions import db
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
