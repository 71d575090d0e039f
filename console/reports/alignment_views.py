"""The alignment pages under /alignment: the meetings and their agendas (marketing runs them, sales reads them),
decisions recorded during a meeting, the agenda sent to the participants, and the two reports the meeting
talks about: objections per campaign and the evidence for the scoring model."""
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from console.auth.models import Role
from console.campaigns import services as campaigns
from console.clock import utcnow
from console.forms import int_arg
from console.csv_files import csv_download
from console.reports import agenda as meetings
from console.reports import exports
from console.reports import services as report_services
from console.reports.alignment_rules import MIN_HANDOFFS_FOR_SUGGESTION
from console.reports.alignment_forms import DecisionForm, EmptyForm, MeetingForm, RangeForm
from console.reports.evidence import evidence as evidence_table
from console.reports.objections import objection_report
from console.security import allow
from console.web import fragment_requested

blueprint = Blueprint("alignment", __name__, url_prefix="/alignment")

READERS = (Role.SALES, Role.MARKETING)  # sales read the agendas and the evidence; marketing runs the meetings


@blueprint.app_template_filter("share")
def _share(value: float | None) -> str:
    """A share as the alignment pages write it: "42 %", or a dash when there is nothing to divide."""
    return "–" if value is None else f"{value * 100:.0f} %"


def _actor():
    return current_user._get_current_object()


def _zone() -> str:
    """The zone the pages read their days in: the viewer's, as every report (reports.services.viewer_zone)."""
    return report_services.viewer_zone(current_user)


def _range_form() -> RangeForm:
    return RangeForm(request.args, campaigns.campaign_names_by_id())


# ---------------------------------------------------------------- objections and evidence

@blueprint.get("/objections")
@allow(*READERS)
def objections():
    form = _range_form()
    if not form.validate():
        return render_template("reports/objections.html", form=form, lines=None), 422
    campaign_id, start, end = form.chosen()
    return render_template("reports/objections.html", form=form, lines=objection_report(campaign_id, start, end, _zone()), zone=_zone(),
                           start=start, end=end)


@blueprint.get("/evidence")
@allow(*READERS)
def evidence():
    form = _range_form()
    if not form.validate():
        return render_template("reports/evidence.html", form=form, table=None), 422
    campaign_id, start, end = form.chosen()
    return render_template("reports/evidence.html", form=form, table=evidence_table(campaign_id, start, end, _zone()), zone=_zone(),
                           start=start, end=end, min_handoffs=MIN_HANDOFFS_FOR_SUGGESTION)


@blueprint.get("/objections.csv")
@allow(*READERS)
def objections_csv():
    form = _range_form()
    if not form.validate():
        abort(400)
    campaign_id, start, end = form.chosen()
    return csv_download(exports.objection_rows(objection_report(campaign_id, start, end, _zone())),
                        f"objections-{campaign_id or 'all'}-{start}-{end}.csv")


@blueprint.get("/evidence.csv")
@allow(*READERS)
def evidence_csv():
    form = _range_form()
    if not form.validate():
        abort(400)
    campaign_id, start, end = form.chosen()
    return csv_download(exports.evidence_rows(evidence_table(campaign_id, start, end, _zone())),
                        f"evidence-{campaign_id or 'all'}-{start}-{end}.csv")


# ---------------------------------------------------------------- meetings

def _meeting_form(form: MeetingForm | None = None) -> MeetingForm:
    form = form or MeetingForm()
    people = meetings.people()
    form.participants.choices = [SelectChoice(person.id, f"{person.full_name} ({person.role})") for person in people]
    form.sales_participant.choices = [SelectChoice("", "Nobody this time")] + [
        SelectChoice(person.id, person.full_name + (" (manager)" if person.sales_manager else ""))
        for person in meetings.sales_seat_candidates()]
    return form


def _new_meeting_form() -> MeetingForm:
    form = _meeting_form()
    today = utcnow().date()
    form.held_on.data = today
    form.period_start.data, form.period_end.data = today - timedelta(days=14), today - timedelta(days=1)
    form.sales_participant.data = meetings.next_sales_seat()
    form.participants.data = [person.id for person in meetings.people() if person.role == Role.MARKETING]
    return form


def _index(form: MeetingForm | None, status: int = 200):
    return render_template("reports/agenda_meetings.html", meetings=meetings.meetings(), form=form), status


@blueprint.get("/")
@allow(*READERS)
def index():
    return _index(_new_meeting_form() if current_user.role != Role.SALES else None)


@blueprint.post("/meetings")
@allow(Role.MARKETING)
def create_meeting():
    form = _meeting_form(MeetingForm())
    if form.validate():
        try:
            row = meetings.create_meeting(_actor(), held_on=form.held_on.data, period_start=form.period_start.data,
                                          period_end=form.period_end.data,
                                          sales_participant_id=form.sales_participant.data,
                                          participant_ids=form.participants.data)
        except meetings.AgendaError as error:
            form.participants.errors = [*form.participants.errors, str(error)]
        else:
            flash("Meeting planned: its agenda is ready to print or send.", "success")
            return redirect(url_for("alignment.meeting", meeting_id=row.id), code=303)
    return _index(form, 422)


def _meeting_or_404(meeting_id: int):
    row = meetings.meeting(meeting_id)
    if row is None:
        abort(404)
    return row


def _decision_form(form: DecisionForm | None = None) -> DecisionForm:
    form = form or DecisionForm()
    form.owner.choices = [SelectChoice("", "Choose the owner")] + [
        SelectChoice(person.id, person.full_name) for person in meetings.people()]
    return form


def _may_run() -> bool:
    return current_user.role in (Role.MARKETING, Role.ADMIN)


@blueprint.get("/meetings/<id:meeting_id>")
@allow(*READERS)
def meeting(meeting_id: int):
    row = _meeting_or_404(meeting_id)
    return render_template("reports/agenda.html", agenda=meetings.agenda(row, _zone()), may_run=_may_run(),
                           form=_decision_form() if _may_run() else None, button=EmptyForm())


@blueprint.post("/meetings/<id:meeting_id>/decisions")
@allow(Role.MARKETING)
def add_decision(meeting_id: int):
    row = _meeting_or_404(meeting_id)
    form = _decision_form(DecisionForm())
    status = 422
    if form.validate():
        try:
            meetings.add_decision(_actor(), row.id, text=form.text.data, owner_id=form.owner.data,
                                  due_on=form.due_on.data)
        except meetings.AgendaError as error:
            form.owner.errors = [*form.owner.errors, str(error)]
        else:
            if not fragment_requested():
                flash("Decision recorded.", "success")
                return redirect(url_for("alignment.meeting", meeting_id=row.id), code=303)
            form, status = _decision_form(DecisionForm(formdata=None)), 200  # blank for the next decision
    template = "reports/_agenda_decisions.html" if fragment_requested() else "reports/agenda.html"
    return render_template(template, agenda=meetings.agenda(row, _zone()), may_run=True, form=form, button=EmptyForm()), status


@blueprint.post("/decisions/<id:decision_id>/done")
@allow(Role.MARKETING)
def decision_done(decision_id: int):
    form = EmptyForm()
    if not form.validate():
        abort(400)
    try:
        item = meetings.mark_done(_actor(), decision_id)
    except meetings.AgendaError:
        abort(404)
    if fragment_requested():
        return render_template("reports/_agenda_decision.html", item=item, may_run=True, button=EmptyForm())
    back = int_arg("meeting", request.form) or item.meeting_id
    return redirect(url_for("alignment.meeting", meeting_id=back), code=303)


@blueprint.post("/meetings/<id:meeting_id>/send")
@allow(Role.MARKETING)
def send_agenda(meeting_id: int):
    row = _meeting_or_404(meeting_id)
    form = EmptyForm()
    if not form.validate():
        abort(400)
    try:
        queued = meetings.send_agenda(_actor(), row.id)
    except meetings.AgendaError as error:
        flash(str(error), "error")
    else:
        flash(f"Agenda sent to {queued} participant{'s' if queued != 1 else ''}." if queued
              else "Nothing sent: every participant already has this agenda.", "success" if queued else "info")
    return redirect(url_for("alignment.meeting", meeting_id=row.id), code=303)
