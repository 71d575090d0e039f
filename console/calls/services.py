"""The agent's work on a claimed call: answers, notes, objections raised, dispositions, referrals,
callbacks and pace; and each campaign's next actions for its dispositions.

Claiming a lead and opening its call is console.queue; the lead's own columns are
written by console.leads.services, which every function here calls. Each public
function that a view calls is one transaction (writers.write_transaction: one
commit at its end), or raises a domain error and leaves the database as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, DateTime, Integer, bindparam, column, func, or_, select, text, update
from sqlalchemy.orm import defer, joinedload, selectinload

from console.audit import services as audit
from console.calls import line, rules
from console.calls.errors import CallError, NotYourCall, refuse
from console.calls.models import AgentSettings, Call, CallStatus, DispositionSetting, QualificationAnswer
from console.campaigns.models import Campaign
from console.clock import utcnow
from console.compliance import services as do_not_call_list
from console.compliance.models import DoNotCallSource
from console.database import writers
from console.extensions import db
from console.guides.models import CallObjection, GuideVersion
from console.handoffs import services as handoffs
from console.handoffs.models import NextStep
from console.handoffs.rules import default_recall
from console.leads import services as leads
from console.leads.models import Lead, Touch
from console.leads.queue_columns import LeadState
from console.leads.rules import InvalidPhoneNumber, QueueState, RecallCause, normalise_phone, region_of
from console.compliance.rules import stored_zones
from console.scoring import rules as scoring
from console.scoring.services import current_model

__all__ = ["CallError", "NotYourCall"]  # the shared call errors (console/calls/errors.py), as views catch them


class QualificationIncomplete(CallError):
    def __init__(self, score: scoring.Score):
        self.score = score
        parts = []
        if score.missing_required:
            parts.append("answer " + ", ".join(score.missing_required))
        if not score.meets_threshold:
            parts.append(f"score {score.points} is below the qualified threshold")
        super().__init__("Cannot qualify yet: " + "; ".join(parts) + ".")


class StaleSave(CallError):
    """The lead changed after the agent's page was drawn; saving would overwrite what they have not seen."""


class ReferralInvalid(CallError):
    """The referred contact cannot be added; `field_errors` says which field is wrong and why."""

    def __init__(self, field_errors: dict[str, str]):
        self.field_errors = field_errors
        super().__init__("Check the referred contact: " + " ".join(field_errors.values()))


class NextStepInvalid(CallError):
    """The next step agreed on a qualifying call cannot be stored; `field_errors` says which field and why."""

    def __init__(self, field_errors: dict[str, str]):
        self.field_errors = field_errors
        super().__init__("Check the next step: " + " ".join(field_errors.values()))


class DispositionSettingsInvalid(Exception):
    """A campaign's dispositions cannot be saved; `field_errors` maps each disposition code to what is wrong."""

    def __init__(self, field_errors: dict[str, str]):
        self.field_errors = field_errors
        super().__init__("; ".join(field_errors.values()))


def _refuse_unless_workable(call: Call, agent) -> None:
    refuse(call.work_refusal(agent))


# --- The call an agent holds ------------------------------------------------------------------------

# The open call on the lead the agent holds, while the hold runs (the claim's first statement reads it too).
HELD_CALL_SQL = (
    "SELECT calls.id FROM leads JOIN calls ON calls.lead_id = leads.id"
    " WHERE leads.claimed_by_id = :agent_id AND leads.claim_expires_at >= :now"
    " AND calls.agent_id = :agent_id AND calls.status = 'open' ORDER BY calls.id DESC LIMIT 1"
)
HELD_CALL = text(HELD_CALL_SQL).bindparams(bindparam("now", type_=DateTime()))


def current_call(agent) -> Call | None:
    """The open call on the lead this agent holds, if the claim has not lapsed."""
    call_id = db.session.scalar(HELD_CALL, {"agent_id": agent.id, "now": utcnow()})
    return db.session.get(Call, call_id) if call_id is not None else None


def abandon_open_calls_of(agent_id: int, actor=None, reason: str = "", now: datetime | None = None) -> list[Call]:
    """Close the agent's open calls without a disposition (a deactivated agent's), as a lapsed claim's call is
    closed: status abandoned, ended now, no attempt counted, the lead left for its writer to release.

    The phone line is not touched: hanging up talks to the carrier, which cannot be part of the caller's
    transaction (and a carrier that refuses must not keep someone's access). As after a lapsed claim, a
    simulated line is ended at the call's end the next time it is looked at, and a real one goes on being
    reported by Twilio's webhooks until a person hangs up. Returns the calls; each is audited. Joins the
    caller's transaction.
    """
    now = now or utcnow()
    calls = list(db.session.scalars(select(Call).where(Call.agent_id == agent_id, Call.status == CallStatus.OPEN)
                                    .order_by(Call.id).with_for_update()))
    for call in calls:
        call.status, call.ended_at = CallStatus.ABANDONED, now
        audit.record("call.abandoned", call, actor=actor, lead_id=call.lead_id, agent_id=agent_id, reason=reason)
    return calls


# --- Answers and notes ------------------------------------------------------------------------------

def answers_for(lead: Lead) -> dict[str, QualificationAnswer]:
    return {answer.criterion: answer for answer in
            db.session.scalars(select(QualificationAnswer).where(QualificationAnswer.lead_id == lead.id))}


def answer_values(lead: Lead) -> dict[str, str]:
    """Criterion → the lead's current answer (what the call screen shows and scores)."""
    return dict(db.session.execute(select(QualificationAnswer.criterion, QualificationAnswer.value)
                                   .where(QualificationAnswer.lead_id == lead.id)).all())


def touches_of(lead_id: int, model: scoring.ScoringModel) -> list:
    """The lead's touches as scoring reads them: none read when the model counts no touch."""
    if not model.engagement.kinds:
        return []
    return list(db.session.connection().execute(_TOUCHES, {"lead_id": lead_id}).all())


def score_lead(lead: Lead, model: scoring.ScoringModel, answers: dict[str, str] | None = None) -> scoring.Score:
    """The lead's score under `model` now (answers and touches), from `answers` (answer_values) when the caller
    has them already."""
    touches = lead.touches if model.engagement.kinds else ()  # the call screen and the lead record loaded them
    return scoring.score(answer_values(lead) if answers is None else answers, model, touches, utcnow(),
                         source=lead.source)


def save_answer(call: Call, agent, criterion_key: str, value: str, expected_version: int | None = None) -> scoring.Score:
    """Save one qualification answer and rescore the lead; an empty value clears the answer.

    `expected_version` is the lead version the agent's page was drawn with: a save
    made against an older page is refused with StaleSave instead of overwriting.
    """
    call_id, agent_id, agent_email = call.id, agent.id, agent.email  # read before the write expires them
    with writers.write_transaction(db.session):
        # The call and its lead read afresh, in one statement (the agent need not be: their id is enough).
        call = db.session.execute(select(Call).options(joinedload(Call.lead)).where(Call.id == call_id)).scalar_one()
        lead = call.lead
        refuse(rules.work_refusal(agent_id, call.agent_id, call.status, lead.claimed_by_id, lead.claim_expires_at,
                                  utcnow()))
        model = current_model(lead.campaign_id)
        criterion = model.criterion(criterion_key)
        if criterion is None:
            raise CallError(f"Unknown qualification field {criterion_key!r}.")
        problem = criterion.answer_problem(value)
        if problem:
            raise CallError(problem)
        value = criterion.stored_value(value)
        try:
            leads.next_version(lead, expected_version)
        except leads.StaleLead:
            raise StaleSave("Not saved: this lead changed since your page loaded (an answer was saved in another "
                            "window, or by someone else). Reload to see the latest answers, then change it again.") \
                from None
        answers = answers_for(lead)
        answer = answers.get(criterion_key)
        if not value:
            if answer is not None:
                db.session.delete(answer)
        elif answer is None:
            db.session.add(QualificationAnswer(lead_id=lead.id, criterion=criterion_key, value=value,
                                               call_id=call_id, answered_by_id=agent_id))
        else:
            answer.value, answer.call_id, answer.answered_by_id = value, call_id, agent_id
        db.session.flush()
        values = {key: saved.value for key, saved in answers.items() if key != criterion_key}
        if value:
            values[criterion_key] = value
        result = score_lead(lead, model, values)  # the answers as just written
        leads.set_score(lead, *scoring.stored_score(result), result.model_version)
        audit.write("lead.answer_saved", "Lead", lead.id, actor_id=agent_id, actor_email=agent_email,
                    criterion=criterion_key, value=value, call_id=call_id)
    return result


def save_notes(call: Call, agent, notes: str) -> None:
    with writers.write_transaction(db.session):  # the call and lead are read afresh inside it
        _refuse_unless_workable(call, agent)
        if notes != call.notes:
            call.notes = notes
            audit.record("call.notes_saved", call, actor=agent, lead_id=call.lead_id, length=len(notes))


# What an agent may correct of the lead's contact data on the call (the number dialled is not theirs to change:
# a new number changes when and whether the lead may be called, which is marketing's and compliance's call).
AGENT_CONTACT_FIELDS = ("first_name", "last_name", "title", "email", "alternate_phone")


def correct_contact(call: Call, agent, changes: dict, expected_version: int | None) -> dict[str, tuple]:
    """The agent on the call corrects the lead's name, title, email or alternate phone (sales sent it back with
    bad data, or the prospect says so), through the lead's one writer; returns what changed.

    Raises NotYourCall or CallError when the call is not the agent's to work, leads.ContactInvalid with what is
    wrong by field, leads.StaleLead when the lead changed since the page was drawn.
    """
    wanted = {name: changes.get(name) or "" for name in AGENT_CONTACT_FIELDS}
    with writers.write_transaction(db.session):  # the call read afresh inside; update_contact joins it
        _refuse_unless_workable(call, agent)
        return leads.update_contact(call.lead, agent, wanted, expected_version)


# What the agent marks an objection as (guides.models.CallObjection.worked).
OBJECTION_MARKS = {"raised": None, "worked": True, "failed": False}


def mark_objection(call: Call, agent, objection_id: str, outcome: str) -> CallObjection | None:
    """Record that an objection came up on this call, and whether the response worked ("clear" removes it)."""
    with writers.write_transaction(db.session):
        refusal = call.work_refusal(agent)
        if refusal == rules.Refusal.NOT_YOURS:
            raise NotYourCall(rules.Refusal.MESSAGES[refusal])
        if not call.is_open:
            raise CallError("This call is finished; objections can no longer be marked on it.")
        version = call.guide_version
        if version is None or objection_id not in {item["id"] for item in version.content["objections"]}:
            raise CallError("That objection is not in this call's guide.")
        if outcome not in OBJECTION_MARKS and outcome != "clear":
            raise CallError(f"Unknown outcome {outcome!r}.")
        mark = db.session.scalar(select(CallObjection).where(CallObjection.call_id == call.id,
                                                             CallObjection.objection_id == objection_id))
        if outcome == "clear":
            if mark is not None:
                db.session.delete(mark)
            return None
        if mark is None:
            mark = CallObjection(call_id=call.id, guide_version_id=version.id, objection_id=objection_id, agent=agent)
            db.session.add(mark)
        mark.worked = OBJECTION_MARKS[outcome]
        mark.marked_at = utcnow()
    return mark


# --- The lead's clock -------------------------------------------------------------------------------

def lead_zone(lead: Lead) -> ZoneInfo:
    """The zone a callback time is typed in: the lead's first known zone, else UTC."""
    return ZoneInfo(lead.zone_list[0]) if lead.zone_list else ZoneInfo("UTC")


def callback_time_utc(local_value: datetime, lead: Lead) -> datetime:
    """A callback time typed in the lead's local time, as naive UTC."""
    return local_value.replace(tzinfo=lead_zone(lead)).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def local_time(when: datetime, lead: Lead) -> datetime:
    """A stored (naive UTC) time as the lead's clock shows it."""
    return when.replace(tzinfo=ZoneInfo("UTC")).astimezone(lead_zone(lead))


def default_recall_on(campaign: Campaign, today: date | None = None) -> date:
    """The recall date a Nurture disposition offers: the campaign's recall delay from today."""
    return default_recall(today or utcnow().date(), campaign.nurture_recall_days)


@dataclass(frozen=True)
class RecallNote:
    """Why the lead on the call screen came back to the queue, for the agent who calls it next."""

    cause: str  # leads.rules.RecallCause
    words: str  # "rejected by sales as not ready"
    set_by: str
    set_on: date
    reason: str
    recall_on: date

    @property
    def sent_back_by_sales(self) -> bool:
        return self.cause == RecallCause.CLERICAL


def recall_note(call: Call) -> RecallNote | None:
    """The recall that brought this call's lead back (made before the call began), if one did."""
    recall = leads.latest_recall(call.lead_id)
    if recall is None or recall.created_at > call.started_at:
        return None
    return RecallNote(recall.cause, RecallCause.WORDS.get(recall.cause, recall.cause),
                      recall.created_by.full_name if recall.created_by else "the console", recall.created_at.date(),
                      recall.reason, recall.recall_on)


# --- Dispositions as each campaign has them ---------------------------------------------------------

def dispositions_for(campaign_id: int) -> tuple[rules.Disposition, ...]:
    """The dispositions with this campaign's next actions applied."""
    rows = db.session.connection().execute(_CAMPAIGN_SETTINGS, {"campaign_id": campaign_id})
    return rules.for_campaign({row.code: rules.SettingOverride(row.next_action, row.retry_minutes) for row in rows})


_CAMPAIGN_SETTINGS = select(DispositionSetting.code, DispositionSetting.next_action, DispositionSetting.retry_minutes) \
    .where(DispositionSetting.campaign_id == bindparam("campaign_id"))


@dataclass(frozen=True)
class DispositionChoice:
    code: str
    next_action: str
    retry_minutes: int | None


def save_disposition_settings(campaign: Campaign, actor, choices: list[DispositionChoice]) -> dict[str, list]:
    """Store the campaign's next action per disposition; a choice equal to the default removes the override.

    Returns {code: [old description, new description]} for the dispositions that changed (audited).
    """
    errors = {}
    for choice in choices:
        problems = rules.setting_errors(choice.code, choice.next_action, choice.retry_minutes)
        if problems:
            errors[choice.code] = problems[0]
    if errors:
        raise DispositionSettingsInvalid(errors)
    with writers.write_transaction(db.session):
        existing = {setting.code: setting for setting in
                    db.session.scalars(select(DispositionSetting).where(DispositionSetting.campaign_id == campaign.id))}
        before = {d.code: d for d in _effective(existing)}
        for choice in choices:
            default = rules.BY_CODE[choice.code]
            minutes = choice.retry_minutes if choice.next_action == rules.NextAction.RETRY_IN else 0
            setting = existing.get(choice.code)
            if choice.next_action == default.next_action and minutes == default.retry_minutes:
                if setting is not None:
                    db.session.delete(setting)
                    del existing[choice.code]
                continue
            if setting is None:
                setting = existing[choice.code] = DispositionSetting(campaign_id=campaign.id, code=choice.code)
            setting.next_action, setting.retry_minutes, setting.updated_by_id = choice.next_action, minutes, actor.id
            db.session.add(setting)
        after = {d.code: d for d in _effective(existing)}
        changed = {code: [before[code].next_action_label, after[code].next_action_label]
                   for code in after if before[code] != after[code]}
        if changed:
            audit.record("campaign.dispositions_changed", campaign, actor=actor, changes=changed)
    return changed


def _effective(settings: dict[str, DispositionSetting]):
    return rules.for_campaign({code: rules.SettingOverride(setting.next_action, setting.retry_minutes)
                               for code, setting in settings.items()})


# --- Recording a disposition ------------------------------------------------------------------------

@dataclass(frozen=True)
class AgreedStep:
    """The next step agreed with the prospect on a qualifying call (handoffs.models.NextStep), its time in naive
    UTC when it has one, and what was said."""

    step: str
    at: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class Referral:
    """The contact a wrong person pointed us to, as the agent typed it."""

    first_name: str = ""
    last_name: str = ""
    title: str = ""
    phone: str = ""

    @property
    def given(self) -> bool:
        return any(value.strip() for value in (self.first_name, self.last_name, self.title, self.phone))


def _add_referral(lead: Lead, call: Call, agent, referral: Referral) -> Lead:
    """Create the referred contact as a new lead on the same account, in the same campaign."""
    errors, phone = _referral_errors(lead, referral)
    if errors:
        raise ReferralInvalid(errors)
    contact = leads.create_lead(
        campaign_id=lead.campaign_id, account=lead.account, first_name=referral.first_name.strip(),
        last_name=referral.last_name.strip(), title=referral.title.strip() or None, phone=phone, source="referral")
    call.referral_lead_id = contact.id
    audit.record("lead.referral_added", contact, actor=agent, referred_by_lead_id=lead.id, call_id=call.id,
                 phone=phone)
    return contact


def _referral_errors(lead: Lead, referral: Referral) -> tuple[dict[str, str], str]:
    """What is wrong with the referred contact, field by field, and its number normalised."""
    errors: dict[str, str] = {}
    if not referral.first_name.strip():
        errors["referral_first_name"] = "Give the referred contact's first name."
    if not referral.last_name.strip():
        errors["referral_last_name"] = "Give the referred contact's last name."
    phone = ""
    if not referral.phone.strip():
        errors["referral_phone"] = "Give a phone number to reach them on."
    else:
        try:
            phone = normalise_phone(referral.phone, region_of(lead.phone))
        except InvalidPhoneNumber:
            errors["referral_phone"] = f"{referral.phone.strip()} is not a valid phone number."
    if phone and not errors:
        same_number = leads.campaign_leads_by(lead.campaign_id, Lead.phone, [phone])  # along the phone index
        existing = db.session.get(Lead, same_number[0][0]) if same_number else None
        if existing is not None:
            errors["referral_phone"] = f"{existing.full_name} already has this number in this campaign."
        elif do_not_call_list.is_listed(phone, lead.campaign_id):
            errors["referral_phone"] = "This number is on the do-not-call list."
    return errors, phone


def _add_to_do_not_call(lead: Lead, call: Call, agent) -> None:
    """The opt-out takes effect at once: on the global list (once per number), then suppressed in every queue."""
    entry = leads.add_to_do_not_call(lead.phone, reason="Opted out on a call", added_by_id=agent.id, call_id=call.id,
                                     source=DoNotCallSource.OPT_OUT)
    audit.record("lead.do_not_call", lead, actor=agent, phone=lead.phone, call_id=call.id,
                 already_listed=entry is None)


def record_disposition(call: Call, agent, code: str, *, notes: str | None = None,
                       callback_at: datetime | None = None, callback_anyone: bool = False,
                       referral: Referral | None = None, next_step: AgreedStep | None = None,
                       recall_on: date | None = None):
    """Close the call with a disposition and move the lead on; returns the hand-off for *Qualified*.

    *Qualified* hands over `next_step` (the call screen requires one; its time is checked as a callback's);
    *Nurture* recalls the lead on `recall_on` (default: the campaign's recall delay from today) with the call's
    notes as the reason the next agent reads.

    Every call ends here. Like the claim, the common case is a few SQL statements
    without loading ORM objects; only a referral, a hand-off or an opt-out loads the lead.

    A live phone call is hung up first, through the line it is on (console.calls.line): the disposition is
    checked, then the line ended (telephony commits its own request and the carrier's answer), then the
    call closed. A disposition that would be refused hangs nothing up; a carrier that refuses to hang up
    leaves the call open and nothing saved.
    """
    call_id, agent_id, agent_email = call.id, agent.id, agent.email  # read before a commit expires them
    _check_disposition(call, agent, code, callback_at=callback_at, referral=referral, next_step=next_step,
                       recall_on=recall_on)
    line.current().end_for_disposition(call, agent)
    with writers.write_transaction(db.session):  # a failure is rolled back at once, releasing the call row
        return _record_disposition(call_id, agent, agent_id, agent_email, code, notes=notes,
                                   callback_at=callback_at, callback_anyone=callback_anyone, referral=referral,
                                   next_step=next_step, recall_on=recall_on)


def _check_disposition(call: Call, agent, code: str, *, callback_at, referral, next_step, recall_on) -> None:
    """Everything the disposition's own transaction will check, read before the line is touched."""
    facts = _disposition_facts(call.id, lock=False)[1]
    _decide(facts, agent.id, code, callback_at, utcnow(), next_step=next_step, recall_on=recall_on)
    if code == "wrong_person" and referral is not None and referral.given:
        errors = _referral_errors(call.lead, referral)[0]
        if errors:
            raise ReferralInvalid(errors)


_calls, _leads = Call.__table__, Lead.__table__
_campaigns = Campaign.__table__
# What a disposition decides on, read in one statement inside its transaction.
_DISPOSITION_FACTS = (
    select(_calls.c.agent_id, _calls.c.status, _calls.c.lead_id, _calls.c.campaign_id,
           _leads.c.claimed_by_id, _leads.c.claim_expires_at, _leads.c.attempts, _leads.c.time_zones,
           _leads.c.state, _leads.c.do_not_call, _leads.c.inbound, _leads.c.window_key, _leads.c.source,
           _campaigns.c.max_attempts, _campaigns.c.min_retry_minutes, _campaigns.c.nurture_recall_days)
    .join(_leads, _leads.c.id == _calls.c.lead_id).join(_campaigns, _campaigns.c.id == _calls.c.campaign_id)
    .where(_calls.c.id == bindparam("call_id"))
)
_ANSWERS = select(QualificationAnswer.__table__.c.criterion, QualificationAnswer.__table__.c.value) \
    .where(QualificationAnswer.__table__.c.lead_id == bindparam("lead_id"))
_TOUCHES = select(Touch.__table__.c.kind, Touch.__table__.c.occurred_at) \
    .where(Touch.__table__.c.lead_id == bindparam("lead_id"))
_CLOSE_CALL = update(_calls).where(_calls.c.id == bindparam("call_id"))


def _disposition_facts(call_id: int, lock: bool = True):
    """Read what the disposition decides on (on PostgreSQL locking the call's row: a disposition sent
    twice, from two tabs or a double Ctrl+Enter, is applied once)."""
    statement = _DISPOSITION_FACTS
    if lock and db.engine.dialect.name != "sqlite":
        statement = _DISPOSITION_FACTS.with_for_update(of=_calls)
    connection = db.session.connection()
    return connection, connection.execute(statement, {"call_id": call_id}).one_or_none()


def _decide(facts, agent_id: int, code: str, callback_at, now: datetime, *, next_step: AgreedStep | None = None,
            recall_on: date | None = None):
    """May this agent close the call with this disposition now? Raises the refusal; else returns
    (disposition, callback time or None, recall date or None, scoring model, answers, score)."""
    if facts is None:
        raise NotYourCall(rules.Refusal.MESSAGES[rules.Refusal.NOT_YOURS])
    refuse(rules.work_refusal(agent_id, facts.agent_id, facts.status, facts.claimed_by_id, facts.claim_expires_at,
                              now))
    disposition = next((d for d in dispositions_for(facts.campaign_id) if d.code == code), None)
    if disposition is None:
        raise CallError(f"Unknown disposition {code!r}.")
    if disposition.next_action == rules.NextAction.CALLBACK:
        problem = rules.callback_problem(callback_at, now)
        if problem:
            raise CallError(problem)
    else:
        callback_at = None
    if disposition.next_action == rules.NextAction.RECALL:
        recall_on = recall_on or default_recall(now.date(), facts.nurture_recall_days)
        problem = rules.recall_problem(recall_on, now.date())
        if problem:
            raise CallError(problem)
    else:
        recall_on = None
    if disposition.next_action == rules.NextAction.HANDOFF and next_step is not None:
        problems = rules.next_step_problems(next_step.step, next_step.at, now, labels=NextStep.LABELS,
                                            timed=NextStep.TIMED)
        if problems:
            raise NextStepInvalid(problems)
    model = current_model(facts.campaign_id)
    answers = dict(db.session.connection().execute(_ANSWERS, {"lead_id": facts.lead_id}).all())
    score = scoring.score(answers, model, touches_of(facts.lead_id, model), now, source=facts.source)
    if disposition.next_action == rules.NextAction.HANDOFF and not score.can_qualify:
        raise QualificationIncomplete(score)
    return disposition, callback_at, recall_on, model, answers, score


def _record_disposition(call_id: int, agent, agent_id: int, agent_email: str, code: str, *,
                        notes, callback_at, callback_anyone, referral, next_step, recall_on):
    connection, facts = _disposition_facts(call_id)
    now = utcnow()
    disposition, callback_at, recall_on, model, answers, score = _decide(
        facts, agent_id, code, callback_at, now, next_step=next_step, recall_on=recall_on)

    closed = {"disposition": code, "status": CallStatus.COMPLETED, "ended_at": now,
              "next_action": disposition.next_action, "callback_at": callback_at}
    if notes is not None:
        closed["notes"] = notes
    connection.execute(_CLOSE_CALL, {"call_id": call_id, **closed})  # the keys are the columns SET

    attempts = facts.attempts + 1
    placement = rules.placement_after(disposition, now=now, callback_at=callback_at, attempts=attempts,
                                      max_attempts=facts.max_attempts, min_retry_minutes=facts.min_retry_minutes,
                                      recall_on=recall_on)
    if placement.new_round:
        attempts = 0
    owner = agent_id if placement.queue_state == QueueState.CALLBACK and not callback_anyone else None
    points, band = scoring.stored_score(score)
    after = LeadState(
        queue_state=placement.queue_state, zones=tuple(stored_zones(facts.time_zones)),
        state=facts.state, do_not_call=bool(facts.do_not_call), attempts=attempts, last_called_at=now,
        next_call_at=placement.next_call_at, callback_owner_id=owner, inbound=bool(facts.inbound),
        score=points)
    leads.place_after_call(connection, facts.lead_id, after, now=now, stored_window_key=facts.window_key,
                           score_band=band, score_model_version=score.model_version,
                           stage=disposition.stage)
    if recall_on is not None:
        reason = notes if notes is not None else connection.scalar(select(_calls.c.notes).where(_calls.c.id == call_id))
        leads.note_recall(facts.lead_id, recall_on, cause=RecallCause.NURTURE, reason=reason or "",
                          actor_id=agent_id, call_id=call_id)

    handoff = None
    if (code == "wrong_person" and referral is not None and referral.given) or code == "do_not_call" \
            or disposition.next_action == rules.NextAction.HANDOFF:
        call, lead = db.session.get(Call, call_id), db.session.get(Lead, facts.lead_id)  # as just written
        if code == "wrong_person":
            _add_referral(lead, call, agent, referral)
        if disposition.next_action == rules.NextAction.HANDOFF:
            handoff = handoffs.create_handoff(lead, call, agent, score,
                                              scoring.explain_answers(answers, model, facts.source), answers_for(lead),
                                              next_step=next_step.step if next_step else None,
                                              next_step_at=next_step.at if next_step else None,
                                              next_step_note=next_step.note if next_step else None)
        if code == "do_not_call":
            _add_to_do_not_call(lead, call, agent)
    audit.write("call.dispositioned", "Call", call_id, actor_id=agent_id, actor_email=agent_email, at=now,
                lead_id=facts.lead_id, disposition=code, next_action=disposition.next_action)
    return handoff


# --- The agent's pace: wrap-up, seconds between calls, auto-advance ----------------------------------

def auto_advance_enabled(agent) -> bool:
    settings = db.session.get(AgentSettings, agent.id)
    return True if settings is None else settings.auto_advance


def set_auto_advance(agent, enabled: bool) -> None:
    with writers.write_transaction(db.session):
        settings = db.session.get(AgentSettings, agent.id)
        if settings is None:
            settings = AgentSettings(user_id=agent.id)
            db.session.add(settings)
        settings.auto_advance = enabled


class AgentState:
    READY = "ready"  # a lead open, nothing dialled yet
    DIALLING = "dialling"
    ON_CALL = "on_call"  # the lead is on the line
    WRAP_UP = "wrap_up"
    IDLE = "idle"
    LABELS = {READY: "Lead open, not dialled", DIALLING: "Dialling", ON_CALL: "On a call", WRAP_UP: "Wrap-up",
              IDLE: "Not on a call"}


@dataclass(frozen=True)
class AgentStatus:
    state: str
    since: datetime | None
    call_id: int | None
    auto_advance: bool
    due_callbacks: int

    @property
    def label(self) -> str:
        return AgentState.LABELS[self.state]


# The top bar's state while a lead is open follows its line (console.calls.line), and its clock counts from
# the same moment as the dialer's: the answer while on the line, the dial while dialling, the hang-up after.
_STATE_OF_LINE = {line.LinePhase.NONE: AgentState.READY, line.LinePhase.DIALLING: AgentState.DIALLING,
                  line.LinePhase.CONNECTED: AgentState.ON_CALL, line.LinePhase.ENDED: AgentState.WRAP_UP}
# Everything the top bar says about an agent, in one statement (every page an agent opens shows it): the call
# they hold (HELD_CALL_SQL, as current_call reads it), their callbacks due, auto-advance (no settings row: on)
# and their last disposition.
_AGENT_STATUS = text(
    "SELECT held.id AS call_id, held.started_at AS call_started_at,"
    f" (SELECT count(*) FROM leads WHERE queue_state = '{QueueState.CALLBACK}' AND callback_owner_id = :agent_id"
    " AND next_call_at <= :now) AS due_callbacks,"
    " (SELECT auto_advance FROM agent_settings WHERE user_id = :agent_id) AS auto_advance,"
    f" (SELECT max(ended_at) FROM calls WHERE agent_id = :agent_id AND status = '{CallStatus.COMPLETED}')"
    " AS previous_end"
    f" FROM (SELECT 1 AS one) AS one LEFT JOIN calls AS held ON held.id = ({HELD_CALL_SQL})"
).bindparams(bindparam("now", type_=DateTime())).columns(
    column("call_id", Integer), column("call_started_at", DateTime), column("due_callbacks", Integer),
    column("auto_advance", Boolean), column("previous_end", DateTime))


def agent_status(agent, now: datetime | None = None) -> AgentStatus:
    """Lead open, dialling, on a call, in wrap-up (hung up, or dispositioned and the next lead not yet
    claimed) or not working, for the top bar."""
    now = now or utcnow()
    row = db.session.execute(_AGENT_STATUS, {"agent_id": agent.id, "now": now}).one()
    auto = True if row.auto_advance is None else bool(row.auto_advance)
    due = row.due_callbacks or 0
    if row.call_id is not None:
        state = line.current().state(row.call_id)
        return AgentStatus(_STATE_OF_LINE[state.phase], state.since, row.call_id, auto, due)
    last = row.previous_end
    if last is not None and now - last <= rules.BREAK_AFTER:
        return AgentStatus(AgentState.WRAP_UP, last, None, auto, due)
    return AgentStatus(AgentState.IDLE, None, None, auto, due)


# Time between calls is reported over the agent's shift; twelve hours covers any shift without a clock zone.
SHIFT = timedelta(hours=12)


@dataclass(frozen=True)
class AgentPace:
    calls: int
    average_seconds_between_calls: int | None
    gaps_measured: int


def agent_pace(agent, now: datetime | None = None, window: timedelta = SHIFT) -> AgentPace:
    """Calls dispositioned in the window and the average seconds between them."""
    since = (now or utcnow()) - window
    calls, average, gaps = db.session.execute(
        select(func.count(Call.id).filter(Call.status == CallStatus.COMPLETED),
               func.avg(Call.seconds_since_previous_call),
               func.count(Call.seconds_since_previous_call))
        .where(Call.agent_id == agent.id, Call.started_at >= since)
    ).one()
    return AgentPace(calls or 0, round(average) if average is not None else None, gaps or 0)


# --- Callbacks -------------------------------------------------------------------------------------

@dataclass
class Callback:
    lead: Lead
    due_at: datetime
    set_by: str = ""
    note: str = ""
    due: bool = False
    local_due_at: datetime | None = None


@dataclass
class CallbackList:
    mine: list[Callback] = field(default_factory=list)
    anyone: list[Callback] = field(default_factory=list)


def upcoming_callbacks(agent, now: datetime | None = None, limit: int = 100) -> CallbackList:
    """The agent's own callbacks, and the ones any agent may take, soonest first."""
    now = now or utcnow()
    leads_due = db.session.scalars(
        select(Lead).options(selectinload(Lead.account), selectinload(Lead.campaign))
        .where(Lead.queue_state == QueueState.CALLBACK,
               or_(Lead.callback_owner_id == agent.id, Lead.callback_owner_id.is_(None)))
        .order_by(Lead.next_call_at, Lead.id).limit(limit)
    ).all()
    setting_calls = {}
    if leads_due:
        for call in db.session.scalars(
                select(Call).options(selectinload(Call.agent))
                .where(Call.lead_id.in_([lead.id for lead in leads_due]), Call.disposition == "callback")
                .order_by(Call.id)):
            setting_calls[call.lead_id] = call  # the latest wins
    result = CallbackList()
    for lead in leads_due:
        call = setting_calls.get(lead.id)
        entry = Callback(lead=lead, due_at=lead.next_call_at, due=lead.next_call_at is not None and lead.next_call_at <= now,
                         set_by=call.agent.full_name if call else "", note=call.notes if call else "",
                         local_due_at=local_time(lead.next_call_at, lead) if lead.next_call_at else None)
        (result.mine if lead.callback_owner_id == agent.id else result.anyone).append(entry)
    return result


# --- What the call screen shows --------------------------------------------------------------------

# The call screen's call, with what the page shows of it, in one statement (the touches: one more).
CALL_SCREEN_LOADS = (
    joinedload(Call.lead).joinedload(Lead.campaign),
    joinedload(Call.lead).joinedload(Lead.account),
    joinedload(Call.lead).joinedload(Lead.touches),
    # The guide's content is read only when this process has not rendered the version yet
    # (console.guides.services.prepared_guide).
    joinedload(Call.guide_version).defer(GuideVersion.content),
)


def earlier_calls(call: Call) -> list[Call]:
    """The lead's other calls, newest first, with who made them and whom they referred (one statement)."""
    return list(db.session.scalars(
        select(Call).options(joinedload(Call.agent), joinedload(Call.referral_lead))
        .where(Call.lead_id == call.lead_id, Call.id != call.id).order_by(Call.started_at.desc())))


def attempt_number(call: Call, earlier: list[Call]) -> int:
    """Which attempt on the lead this call is: the next one while it is open (the lead counts the attempts
    made), else one more than the dispositioned calls before it."""
    if call.is_open:
        return call.lead.attempts + 1
    return 1 + sum(1 for other in earlier if other.status == CallStatus.COMPLETED and other.id < call.id)


def completed_calls(lead_id: int) -> list[Call]:
    """Every finished call on a lead, newest first, with its agent and guide version (the hand-off packet)."""
    return list(db.session.scalars(
        select(Call).options(selectinload(Call.agent), selectinload(Call.guide_version))
        .where(Call.lead_id == lead_id, Call.status == CallStatus.COMPLETED).order_by(Call.started_at.desc())))


def colleagues_at_account(lead: Lead, limit: int = 10) -> list[Lead]:
    """Other contacts at the same account: the buying centre the agent may be referred to."""
    return list(db.session.scalars(
        select(Lead).where(Lead.account_id == lead.account_id, Lead.id != lead.id).order_by(Lead.last_name).limit(limit)))
