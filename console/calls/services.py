"""The agent's work on a claimed lead: answers, notes, dispositions, referrals, callbacks and pace.

This is the only code that changes a lead once it is claimed (claiming itself is
console.queue.services). Every function commits once at the end, or raises a
domain error and leaves the database as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, or_, select, update

from console.audit import services as audit
from console.calls import rules
from console.calls.models import AgentSettings, Call, CallStatus, DispositionSetting, QualificationAnswer
from console.campaigns.models import Campaign
from console.clock import utcnow
from console.extensions import db
from console.handoffs import services as handoffs
from console.leads.models import DoNotCallEntry, Lead, QueueState, lead_queue_fields
from console.leads.rules import InvalidPhoneNumber, normalise_phone, stored_zones, zones_for_phone
from console.queue import rules as queue_rules
from console.queue import services as queue
from console.database import writers
from console.queue.services import CallError, NotYourCall  # noqa: F401  (shared domain errors, re-exported)
from console.scoring import rules as scoring


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


def _own_open_call(call: Call, agent) -> None:
    _refuse_unless_own_open_call(agent.id, call.agent_id, call.status, call.lead.claimed_by_id,
                                 call.lead.claim_expires_at)


def _refuse_unless_own_open_call(agent_id: int, call_agent_id: int | None, status: str | None,
                                 claimed_by_id: int | None, claim_expires_at: datetime | None) -> None:
    """The agent may write to this call only while it is theirs, open, and their hold on the lead runs."""
    if call_agent_id != agent_id:
        raise NotYourCall("This call belongs to another agent.")
    if status != CallStatus.OPEN:
        raise CallError("This call is already closed.")
    if claimed_by_id != agent_id or (claim_expires_at and claim_expires_at < utcnow()):
        raise CallError("Your hold on this lead lapsed; it went back to the queue. Press Next lead.")


def answers_for(lead: Lead) -> dict[str, QualificationAnswer]:
    return {answer.criterion: answer for answer in
            db.session.scalars(select(QualificationAnswer).where(QualificationAnswer.lead_id == lead.id))}


def score_lead(lead: Lead) -> scoring.Score:
    return scoring.score({key: answer.value for key, answer in answers_for(lead).items()})


def _bump_version(lead: Lead, expected_version: int | None) -> None:
    """Move the lead to its next version, refusing if it is no longer at the one the agent's page showed.

    One conditional UPDATE, so two saves racing from two windows cannot both pass the check.
    """
    if expected_version is None:
        lead.version += 1
        return
    bumped = db.session.execute(
        update(Lead).where(Lead.id == lead.id, Lead.version == expected_version)
        .values(version=Lead.version + 1).execution_options(synchronize_session=False)
    ).rowcount
    if bumped != 1:
        raise StaleSave("Not saved: this lead changed since your page loaded (an answer was saved in another "
                        "window, or by someone else). Reload to see the latest answers, then change it again.")
    db.session.refresh(lead, ["version"])


def save_answer(call: Call, agent, criterion_key: str, value: str, expected_version: int | None = None) -> scoring.Score:
    """Save one qualification answer and rescore the lead; an empty value clears the answer.

    `expected_version` is the lead version the agent's page was drawn with: a save
    made against an older page is refused with StaleSave instead of overwriting.
    """
    writers.begin_immediate(db.session)  # the call and lead are read afresh inside it
    _own_open_call(call, agent)
    criterion = scoring.DEFAULT_MODEL.criterion(criterion_key)
    if criterion is None:
        raise CallError(f"Unknown qualification field {criterion_key!r}.")
    if value and criterion.option(value) is None:
        raise CallError(f"{value!r} is not an answer to {criterion.label}.")
    lead = call.lead
    _bump_version(lead, expected_version)
    answer = answers_for(lead).get(criterion_key)
    if not value:
        if answer is not None:
            db.session.delete(answer)
    elif answer is None:
        db.session.add(QualificationAnswer(lead_id=lead.id, criterion=criterion_key, value=value,
                                           call_id=call.id, answered_by_id=agent.id))
    else:
        answer.value, answer.call_id, answer.answered_by_id = value, call.id, agent.id
    db.session.flush()
    result = score_lead(lead)
    lead.score, lead.score_band = result.points, result.band
    audit.record("lead.answer_saved", lead, actor=agent, criterion=criterion_key, value=value, call_id=call.id)
    db.session.commit()
    return result


def save_notes(call: Call, agent, notes: str) -> None:
    writers.begin_immediate(db.session)  # the call and lead are read afresh inside it
    _own_open_call(call, agent)
    if notes != call.notes:
        call.notes = notes
        audit.record("call.notes_saved", call, actor=agent, lead_id=call.lead_id, length=len(notes))
    db.session.commit()


def lead_zone(lead: Lead) -> ZoneInfo:
    """The zone a callback time is typed in: the lead's first known zone, else UTC."""
    return ZoneInfo(lead.zone_list[0]) if lead.zone_list else ZoneInfo("UTC")


def callback_time_utc(local_value: datetime, lead: Lead) -> datetime:
    """A callback time typed in the lead's local time, as naive UTC."""
    return local_value.replace(tzinfo=lead_zone(lead)).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def local_time(when: datetime, lead: Lead) -> datetime:
    """A stored (naive UTC) time as the lead's clock shows it."""
    return when.replace(tzinfo=ZoneInfo("UTC")).astimezone(lead_zone(lead))


# --- Dispositions as each campaign has them ---------------------------------------------------------

def dispositions_for(campaign_id: int) -> tuple[rules.Disposition, ...]:
    """The dispositions with this campaign's next actions applied."""
    rows = db.session.connection().execute(_CAMPAIGN_SETTINGS, {"campaign_id": campaign_id})
    return rules.for_campaign({row.code: rules.SettingOverride(row.next_action, row.retry_minutes) for row in rows})


_CAMPAIGN_SETTINGS = select(DispositionSetting.code, DispositionSetting.next_action, DispositionSetting.retry_minutes) \
    .where(DispositionSetting.campaign_id == bindparam("campaign_id"))


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
            phone = normalise_phone(referral.phone, rules.region_of(lead.phone))
        except InvalidPhoneNumber:
            errors["referral_phone"] = f"{referral.phone.strip()} is not a valid phone number."
    if phone and not errors:
        existing = db.session.scalar(select(Lead).where(Lead.campaign_id == lead.campaign_id, Lead.phone == phone))
        if existing is not None:
            errors["referral_phone"] = f"{existing.full_name} already has this number in this campaign."
        elif db.session.scalar(select(DoNotCallEntry.id).where(
                DoNotCallEntry.phone == phone,
                or_(DoNotCallEntry.campaign_id.is_(None), DoNotCallEntry.campaign_id == lead.campaign_id)).limit(1)):
            errors["referral_phone"] = "This number is on the do-not-call list."
    if errors:
        raise ReferralInvalid(errors)
    contact = Lead(
        campaign_id=lead.campaign_id, account_id=lead.account_id,
        first_name=referral.first_name.strip(), last_name=referral.last_name.strip(),
        title=referral.title.strip() or None, phone=phone, time_zones=",".join(zones_for_phone(phone)),
        source="referral",
    )
    db.session.add(contact)
    db.session.flush()
    call.referral_lead_id = contact.id
    audit.record("lead.referral_added", contact, actor=agent, referred_by_lead_id=lead.id, call_id=call.id,
                 phone=phone)
    return contact


def _add_to_do_not_call(lead: Lead, call: Call, agent) -> None:
    """The opt-out takes effect at once: on the global list (once per number), then suppressed in every queue."""
    already = db.session.scalar(select(DoNotCallEntry.id).where(
        DoNotCallEntry.phone == lead.phone, DoNotCallEntry.campaign_id.is_(None)).limit(1))
    if already is None:
        db.session.add(DoNotCallEntry(phone=lead.phone, reason="Opted out on a call", added_by_id=agent.id,
                                      call_id=call.id))
        db.session.flush()
    # Take the number out of every queue now, even when the entry already existed (then no ORM hook fires).
    queue.suppress_number(lead.phone)
    audit.record("lead.do_not_call", lead, actor=agent, phone=lead.phone, call_id=call.id,
                 already_listed=already is not None)


def record_disposition(call: Call, agent, code: str, *, notes: str | None = None,
                       callback_at: datetime | None = None, callback_anyone: bool = False,
                       referral: Referral | None = None):
    """Close the call with a disposition and move the lead on; returns the hand-off for *Qualified*.

    Every call ends here, so on SQLite it queues for the writer turn like a
    claim does (console/database/writers.py) and ends its transaction inside it.
    Like the claim, the common case is a few SQL statements without loading ORM
    objects; only a referral, a hand-off or an opt-out loads the lead.
    """
    call_id, agent_id, agent_email = call.id, agent.id, agent.email  # read before a commit expires them
    with writers.writer_turn(db.session):  # a failure is rolled back at once, releasing the call row
        return _record_disposition(call_id, agent, agent_id, agent_email, code, notes=notes,
                                   callback_at=callback_at, callback_anyone=callback_anyone, referral=referral)


_calls, _leads = Call.__table__, Lead.__table__
_campaigns = Campaign.__table__
# What a disposition decides on, read in one statement inside its transaction.
_DISPOSITION_FACTS = (
    select(_calls.c.agent_id, _calls.c.status, _calls.c.lead_id, _calls.c.campaign_id,
           _leads.c.claimed_by_id, _leads.c.claim_expires_at, _leads.c.attempts, _leads.c.time_zones,
           _leads.c.state, _leads.c.do_not_call, _leads.c.inbound, _leads.c.window_key,
           _campaigns.c.max_attempts, _campaigns.c.min_retry_minutes)
    .join(_leads, _leads.c.id == _calls.c.lead_id).join(_campaigns, _campaigns.c.id == _calls.c.campaign_id)
    .where(_calls.c.id == bindparam("call_id"))
)
_ANSWERS = select(QualificationAnswer.__table__.c.criterion, QualificationAnswer.__table__.c.value) \
    .where(QualificationAnswer.__table__.c.lead_id == bindparam("lead_id"))
_CLOSE_CALL = update(_calls).where(_calls.c.id == bindparam("call_id"))
_MOVE_LEAD = update(_leads).where(_leads.c.id == bindparam("lead_id")).values(version=_leads.c.version + 1)


def _begin_disposition(call_id: int):
    """Start the disposition's transaction and read its facts (on PostgreSQL, locking the call's row:
    a disposition sent twice, from two tabs or a double Ctrl+Enter, is applied once)."""
    if db.engine.dialect.name == "sqlite":
        connection = db.session.connection()  # BEGIN IMMEDIATE, in the writer turn record_disposition holds
        statement = _DISPOSITION_FACTS
    else:
        db.session.expire_all()  # READ COMMITTED reads afresh; loaded objects must too
        connection = db.session.connection()
        statement = _DISPOSITION_FACTS.with_for_update(of=_calls)
    return connection, connection.execute(statement, {"call_id": call_id}).one_or_none()


def _record_disposition(call_id: int, agent, agent_id: int, agent_email: str, code: str, *,
                        notes, callback_at, callback_anyone, referral):
    connection, facts = _begin_disposition(call_id)
    if facts is None:
        raise NotYourCall("This call belongs to another agent.")
    _refuse_unless_own_open_call(agent_id, facts.agent_id, facts.status, facts.claimed_by_id, facts.claim_expires_at)
    now = utcnow()
    disposition = next((d for d in dispositions_for(facts.campaign_id) if d.code == code), None)
    if disposition is None:
        raise CallError(f"Unknown disposition {code!r}.")
    if disposition.next_action == rules.NextAction.CALLBACK:
        if callback_at is None:
            raise CallError("Call back needs a date and time.")
        if callback_at <= now:
            raise CallError("Call back time must be in the future.")
    else:
        callback_at = None
    score = scoring.score(dict(connection.execute(_ANSWERS, {"lead_id": facts.lead_id}).all()))
    if disposition.next_action == rules.NextAction.HANDOFF and not score.can_qualify:
        raise QualificationIncomplete(score)

    closed = {"disposition": code, "status": CallStatus.COMPLETED, "ended_at": now,
              "next_action": disposition.next_action, "callback_at": callback_at}
    if notes is not None:
        closed["notes"] = notes
    connection.execute(_CLOSE_CALL, {"call_id": call_id, **closed})  # the keys are the columns SET

    attempts = facts.attempts + 1
    placement = rules.placement_after(disposition, now=now, callback_at=callback_at, attempts=attempts,
                                      max_attempts=facts.max_attempts, min_retry_minutes=facts.min_retry_minutes)
    owner = agent_id if placement.queue_state == QueueState.CALLBACK and not callback_anyone else None
    after = queue_rules.LeadState(
        queue_state=placement.queue_state, zones=tuple(stored_zones(facts.time_zones)),
        state=facts.state, do_not_call=bool(facts.do_not_call), attempts=attempts, last_called_at=now,
        next_call_at=placement.next_call_at, callback_owner_id=owner, inbound=bool(facts.inbound),
        score=score.points)
    moved = {"attempts": attempts, "last_called_at": now, "claimed_by_id": None, "claim_expires_at": None,
             "score": score.points, "score_band": score.band, "queue_state": placement.queue_state,
             "next_call_at": placement.next_call_at, "callback_owner_id": owner, "updated_at": now,
             **lead_queue_fields(after, now, facts.window_key)}
    if disposition.stage:
        moved["stage"] = disposition.stage
    connection.execute(_MOVE_LEAD, {"lead_id": facts.lead_id, **moved})

    handoff = None
    if (code == "wrong_person" and referral is not None and referral.given) or code == "do_not_call" \
            or disposition.next_action == rules.NextAction.HANDOFF:
        call, lead = db.session.get(Call, call_id), db.session.get(Lead, facts.lead_id)  # as just written
        if code == "wrong_person":
            _add_referral(lead, call, agent, referral)
        if disposition.next_action == rules.NextAction.HANDOFF:
            handoff = handoffs.create_handoff(lead, call, agent, score, answers_for(lead))
        if code == "do_not_call":
            _add_to_do_not_call(lead, call, agent)
    audit.write("call.dispositioned", "Call", call_id, actor_id=agent_id, actor_email=agent_email, at=now,
                lead_id=facts.lead_id, disposition=code, next_action=disposition.next_action)
    db.session.commit()
    return handoff


# --- The agent's pace: wrap-up, seconds between calls, auto-advance ----------------------------------

def _previous_disposition_at(connection, agent_id: int) -> datetime | None:
    return connection.scalar(select(func.max(Call.ended_at)).where(
        Call.agent_id == agent_id, Call.status == CallStatus.COMPLETED))


def auto_advance_enabled(agent) -> bool:
    settings = db.session.get(AgentSettings, agent.id)
    return True if settings is None else settings.auto_advance


def set_auto_advance(agent, enabled: bool) -> None:
    settings = db.session.get(AgentSettings, agent.id)
    if settings is None:
        settings = AgentSettings(user_id=agent.id)
        db.session.add(settings)
    settings.auto_advance = enabled
    db.session.commit()


def claim_after_disposition(agent) -> Call | None:
    """Auto-advance: the next lead's call, or None when paused or when nothing is dialable."""
    if not auto_advance_enabled(agent):
        return None
    return queue.claim_next_lead(agent)


class AgentState:
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    IDLE = "idle"
    LABELS = {ON_CALL: "On a call", WRAP_UP: "Wrap-up", IDLE: "Not on a call"}


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


def agent_status(agent, now: datetime | None = None) -> AgentStatus:
    """On a call, in wrap-up (dispositioned, next lead not yet claimed) or not working, for the top bar."""
    now = now or utcnow()
    current = queue.current_call(agent)
    due = db.session.scalar(select(func.count(Lead.id)).where(
        Lead.queue_state == QueueState.CALLBACK, Lead.callback_owner_id == agent.id, Lead.next_call_at <= now))
    auto = auto_advance_enabled(agent)
    if current is not None:
        return AgentStatus(AgentState.ON_CALL, current.started_at, current.id, auto, due)
    last = _previous_disposition_at(db.session, agent.id)
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
    leads = db.session.scalars(
        select(Lead).where(Lead.queue_state == QueueState.CALLBACK,
                           or_(Lead.callback_owner_id == agent.id, Lead.callback_owner_id.is_(None)))
        .order_by(Lead.next_call_at, Lead.id).limit(limit)
    ).all()
    setting_calls = {}
    if leads:
        for call in db.session.scalars(
                select(Call).where(Call.lead_id.in_([lead.id for lead in leads]), Call.disposition == "callback")
                .order_by(Call.id)):
            setting_calls[call.lead_id] = call  # the latest wins
    result = CallbackList()
    for lead in leads:
        call = setting_calls.get(lead.id)
        entry = Callback(lead=lead, due_at=lead.next_call_at, due=lead.next_call_at is not None and lead.next_call_at <= now,
                         set_by=call.agent.full_name if call else "", note=call.notes if call else "",
                         local_due_at=local_time(lead.next_call_at, lead) if lead.next_call_at else None)
        (result.mine if lead.callback_owner_id == agent.id else result.anyone).append(entry)
    return result


# --- What the call screen shows --------------------------------------------------------------------

def earlier_calls(call: Call) -> list[Call]:
    return list(db.session.scalars(
        select(Call).where(Call.lead_id == call.lead_id, Call.id != call.id).order_by(Call.started_at.desc())))


def colleagues_at_account(lead: Lead, limit: int = 10) -> list[Lead]:
    """Other contacts at the same account: the buying centre the agent may be referred to."""
    return list(db.session.scalars(
        select(Lead).where(Lead.account_id == lead.account_id, Lead.id != lead.id).order_by(Lead.last_name).limit(limit)))
