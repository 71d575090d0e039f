"""Campaigns as marketing sees them: the list, a new campaign, each campaign's settings and life (its dispositions'
next actions: console.calls.views); and the campaign calendar, which sales reads too."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from console.auth.models import Role
from console.campaigns import services
from console.campaigns.forms import (NEW_FIELD_ROWS, CalendarForm, CampaignForm, CampaignListForm, LifeForm,
                                     NewCampaignForm)
from console.campaigns.models import Campaign
from console.campaigns.rules import LifeAction
from console.extensions import db
from console.guides import services as guides
from console.security import allow, same_site_redirect

blueprint = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def _actor():
    return current_user._get_current_object()


@blueprint.get("/")
@allow(Role.MARKETING)
def index():
    filters = CampaignListForm(request.args)
    with_archived = bool(filters.archived.data) if filters.validate() else False
    return render_template("campaigns/index.html", listing=services.campaign_list(with_archived=with_archived),
                           with_archived=with_archived)


# ---------------------------------------------------------------- settings, new or edited

def _offer_guides_and_new_rows(form: CampaignForm) -> CampaignForm:
    form.call_guide_id.choices = [SelectChoice(0, "No call guide")] + [
        SelectChoice(guide.id, guide.name) for guide in guides.all_guides()]
    if form.call_guide_id.data is None:
        form.call_guide_id.data = 0
    if request.method == "GET":
        for _ in range(NEW_FIELD_ROWS):
            form.custom_fields.append_entry()
    return form


def _campaign_form(campaign: Campaign) -> CampaignForm:
    return _offer_guides_and_new_rows(CampaignForm(obj=campaign))


def _settings_from(form: CampaignForm) -> dict:
    settings = {name: form[name].data for name in services.EDITABLE_FIELDS}
    if not form.custom_fields.entries:  # no row posted at all (not even blank ones): the lead fields are not edited
        del settings["custom_fields"]
    return settings


def _show_refusal(form: CampaignForm, error: services.CampaignInvalid) -> None:
    for name, message in error.field_errors.items():
        form[name].errors = list(form[name].errors or []) + [message]


@blueprint.get("/new")
@allow(Role.MARKETING)
def new():
    form = NewCampaignForm(data=services.NEW_CAMPAIGN_SETTINGS)
    return render_template("campaigns/new.html", form=_offer_guides_and_new_rows(form))


@blueprint.post("/new")
@allow(Role.MARKETING)
def create():
    form = _offer_guides_and_new_rows(NewCampaignForm())
    if form.validate():
        try:
            campaign = services.create_campaign(_actor(), _settings_from(form), running=form.start_as.data == "running")
        except services.CampaignInvalid as error:
            _show_refusal(form, error)
        else:
            flash(f"{campaign.name}: campaign created, {campaign.status_label().lower()}. Its dispositions, telephony "
                  "and leads are on its other tabs.", "success")
            return redirect(url_for("campaigns.settings", campaign_id=campaign.id), code=303)
    return render_template("campaigns/new.html", form=form), 422


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
            changed = services.update_campaign(campaign, _actor(), _settings_from(form))
        except services.CampaignInvalid as error:
            _show_refusal(form, error)
        else:
            flash(f"{campaign.name}: settings saved." if changed else f"{campaign.name}: nothing changed.", "success")
            return redirect(url_for("campaigns.index"), code=303)
    return render_template("campaigns/settings.html", campaign=campaign, form=form), 422


# ---------------------------------------------------------------- life

def _change_life(campaign_id: int, action: str):
    campaign = db.get_or_404(Campaign, campaign_id)
    form = LifeForm()
    back = same_site_redirect(form.next.data if form.validate() else None,
                              url_for("campaigns.settings", campaign_id=campaign.id))
    try:
        services.change_life(campaign, _actor(), action)
    except services.LifeRefused as error:
        flash(str(error), "error")
    else:
        flash(f"{campaign.name}: {LifeAction.DONE[action]}"
              + (". Its leads are never called again." if action == LifeAction.END else "."), "success")
    return redirect(back, code=303)


@blueprint.post("/<id:campaign_id>/pause")
@allow(Role.MARKETING)
def pause(campaign_id: int):
    return _change_life(campaign_id, LifeAction.PAUSE)


@blueprint.post("/<id:campaign_id>/resume")
@allow(Role.MARKETING)
def resume(campaign_id: int):
    return _change_life(campaign_id, LifeAction.RESUME)


@blueprint.post("/<id:campaign_id>/end")
@allow(Role.MARKETING)
def end(campaign_id: int):
    return _change_life(campaign_id, LifeAction.END)


@blueprint.post("/<id:campaign_id>/archive")
@allow(Role.MARKETING)
def archive(campaign_id: int):
    return _change_life(campaign_id, LifeAction.ARCHIVE)


@blueprint.post("/<id:campaign_id>/unarchive")
@allow(Role.MARKETING)
def unarchive(campaign_id: int):
    return _change_life(campaign_id, LifeAction.UNARCHIVE)


# ---------------------------------------------------------------- the campaign calendar

@blueprint.get("/calendar")
@allow(Role.SALES, Role.MARKETING)
def calendar():
    form = CalendarForm(request.args)
    valid = form.validate()
    shown = services.campaign_calendar(form.first_day.data if valid else None)
    return render_template("campaigns/calendar.html", calendar=shown, form=form), 200 if valid else 422
