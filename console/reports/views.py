"""Reports for marketing: every campaign side by side, one campaign's report (a campaign tab), the agent view, and
each of their tables as CSV. A range the form refuses comes back on the page (422) with what is wrong."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from wtforms import SelectChoice

from console.auth.models import Role
from console.campaigns.models import Campaign
from console.csv_files import csv_download
from console.extensions import db
from console.handoffs.models import RejectionKind
from console.reports import exports, rules, services
from console.reports.forms import RangeForm
from console.security import allow

blueprint = Blueprint("reports", __name__, url_prefix="/reports")

CAMPAIGN_TABLES = ("figures", "funnel", "trend", "breakdown")


def _range_form(*, with_campaigns: bool = False) -> tuple[RangeForm, str, bool]:
    """The range form read from the query string, the viewer's zone, and whether the form is valid."""
    form = RangeForm(request.args)
    if with_campaigns:
        form.campaign.choices = [SelectChoice(0, "All campaigns")] + [
            SelectChoice(campaign_id, name) for campaign_id, name in services.campaign_choices()]
    zone = services.viewer_zone(current_user)
    valid = form.validate()
    if valid:
        first, last = form.days(services.today_in(zone))
        form.first.data, form.last.data = first, last  # the page shows the days it covers
    return form, zone, valid


def _page_values(form: RangeForm) -> dict:
    return dict(grouping=form.grouping.data or rules.Grouping.DAY,
                attribution=form.attribution.data or rules.Attribution.FIRST,
                by=form.by.data or services.Breakdown.AGENT)


def _preset_links(zone: str) -> list[tuple[str, str, str]]:
    """(key, label, from–to) of each preset, for the links above the form."""
    today = services.today_in(zone)
    return [(key, label, rules.preset_dates(key, today)) for key, label in rules.Preset.LABELS.items()]


@blueprint.get("/")
@allow(Role.MARKETING)
def campaigns():
    form, zone, valid = _range_form()
    report = None
    if valid:
        report = services.all_campaigns_report(form.first.data, form.last.data, zone, _page_values(form)["attribution"])
    return render_template("reports/campaigns.html", form=form, zone=zone, report=report,
                           presets=_preset_links(zone), glossary=rules.GLOSSARY), 200 if valid else 422


@blueprint.get("/campaigns.csv")
@allow(Role.MARKETING)
def campaigns_csv():
    form, zone, valid = _range_form()
    if not valid:
        abort(400)
    report = services.all_campaigns_report(form.first.data, form.last.data, zone, _page_values(form)["attribution"])
    return csv_download(exports.figures_rows(report.rows, report.totals),
                        f"campaigns-{form.first.data}-{form.last.data}.csv")


@blueprint.get("/campaigns/<id:campaign_id>")
@allow(Role.MARKETING)
def campaign(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    form, zone, valid = _range_form()
    page = None
    if valid:
        page = services.campaign_page(campaign, form.first.data, form.last.data, zone, **_page_values(form))
    return render_template("reports/campaign.html", campaign=campaign, form=form, zone=zone, page=page,
                           presets=_preset_links(zone), glossary=rules.GLOSSARY,
                           breakdowns=services.Breakdown.LABELS,
                           rejection_labels=RejectionKind.LABELS), 200 if valid else 422


@blueprint.get("/campaigns/<id:campaign_id>/<table>.csv")
@allow(Role.MARKETING)
def campaign_csv(campaign_id: int, table: str):
    campaign = db.get_or_404(Campaign, campaign_id)
    if table not in CAMPAIGN_TABLES:
        abort(404)
    form, zone, valid = _range_form()
    if not valid:
        abort(400)
    page = services.campaign_page(campaign, form.first.data, form.last.data, zone, **_page_values(form))
    rows = {"figures": lambda: exports.figures_rows([page.figures]),
            "funnel": lambda: exports.funnel_rows(page.figures),
            "trend": lambda: exports.trend_rows(page.trend),
            "breakdown": lambda: exports.breakdown_rows(services.Breakdown.LABELS[page.breakdown_by],
                                                        page.breakdown)}[table]()
    return csv_download(rows, f"campaign-{campaign.id}-{table}-{form.first.data}-{form.last.data}.csv")


@blueprint.get("/agents")
@allow(Role.MARKETING)
def agents():
    form, zone, valid = _range_form(with_campaigns=True)
    rows = None
    if valid:
        rows = services.agent_view(form.first.data, form.last.data, zone, form.campaign.data or None)
    return render_template("reports/agents.html", form=form, zone=zone, rows=rows, presets=_preset_links(zone),
                           glossary=rules.GLOSSARY), 200 if valid else 422


@blueprint.get("/agents.csv")
@allow(Role.MARKETING)
def agents_csv():
    form, zone, valid = _range_form(with_campaigns=True)
    if not valid:
        abort(400)
    rows = services.agent_view(form.first.data, form.last.data, zone, form.campaign.data or None)
    return csv_download(exports.agent_rows(rows), f"agents-{form.first.data}-{form.last.data}.csv")
