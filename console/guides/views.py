"""Reading call guides (editing comes with the guide editor)."""
from flask import Blueprint, render_template
from sqlalchemy import select

from console.auth.models import Role
from console.extensions import db
from console.guides import rules
from console.guides.models import CallGuide
from console.security import allow

blueprint = Blueprint("guides", __name__, url_prefix="/guides")

SAMPLE_VALUES = {
    "contact.first_name": "Jordan", "contact.last_name": "Lee", "contact.title": "VP Sales",
    "account.name": "Example Corp", "agent.first_name": "Alex", "agent.full_name": "Alex Agent",
    "campaign.name": "Sample campaign", "campaign.message": "",
}


@blueprint.get("/")
@allow(Role.SALES, Role.MARKETING)
def index():
    guides = db.session.scalars(select(CallGuide).order_by(CallGuide.name)).all()
    return render_template("guides/index.html", guides=guides)


@blueprint.get("/<int:guide_id>")
@allow(Role.SALES, Role.MARKETING)
def show(guide_id: int):
    guide = db.get_or_404(CallGuide, guide_id)
    version = guide.published_version
    rendered = rules.render_guide(version.content, SAMPLE_VALUES) if version else None
    return render_template("guides/show.html", guide=guide, version=version, rendered=rendered)
