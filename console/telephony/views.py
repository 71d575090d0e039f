"""Dialing from the call screen, calling settings, recordings, and Twilio's webhooks."""
from __future__ import annotations

import logging

from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_login import current_user
from markupsafe import Markup

from console.auth.models import Role
from console.calls.models import Call
from console.calls.services import agent_status
from console.campaigns.models import Campaign
from console.extensions import csrf, db
from console.forms import int_arg, without_nul
from console.calls.errors import NotYourCall
from console.security import allow, public
from console.telephony import rules, services
from console.telephony.forms import (AgentTelephonyForm, CampaignTelephonyForm, DialForm, HangUpForm,
                                     RecordingForm)
from console.telephony.models import Recording
from console.web import never_raises

blueprint = Blueprint("telephony", __name__)
log = logging.getLogger(__name__)


@blueprint.app_context_processor
@never_raises
def _voice_sdk():
    """The call screen loads the Voice SDK only when browser calling is configured."""
    return {"twilio_voice_sdk": services.VOICE_SDK_FILE if services.browser_calling_available() else None}


@blueprint.app_template_filter("call_duration")
def _call_duration(seconds: int | None) -> str:
    return rules.format_duration(seconds)


def _load_call(call_id: int) -> Call:
    call = db.get_or_404(Call, call_id)
    if call.agent_id != current_user.id and current_user.role != Role.ADMIN:
        abort(403)
    return call


def _agent():
    return current_user._get_current_object()


def _render_dialer(call: Call, *, error: str | None = None, status: int = 200, connect: bool = False,
                   with_status: bool = True):
    """The dialer panel. Sent alone (htmx), it carries the agent's top-bar status out of band, so that the
    top bar and the dialer show one state and count one clock (both drawn from the same phone call)."""
    state = services.dialer_state(call, _agent())
    status_update = agent_status(_agent()) if with_status and call.agent_id == current_user.id else None
    body = render_template("telephony/_dialer_panel.html", state=state, call=call, lead=call.lead, error=error,
                           connect=connect and state.phone_call is not None and state.phone_call.is_active,
                           dial_form=DialForm(), hang_up_form=HangUpForm(), recording_form=RecordingForm(),
                           recording_modes=rules.RecordingMode.LABELS,
                           consent_notice_for_agent=rules.CONSENT_NOTICE_FOR_AGENT, status_update=status_update)
    return body, status


@blueprint.app_template_global("dialer_panel")
def _dialer_panel(call: Call) -> Markup:
    """The dialer drawn with the call screen (templates/calls/_dialer.html): the screen opens in its final
    layout, with no placeholder to replace. The page's own top bar already has the status."""
    return Markup(_render_dialer(call, with_status=False)[0])


# --- The dialer on the call screen --------------------------------------------------------------

@blueprint.get("/calls/<id:call_id>/dialer")
@allow(Role.TELEPROSPECTOR)
def dialer(call_id: int):
    return _render_dialer(_load_call(call_id))


@blueprint.get("/calls/<id:call_id>/dialer/progress")
@allow(Role.TELEPROSPECTOR)
def progress(call_id: int):
    """Polled every second while a call is live. When the call changes phase (answered, ended) the whole
    dialer is sent instead, so its buttons follow (HX-Retarget)."""
    call = _load_call(call_id)
    phone_call = services.call_progress(call)
    phase = rules.phase(phone_call.status if phone_call else None)
    if phase != request.args.get("phase"):
        body, status = _render_dialer(call)
        return body, status, {"HX-Retarget": "#dialer", "HX-Reswap": "outerHTML"}
    return render_template("telephony/_call_progress.html", call=call, phone_call=phone_call, phase=phase)


def _act_on_dialer(call: Call, action, **done):
    """Run one dialer action; a refusal (dial guard, carrier, state) is shown on the dialer, nothing lost."""
    try:
        action()
    except NotYourCall:
        abort(403)
    except services.CallError as error:
        return _render_dialer(call, error=str(error), status=422)
    return _render_dialer(call, **done)


@blueprint.post("/calls/<id:call_id>/dial")
@allow(Role.TELEPROSPECTOR)
def dial(call_id: int):
    call = _load_call(call_id)
    form = DialForm()
    if not form.validate():
        return _render_dialer(call, error="Choose how the simulated lead answers.", status=422)
    return _act_on_dialer(call, lambda: services.place_call(call, _agent(), outcome=form.outcome.data),
                          connect=True)


@blueprint.post("/calls/<id:call_id>/hang-up")
@allow(Role.TELEPROSPECTOR)
def hang_up(call_id: int):
    call = _load_call(call_id)
    form = HangUpForm()
    if not form.validate():
        abort(400)
    return _act_on_dialer(call, lambda: services.hang_up(call, _agent(), reason=form.reason.data or None))


@blueprint.post("/calls/<id:call_id>/recording")
@allow(Role.TELEPROSPECTOR)
def start_recording(call_id: int):
    call = _load_call(call_id)
    form = RecordingForm()
    if not form.validate():
        abort(400)
    return _act_on_dialer(call, lambda: services.start_recording(call, _agent(),
                                                                 consent_confirmed=form.consent_confirmed.data))


@blueprint.get("/telephony/token")
@allow(Role.TELEPROSPECTOR)
def token():
    """A short-lived Voice access token for the browser's Twilio Device."""
    try:
        jwt = services.issue_access_token(_agent())
    except services.TelephonyError as error:
        return jsonify(error=str(error)), 404
    response = jsonify(token=jwt, identity=services.client_identity(current_user))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Settings ------------------------------------------------------------------------------------

@blueprint.get("/telephony/settings")
@allow(Role.TELEPROSPECTOR)
def settings():
    current = services.agent_telephony(current_user)
    form = AgentTelephonyForm(calling_mode=current.calling_mode, phone=current.phone)
    return _render_settings(form)


@blueprint.post("/telephony/settings")
@allow(Role.TELEPROSPECTOR)
def save_settings():
    form = AgentTelephonyForm()
    if not form.validate():
        return _render_settings(form, status=422)
    try:
        services.save_agent_telephony(_agent(), form.calling_mode.data, form.phone.data)
    except services.TelephonyError as error:
        return _render_settings(form, error=str(error), status=422)
    flash("Calling settings saved.", "success")
    return redirect(url_for("telephony.settings"), code=303)


def _render_settings(form, error: str | None = None, status: int = 200):
    return render_template("telephony/settings.html", form=form, error=error,
                           twilio=services.twilio_configured(),
                           browser_calling=services.browser_calling_available()), status


@blueprint.get("/telephony/campaigns/<id:campaign_id>")
@allow(Role.MARKETING)
def campaign_settings(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    current = services.campaign_telephony(campaign.id)
    form = CampaignTelephonyForm(recording_mode=current.recording_mode, machine_detection=current.machine_detection)
    return _render_campaign_settings(campaign, form)


@blueprint.post("/telephony/campaigns/<id:campaign_id>")
@allow(Role.MARKETING)
def save_campaign_settings(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    form = CampaignTelephonyForm()
    if not form.validate():
        return _render_campaign_settings(campaign, form, status=422)
    try:
        services.save_campaign_telephony(campaign, _agent(), form.recording_mode.data, form.machine_detection.data)
    except services.TelephonyError as error:
        return _render_campaign_settings(campaign, form, error=str(error), status=422)
    flash(f"Telephony settings of {campaign.name} saved.", "success")
    return redirect(url_for("telephony.campaign_settings", campaign_id=campaign.id), code=303)


def _render_campaign_settings(campaign, form, error: str | None = None, status: int = 200):
    return render_template("telephony/campaign_settings.html", campaign=campaign, form=form, error=error,
                           consent_regions=rules.notice_regions()), status


# --- Recordings ----------------------------------------------------------------------------------

@blueprint.get("/recordings/<id:recording_id>")
@allow(Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING)
def play_recording(recording_id: int):
    recording = db.get_or_404(Recording, recording_id)
    if not services.can_hear_recordings(current_user, recording.phone_call.call.lead):
        abort(403)
    try:
        audio = services.recording_audio(recording, _agent())
    except services.TelephonyError as error:
        abort(404, str(error))
    headers = {"Cache-Control": "private, no-store", "Content-Disposition": "inline"}
    if audio.length is not None:
        headers["Content-Length"] = str(audio.length)
    return Response(stream_with_context(audio.chunks), mimetype=audio.content_type, headers=headers)


# --- Twilio's webhooks: signed, exempt from CSRF and sign-in, and from nothing else ------------

def _require_twilio_signature() -> None:
    if not services.webhook_signature_valid(request.full_path, request.form,
                                            request.headers.get("X-Twilio-Signature")):
        log.warning("Refused a webhook to %s with a missing or wrong Twilio signature", request.path)
        abort(403)


def _phone_call_id() -> int | None:
    """The phone call a webhook is about: in the URL (the console built it) or, for browser calls,
    a custom parameter the call screen gave the Voice SDK."""
    return int_arg("phone_call") or int_arg("phone_call", request.form)


def _twiml(document: str):
    return Response(document, mimetype="text/xml")


@blueprint.post("/twilio/voice")
@public
@csrf.exempt
def voice():
    _require_twilio_signature()
    return _twiml(services.answer_voice_request(without_nul(request.form), _phone_call_id()))


@blueprint.post("/twilio/notice")
@public
@csrf.exempt
def consent_notice():
    _require_twilio_signature()
    return _twiml(services.consent_notice_played(_phone_call_id()))


@blueprint.post("/twilio/status")
@public
@csrf.exempt
def status_callback():
    _require_twilio_signature()
    services.record_call_progress(without_nul(request.form), int_arg("phone_call"))
    return "", 204


@blueprint.post("/twilio/recording")
@public
@csrf.exempt
def recording_callback():
    _require_twilio_signature()
    services.record_recording_progress(without_nul(request.form), int_arg("phone_call"))
    return "", 204

