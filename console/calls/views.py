"""The queue and the call screen."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from console.auth.models import Role
from console.calls import services
from console.calls.forms import AnswerForm, DispositionForm, NotesForm
from console.calls.models import Call, CallStatus
from console.calls.rules import DISPOSITIONS
from console.extensions import db
from console.guides.services import guide_for_call
from console.scoring.rules import DEFAULT_MODEL
from console.security import allow

blueprint = Blueprint("calls", __name__)


def _load_own_call(call_id: int) -> Call:
    call = db.get_or_404(Call, call_id)
    if call.agent_id != current_user.id and current_user.role != Role.ADMIN:
        abort(403)
    return call


def _render_call_screen(call: Call, form: DispositionForm | None = None, error: str | None = None, status: int = 200):
    lead = call.lead
    answers = services.answers_for(lead)
    earlier_calls = db.session.scalars(
        db.select(Call).where(Call.lead_id == lead.id, Call.id != call.id).order_by(Call.started_at.desc())
    ).all()
    form = form or DispositionForm(notes=call.notes)
    body = render_template(
        "calls/call.html",
        call=call, lead=lead, form=form, error=error,
        answers={key: answer.value for key, answer in answers.items()},
        score=services.score_lead(lead), model=DEFAULT_MODEL,
        guide=guide_for_call(call), earlier_calls=earlier_calls, dispositions=DISPOSITIONS,
        notes_form=NotesForm(notes=call.notes), answer_form=AnswerForm(),
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
    try:
        score = services.save_answer(call, current_user._get_current_object(), form.criterion.data, form.value.data or "")
    except services.NotYourCall:
        abort(403)
    except services.CallError as error:
        db.session.rollback()
        return render_template("calls/_score.html", score=services.score_lead(call.lead), score_error=str(error)), 422
    return render_template("calls/_score.html", score=score, saved=form.criterion.data)


@blueprint.post("/calls/<int:call_id>/notes")
@allow(Role.TELEPROSPECTOR)
def save_notes(call_id: int):
    call = _load_own_call(call_id)
    form = NotesForm()
    if not form.validate():
        return render_template("calls/_notes_status.html", error="Notes are too long."), 422
    try:
        services.save_notes(call, current_user._get_current_object(), form.notes.data or "")
    except services.NotYourCall:
        abort(403)
    except services.CallError as error:
        db.session.rollback()
        return render_template("calls/_notes_status.html", error=str(error)), 422
    return render_template("calls/_notes_status.html", saved=True)


@blueprint.post("/calls/<int:call_id>/disposition")
@allow(Role.TELEPROSPECTOR)
def disposition(call_id: int):
    call = _load_own_call(call_id)
    form = DispositionForm()
    if not form.validate():
        return _render_call_screen(call, form, "Check the disposition: " + "; ".join(
            message for messages in form.errors.values() for message in messages), 422)
    callback_at = services.callback_time_utc(form.callback_at.data, call.lead) if form.callback_at.data else None
    try:
        handoff = services.record_disposition(
            call, current_user._get_current_object(), form.disposition.data, notes=form.notes.data,
            callback_at=callback_at, callback_anyone=form.callback_anyone.data)
    except services.NotYourCall:
        abort(403)
    except services.CallError as error:
        db.session.rollback()
        return _render_call_screen(call, form, str(error), 422)
    if call.status == CallStatus.COMPLETED and handoff is not None:
        flash(f"{call.lead.full_name} qualified and handed to {handoff.assigned_to.full_name}.", "success")
    else:
        flash(f"{call.lead.full_name}: {call.disposition.replace('_', ' ')} recorded.", "success")
    return redirect(url_for("queue.show"), code=303)
