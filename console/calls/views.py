"""The call screen (answers, notes, objections, disposition), the agent's callbacks and auto-advance switch,
and each campaign's dispositions page."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from console.auth.models import Role
from console.calls import services
from console.calls.forms import (AnswerForm, AutoAdvanceForm, ContactFixForm, DispositionForm, DispositionSettingsForm,
                                 MarkForm, NotesForm)
from console.calls.models import Call
from console.calls.rules import BY_CODE, NextAction, describe_minutes
from console.campaigns.models import Campaign
from console.clock import utcnow
from console.extensions import db
from console.guides import services as guides
from console.handoffs.models import NextStep
from console.handoffs.services import HandoffError
from console.leads import services as leads
from console.queue import services as queue
from console.scoring.services import current_model
from console.security import allow, same_site_redirect
from console.web import fragment_requested, never_raises, visible_or_abort

blueprint = Blueprint("calls", __name__)


@blueprint.app_context_processor
@never_raises  # an error page drawn while the database is down must still draw
def _agent_status():
    """The top bar shows a teleprospector where they stand: on a call, in wrap-up, or not working."""
    if fragment_requested():
        return {}  # a fragment (an answer's score, a notes status) has no top bar: spare the queries
    if not current_user.is_authenticated or current_user.role not in (Role.TELEPROSPECTOR, Role.ADMIN):
        return {}
    status = _status()
    if current_user.role == Role.ADMIN and status.state == services.AgentState.IDLE \
            and request.blueprint not in ("queue", "calls"):
        return {}  # an admin not working calls has the top bar's room for the admin's own pages
    return {"agent_status": status}


def _agent():
    return current_user._get_current_object()


def _status() -> services.AgentStatus:
    """The agent's status, read once a request (the top bar and the call screen both show it)."""
    if "agent_status" not in g:
        g.agent_status = services.agent_status(_agent())
    return g.agent_status


def _render_call_screen(call: Call, form: DispositionForm | None = None, error: str | None = None, status: int = 200,
                        contact_form: ContactFixForm | None = None):
    lead = call.lead
    form = form or DispositionForm(notes=call.notes, recall_on=services.default_recall_on(lead.campaign))
    contact_form = contact_form or ContactFixForm(formdata=None, prefix=ContactFixForm.PREFIX, version=lead.version,
                                                  data={name: getattr(lead, name) or ""
                                                        for name in services.AGENT_CONTACT_FIELDS})
    model = current_model(lead.campaign_id)
    answers = services.answer_values(lead)
    earlier = services.earlier_calls(call)
    body = render_template(
        "calls/call.html",
        call=call, lead=lead, form=form, error=error, contact_form=contact_form,
        answers=answers, score=services.score_lead(lead, model, answers), model=model,
        guide=guides.guide_for_call(call, model), earlier_calls=earlier, attempt=services.attempt_number(call, earlier),
        colleagues=services.colleagues_at_account(lead),
        dispositions=services.dispositions_for(call.campaign_id), labels=BY_CODE,
        lead_now=services.local_time(utcnow(), lead), auto_advance=_status().auto_advance,
        recall=services.recall_note(call), next_steps=NextStep.LABELS, timed_steps=NextStep.TIMED,
    )
    # A boosted form post that fails must not leave its POST URL in the address bar.
    return body, status, {"HX-Replace-Url": url_for("calls.call_screen", call_id=call.id)}


@blueprint.get("/calls/<id:call_id>")
@allow(Role.TELEPROSPECTOR)
def call_screen(call_id: int):
    return _render_call_screen(visible_or_abort(Call, call_id, options=services.CALL_SCREEN_LOADS))


@blueprint.post("/calls/<id:call_id>/answers")
@allow(Role.TELEPROSPECTOR)
def save_answer(call_id: int):
    call = visible_or_abort(Call, call_id)
    form = AnswerForm()
    if not form.validate():
        abort(400)
    criterion = form.criterion.data
    try:
        score = services.save_answer(call, _agent(), criterion, form.value.data or "", form.version.data)
    except services.NotYourCall:
        abort(403)
    except services.CallError as error:
        stale = isinstance(error, services.StaleSave)
        return render_template("calls/_score.html", score=services.score_lead(call.lead, current_model(call.lead.campaign_id)),
                               score_error=str(error), stale=stale, criterion=criterion, call=call), \
            409 if stale else 422
    return render_template("calls/_score.html", score=score, saved=criterion, criterion=criterion,
                           version=call.lead.version, saved_at=services.local_time(utcnow(), call.lead), call=call)


@blueprint.post("/calls/<id:call_id>/contact")
@allow(Role.TELEPROSPECTOR)
def correct_contact(call_id: int):
    call = visible_or_abort(Call, call_id, options=services.CALL_SCREEN_LOADS)
    form = ContactFixForm(prefix=ContactFixForm.PREFIX)
    if not form.validate():
        return _render_call_screen(call, status=422, contact_form=form)
    try:
        typed = {name: form[name].data for name in services.AGENT_CONTACT_FIELDS}
        changed = services.correct_contact(call, _agent(), typed, form.version.data)
    except services.NotYourCall:
        abort(403)
    except leads.ContactInvalid as refused:
        form.show_errors(refused.field_errors)
        return _render_call_screen(call, status=422, contact_form=form)
    except leads.StaleLead:
        form.form_errors.append("The lead changed since this screen was drawn: reload it and correct it again.")
        return _render_call_screen(call, status=409, contact_form=form)
    except services.CallError as error:
        form.form_errors.append(str(error))
        return _render_call_screen(call, status=422, contact_form=form)
    flash("Contact details corrected." if changed else "Nothing to correct: the details were already so.", "success")
    return redirect(url_for("calls.call_screen", call_id=call.id), code=303)


@blueprint.post("/calls/<id:call_id>/notes")
@allow(Role.TELEPROSPECTOR)
def save_notes(call_id: int):
    call = visible_or_abort(Call, call_id)
    form = NotesForm()
    if not form.validate():
        return render_template("calls/_notes_status.html", error="Notes are too long."), 422
    try:
        services.save_notes(call, _agent(), form.notes.data or "")
    except services.NotYourCall:
        abort(403)
    except services.CallError as error:
        return render_template("calls/_notes_status.html", error=str(error)), 422
    return render_template("calls/_notes_status.html", saved=True)


# The call screen's objection quick-find and marks live under /guides/calls/… (their URL since
# they were added), served here because they are work on a call.
@blueprint.get("/guides/calls/<id:call_id>/objections")
@allow(Role.TELEPROSPECTOR)
def objection_quick_find(call_id: int):
    """Active search of the call's objections and battlecards (the fragment under the search box)."""
    call = visible_or_abort(Call, call_id)
    query = (request.args.get("q") or "")[:100]
    guide = guides.quick_find(call, query)
    if guide is None:
        abort(404)
    return render_template("guides/_objection_results.html", guide=guide,
                           can_mark=call.agent_id == current_user.id and call.is_open)


@blueprint.post("/guides/calls/<id:call_id>/objections/<objection_id>")
@allow(Role.TELEPROSPECTOR)
def mark_objection(call_id: int, objection_id: str):
    """The agent marks an objection as raised on this call, and whether the response worked."""
    call = db.get_or_404(Call, call_id)
    if call.agent_id != current_user.id:
        abort(403)
    form = MarkForm()
    if not form.validate():
        abort(400)
    objection = next((item for item in call.guide_version.content["objections"] if item["id"] == objection_id), None) \
        if call.guide_version else None
    if objection is None:
        abort(404)
    try:
        services.mark_objection(call, _agent(), objection_id, form.outcome.data)
    except services.NotYourCall:
        abort(403)
    except services.CallError as error:
        return render_template("guides/_objection_mark.html", objection=objection, call_id=call.id,
                               marks=guides.marks_for(call), can_mark=True, error=str(error)), 422
    return render_template("guides/_objection_mark.html", objection=objection, call_id=call.id,
                           marks=guides.marks_for(call), can_mark=True, oob=True)


def _outcome_message(call: Call, handoff) -> str:
    if handoff is not None:
        return f"{call.lead.full_name} qualified and handed to {handoff.assigned_to.full_name}."
    label = BY_CODE[call.disposition].label
    lead = call.lead
    if call.referral_lead is not None:
        return f"{lead.full_name}: {label} recorded; {call.referral_lead.full_name} added as a new contact."
    if call.next_action == NextAction.RECALL:
        return f"{lead.full_name}: nurture recorded; back in the queue on {lead.next_call_at:%a %b %d, %Y}."
    if call.next_action == NextAction.CALLBACK:
        when = services.local_time(lead.next_call_at, lead)
        return f"{lead.full_name}: call back {when:%a %b %d, %H:%M} {when.tzname()} recorded."
    if lead.next_call_at is not None:
        wait = max(0, round((lead.next_call_at - call.ended_at).total_seconds() / 60))
        return f"{lead.full_name}: {label} recorded; retry in {describe_minutes(wait)}."
    return f"{lead.full_name}: {label} recorded; closed."


@blueprint.post("/calls/<id:call_id>/disposition")
@allow(Role.TELEPROSPECTOR)
def disposition(call_id: int):
    call = visible_or_abort(Call, call_id)
    form = DispositionForm()
    if not form.validate():
        return _render_call_screen(call, form, "Check the disposition: " + "; ".join(
            message for messages in form.errors.values() for message in messages), 422)
    callback_at = services.callback_time_utc(form.callback_at.data, call.lead) if form.callback_at.data else None
    referral = services.Referral(form.referral_first_name.data or "", form.referral_last_name.data or "",
                                 form.referral_title.data or "", form.referral_phone.data or "")
    next_step = None
    if form.disposition.data == "qualified":
        at = services.callback_time_utc(form.next_step_at.data, call.lead) if form.next_step_at.data else None
        next_step = services.AgreedStep(form.next_step.data, at, form.next_step_note.data or "")
    try:
        handoff = services.record_disposition(
            call, _agent(), form.disposition.data, notes=form.notes.data,
            callback_at=callback_at, callback_anyone=form.callback_anyone.data, referral=referral,
            next_step=next_step, recall_on=form.recall_on.data)
    except services.NotYourCall:
        abort(403)
    except (services.ReferralInvalid, services.NextStepInvalid) as error:
        for name, message in error.field_errors.items():
            form[name].errors = [message]
        return _render_call_screen(call, form, str(error), 422)
    except (services.CallError, HandoffError) as error:
        return _render_call_screen(call, form, str(error), 422)
    flash(_outcome_message(call, handoff), "success")
    # Auto-advance: a new transaction claims the next lead, so the agent never clicks between calls.
    next_call = queue.claim_after_disposition(_agent())
    if next_call is not None:
        return redirect(url_for("calls.call_screen", call_id=next_call.id), code=303)
    if services.auto_advance_enabled(_agent()):
        flash("No lead can be called right now. The queue page says why.", "warning")
    return redirect(url_for("queue.show"), code=303)


@blueprint.get("/callbacks")
@allow(Role.TELEPROSPECTOR)
def callbacks():
    agent = _agent()
    return render_template("calls/callbacks.html", callbacks=services.upcoming_callbacks(agent),
                           pace=services.agent_pace(agent))


@blueprint.post("/agent/auto-advance")
@allow(Role.TELEPROSPECTOR)
def auto_advance():
    form = AutoAdvanceForm()
    if not form.validate() or form.auto_advance.data not in ("on", "off"):
        abort(400)
    services.set_auto_advance(_agent(), form.auto_advance.data == "on")
    if fragment_requested():
        return render_template("calls/_agent_status.html", agent_status=services.agent_status(_agent()))
    return redirect(same_site_redirect(form.next.data, url_for("queue.show")), code=303)


# ---------------------------------------------------------------- a campaign's dispositions

def _disposition_page(campaign: Campaign, form: DispositionSettingsForm | None = None, status: int = 200):
    dispositions = services.dispositions_for(campaign.id)
    if form is None:
        form = DispositionSettingsForm(data={"rows": [
            {"code": d.code, "next_action": d.next_action, "retry_minutes": d.retry_minutes or None}
            for d in dispositions if d.editable]})
    rows = {row.form.code.data: row.form for row in form.rows}
    return render_template("campaigns/dispositions.html", campaign=campaign, form=form, rows=rows,
                           dispositions=dispositions), status


@blueprint.get("/campaigns/<id:campaign_id>/dispositions")
@allow(Role.MARKETING)
def campaign_dispositions(campaign_id: int):
    return _disposition_page(db.get_or_404(Campaign, campaign_id))


@blueprint.post("/campaigns/<id:campaign_id>/dispositions")
@allow(Role.MARKETING)
def save_campaign_dispositions(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    form = DispositionSettingsForm()
    if not form.validate():
        return _disposition_page(campaign, form, 422)
    choices = [services.DispositionChoice(row.form.code.data, row.form.next_action.data, row.form.retry_minutes.data)
               for row in form.rows]
    try:
        changed = services.save_disposition_settings(campaign, _agent(), choices)
    except services.DispositionSettingsInvalid as error:
        for row in form.rows:
            if row.form.code.data in error.field_errors:
                row.form.next_action.errors = [error.field_errors[row.form.code.data]]
        return _disposition_page(campaign, form, 422)
    flash(f"{campaign.name}: {len(changed)} disposition{'s' if len(changed) != 1 else ''} changed." if changed
          else f"{campaign.name}: nothing changed.", "success")
    return redirect(url_for("calls.campaign_dispositions", campaign_id=campaign.id), code=303)
