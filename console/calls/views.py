"""The call screen, the agent's callbacks and their auto-advance switch."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from console.auth.models import Role
from console.calls import services
from console.calls.forms import AnswerForm, AutoAdvanceForm, DispositionForm, NotesForm
from console.calls.models import Call
from console.calls.rules import BY_CODE, NextAction, describe_minutes
from console.clock import utcnow
from console.extensions import db
from console.guides.services import guide_for_call
from console.handoffs.services import HandoffError
from console.scoring.rules import DEFAULT_MODEL
from console.security import allow, same_site_redirect

blueprint = Blueprint("calls", __name__)


@blueprint.app_context_processor
def _agent_status():
    """The top bar shows a teleprospector where they stand: on a call, in wrap-up, or not working."""
    if not current_user.is_authenticated or current_user.role not in (Role.TELEPROSPECTOR, Role.ADMIN):
        return {}
    if request.htmx and not request.htmx.boosted:
        return {}  # a fragment (an answer's score, a notes status) has no top bar: spare the queries
    try:
        return {"agent_status": services.agent_status(current_user._get_current_object())}
    except SQLAlchemyError:  # an error page drawn while the database is down must still draw
        db.session.rollback()
        return {}


def _agent():
    return current_user._get_current_object()


def _load_own_call(call_id: int) -> Call:
    call = db.get_or_404(Call, call_id)
    if call.agent_id != current_user.id and current_user.role != Role.ADMIN:
        abort(403)
    return call


def _render_call_screen(call: Call, form: DispositionForm | None = None, error: str | None = None, status: int = 200):
    lead = call.lead
    form = form or DispositionForm(notes=call.notes)
    body = render_template(
        "calls/call.html",
        call=call, lead=lead, form=form, error=error,
        answers={key: answer.value for key, answer in services.answers_for(lead).items()},
        score=services.score_lead(lead), model=DEFAULT_MODEL,
        guide=guide_for_call(call), earlier_calls=services.earlier_calls(call),
        colleagues=services.colleagues_at_account(lead),
        dispositions=services.dispositions_for(call.campaign_id), labels=BY_CODE,
        lead_now=services.local_time(utcnow(), lead), auto_advance=services.auto_advance_enabled(_agent()),
    )
    # A boosted form post that fails must not leave its POST URL in the address bar.
    return body, status, {"HX-Replace-Url": url_for("calls.call_screen", call_id=call.id)}


@blueprint.get("/calls/<int:call_id>")
@allow(Role.TELEPROSPECTOR)
def call_screen(call_id: int):
    return _render_call_screen(_load_own_call(call_id))


@blueprint.post("/calls/<int:call_id>/answers")
@allow(Role.TELEPROSPECTOR)
def save_answer(call_id: int):
    call = _load_own_call(call_id)
    form = AnswerForm()
    if not form.validate():
        abort(400)
    criterion = form.criterion.data
    try:
        score = services.save_answer(call, _agent(), criterion, form.value.data or "", form.version.data)
    except services.NotYourCall:
        abort(403)
    except services.CallError as error:
        db.session.rollback()
        stale = isinstance(error, services.StaleSave)
        return render_template("calls/_score.html", score=services.score_lead(call.lead), score_error=str(error),
                               stale=stale, criterion=criterion, call=call), 409 if stale else 422
    return render_template("calls/_score.html", score=score, saved=criterion, criterion=criterion,
                           version=call.lead.version, saved_at=services.local_time(utcnow(), call.lead), call=call)


@blueprint.post("/calls/<int:call_id>/notes")
@allow(Role.TELEPROSPECTOR)
def save_notes(call_id: int):
    call = _load_own_call(call_id)
    form = NotesForm()
    if not form.validate():
        return render_template("calls/_notes_status.html", error="Notes are too long."), 422
    try:
        services.save_notes(call, _agent(), form.notes.data or "")
    except services.NotYourCall:
        abort(403)
    except services.CallError as error:
        db.session.rollback()
        return render_template("calls/_notes_status.html", error=str(error)), 422
    return render_template("calls/_notes_status.html", saved=True)


def _outcome_message(call: Call, handoff) -> str:
    if handoff is not None:
        return f"{call.lead.full_name} qualified and handed to {handoff.assigned_to.full_name}."
    label = BY_CODE[call.disposition].label
    lead = call.lead
    if call.referral_lead is not None:
        return f"{lead.full_name}: {label} recorded; {call.referral_lead.full_name} added as a new contact."
    if call.next_action == NextAction.CALLBACK:
        when = services.local_time(lead.next_call_at, lead)
        return f"{lead.full_name}: call back {when:%a %b %d, %H:%M} {when.tzname()} recorded."
    if lead.next_call_at is not None:
        wait = max(0, round((lead.next_call_at - call.ended_at).total_seconds() / 60))
        return f"{lead.full_name}: {label} recorded; retry in {describe_minutes(wait)}."
    return f"{lead.full_name}: {label} recorded; closed."


@blueprint.post("/calls/<int:call_id>/disposition")
@allow(Role.TELEPROSPECTOR)
def disposition(call_id: int):
    call = _load_own_call(call_id)
    form = DispositionForm()
    if not form.validate():
        return _render_call_screen(call, form, "Check the disposition: " + "; ".join(
            message for messages in form.errors.values() for message in messages), 422)
    callback_at = services.callback_time_utc(form.callback_at.data, call.lead) if form.callback_at.data else None
    referral = services.Referral(form.referral_first_name.data or "", form.referral_last_name.data or "",
                                 form.referral_title.data or "", form.referral_phone.data or "")
    try:
        handoff = services.record_disposition(
            call, _agent(), form.disposition.data, notes=form.notes.data,
            callback_at=callback_at, callback_anyone=form.callback_anyone.data, referral=referral)
    except services.NotYourCall:
        abort(403)
    except services.ReferralInvalid as error:
        db.session.rollback()
        for name, message in error.field_errors.items():
            form[name].errors = [message]
        return _render_call_screen(call, form, str(error), 422)
    except (services.CallError, HandoffError) as error:
        db.session.rollback()
        return _render_call_screen(call, form, str(error), 422)
    flash(_outcome_message(call, handoff), "success")
    # Auto-advance: a new transaction claims the next lead, so the agent never clicks between calls.
    next_call = services.claim_after_disposition(_agent())
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
    if request.htmx and not request.htmx.boosted:
        return render_template("calls/_agent_status.html", agent_status=services.agent_status(_agent()))
    return redirect(same_site_redirect(form.next.data, url_for("queue.show")), code=303)
