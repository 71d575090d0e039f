"""The lead record: finding a lead among a million, its page, and its one timeline of everything that happened to it.

Reads only: a lead's contact data is changed by console.leads.services.update_contact, the one writer of leads.
The search reads indexes in their own order and never sorts a whole match set (lead_record.rules.LeadQuery
says which index each part of the typed text uses); the timeline is a list of plain events
(lead_record.rules.TimelineEvent) built from each kind of record in one statement.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, not_, select, text
from sqlalchemy.orm import joinedload

from console.audit.models import AuditEvent
from console.auth.models import User
from console.calls import services as calls
from console.calls.models import Call
from console.calls.rules import BY_CODE as DISPOSITIONS
from console.campaigns.models import Campaign
from console.compliance import services as do_not_call_list
from console.compliance.models import DoNotCallSource
from console.extensions import db
from console.guides.models import GuideVersion
from console.handoffs.models import Handoff, HandoffStatus
from console.lead_record.rules import (
    AnswerReplay, EventKind, LeadQuery, SearchKind, TimelineEvent, describe_change, newest_first, prefix_range,
)
from console.leads.models import STAGE_MOVED, Account, Lead, LeadList
from console.leads.rules import CONTACT_LABELS, Stage, format_phone
from console.queue import services as queue
from console.scoring import rules as scoring
from console.scoring.services import current_model, model_version
from console.telephony import rules as telephony_rules
from console.telephony import services as telephony
from console.telephony.models import PhoneCall, Recording
from console.web import path_for

PER_PAGE = 50
# Past this page the search stops: 10,000 pages of 50 is every lead of a very large campaign.
MAX_PAGE = 10_000


# ---------------------------------------------------------------- the search

@dataclass(frozen=True)
class LeadFilters:
    campaign_id: int | None = None
    stage: str | None = None
    band: str | None = None
    lead_list_id: int | None = None

    def conditions(self, *, driving: bool) -> list:
        """The filters as SQL. `driving`: they choose the index (the filters alone, newest first); else they only
        check the rows another index reads (a text search), written so that no database picks a campaign's or a
        list's index over the text's: that would read and sort every lead of a million-lead campaign."""
        conditions = []
        # One index drives: a list's (a list belongs to one campaign), else a later stage's (they are the rarer),
        # else a campaign's.
        by_stage = driving and self.lead_list_id is None and self.stage not in (None, "", Stage.LEAD)
        campaign_id = Lead.campaign_id if driving and self.lead_list_id is None and not by_stage \
            else Lead.campaign_id + 0
        lead_list_id = Lead.lead_list_id if driving else Lead.lead_list_id + 0
        if self.campaign_id is not None:
            conditions.append(campaign_id == self.campaign_id)
        if self.stage:
            conditions.append(Lead.stage == self.stage)
            if by_stage:
                conditions.append(text(STAGE_MOVED))  # the partial index's own condition, so that it is used
        if self.band:
            conditions.append(Lead.score_band == self.band)
        if self.lead_list_id is not None:
            conditions.append(lead_list_id == self.lead_list_id)
        return conditions


@dataclass
class Found:
    lead: Lead
    matched: str  # what matched: "last name", "company", "phone", "email", "external id", "" (filters only)


@dataclass
class SearchResults:
    query: LeadQuery
    found: list[Found]
    page: int
    has_more: bool

    @property
    def first_number(self) -> int:
        return (self.page - 1) * PER_PAGE + 1


def _branches(query: LeadQuery) -> list[tuple[str, object]]:
    """(what matched, SELECT of lead ids in the order its index reads them), most precise first."""
    branches = []
    every_campaign = select(Campaign.id).scalar_subquery()
    if query.external_id:
        # The campaign-then-id index, probed once per campaign (there are tens of campaigns, not thousands).
        branches.append(("external id", select(Lead.id).where(Lead.campaign_id.in_(every_campaign),
                                                              Lead.external_id == query.external_id)
                         .order_by(Lead.id)))
    if query.kind == SearchKind.PHONE:
        if query.phone:
            branches.append(("phone", select(Lead.id).where(Lead.phone == query.phone).order_by(Lead.id)))
        elif query.phone_prefix:
            low, high = query.phone_prefix, query.phone_prefix + "~"  # "~" sorts after every digit
            branches.append(("phone", select(Lead.id).where(Lead.phone >= low, Lead.phone < high)
                             .order_by(Lead.phone, Lead.id)))
    elif query.kind == SearchKind.EMAIL:
        branches.append(("email", select(Lead.id).where(Lead.campaign_id.in_(every_campaign),
                                                        Lead.email.in_(query.emails)).order_by(Lead.id)))
    elif query.kind == SearchKind.WORDS:
        last_name = func.lower(Lead.last_name)
        low, high = prefix_range(query.name_prefix)
        named = and_(last_name >= low, last_name < high)
        branches.append(("last name", select(Lead.id).where(named).order_by(last_name, Lead.id)))
        if query.last_name_prefix:
            first_low, first_high = prefix_range(query.first_name_prefix)
            last_low, last_high = prefix_range(query.last_name_prefix)
            first_name = func.lower(Lead.first_name)
            branches.append(("name", select(Lead.id).where(
                last_name >= last_low, last_name < last_high, first_name >= first_low, first_name < first_high)
                .order_by(last_name, Lead.id)))
        company = func.lower(Account.name)
        branches.append(("company", select(Lead.id).join(Account, Account.id == Lead.account_id)
                         .where(company >= low, company < high, not_(named))
                         .order_by(company, Account.id, Lead.last_name, Lead.id)))
    return branches


def search_leads(query: LeadQuery, filters: LeadFilters, page: int = 1) -> SearchResults:
    """One page of the leads the text and the filters find.

    Text: each way it may match (lead_record.rules.LeadQuery) is read from its index in that index's order,
    only as far as this page needs, the filters applied on the way; the pages list the precise matches
    first (an external id, the number), then last names, then companies. No text: the filters alone,
    newest lead first. A typed word shorter than two letters finds nothing but an external id.
    """
    page = max(1, min(page, MAX_PAGE))
    offset = (page - 1) * PER_PAGE
    wanted = offset + PER_PAGE + 1
    matched: dict[int, str] = {}
    if query.kind == SearchKind.EVERYTHING:
        ids = list(db.session.scalars(select(Lead.id).where(*filters.conditions(driving=True)).order_by(Lead.id.desc())
                                      .offset(offset).limit(PER_PAGE + 1)))
        matched = {lead_id: "" for lead_id in ids}
        more = len(ids) > PER_PAGE
    else:
        more = False
        conditions = filters.conditions(driving=False)
        for label, statement in _branches(query):
            ids = list(db.session.scalars(statement.where(*conditions).limit(wanted)))
            more = more or len(ids) == wanted
            for lead_id in ids:
                matched.setdefault(lead_id, label)
        ordered = list(matched)
        more = more or len(ordered) > offset + PER_PAGE
        matched = {lead_id: matched[lead_id] for lead_id in ordered[offset:offset + PER_PAGE]}
    leads = {lead.id: lead for lead in db.session.scalars(
        select(Lead).options(joinedload(Lead.account), joinedload(Lead.campaign), joinedload(Lead.lead_list))
        .where(Lead.id.in_(list(matched))))} if matched else {}
    found = [Found(leads[lead_id], label) for lead_id, label in list(matched.items())[:PER_PAGE] if lead_id in leads]
    return SearchResults(query, found, page, more)


@dataclass(frozen=True)
class Choice:
    value: int
    label: str


def campaign_choices() -> list[Choice]:
    return [Choice(row.id, row.name) for row in db.session.execute(
        select(Campaign.id, Campaign.name).order_by(Campaign.name))]


def lead_list_choices() -> list[Choice]:
    """Every lead list, newest first, named by campaign and file: the search's list filter."""
    return [Choice(row.id, f"{row.file_name} · {row.campaign} · {row.created_at:%Y-%m-%d}") for row in db.session.execute(
        select(LeadList.id, LeadList.file_name, LeadList.created_at, Campaign.name.label("campaign"))
        .join(Campaign, Campaign.id == LeadList.campaign_id).order_by(LeadList.id.desc()))]


# ---------------------------------------------------------------- one lead's page

@dataclass
class CustomValue:
    label: str
    value: str | None


@dataclass
class LeadRecord:
    lead: Lead
    custom_values: list[CustomValue]
    dialability: queue.LeadDialability
    timeline: list[TimelineEvent]
    score_reasons: list[str] = field(default_factory=list)


def load_lead(lead_id: int) -> Lead | None:
    """The lead with what its page shows of it (account, campaign, list and who loaded it), in one statement."""
    return db.session.scalar(select(Lead).options(
        joinedload(Lead.account), joinedload(Lead.campaign), joinedload(Lead.lead_list).joinedload(LeadList.created_by))
        .where(Lead.id == lead_id))


def custom_values(lead: Lead) -> list[CustomValue]:
    """The campaign's own fields with the lead's values, in the campaign's order; values of fields the campaign
    no longer has come after, under their keys."""
    defined = [(field["key"], field.get("label") or field["key"]) for field in (lead.campaign.custom_fields or [])
               if field.get("key")]
    values = dict(lead.custom_fields or {})
    shown = [CustomValue(label, values.pop(key, None)) for key, label in defined]
    return shown + [CustomValue(key, value) for key, value in sorted(values.items())]


def lead_record(lead: Lead, viewer) -> LeadRecord:
    # The stored score is explained with the definition that made it (a lead handed over keeps an older one).
    stored = model_version(lead.score_model_version) if lead.score_model_version is not None else None
    model = stored or current_model(lead.campaign_id)
    return LeadRecord(lead=lead, custom_values=custom_values(lead),
                      dialability=queue.explain_lead(lead, viewer), timeline=timeline(lead, viewer),
                      score_reasons=[str(reason) for reason in calls.score_lead(lead, model).lines])


# ---------------------------------------------------------------- the timeline

# The audit rows about a lead that the timeline shows (claims are its calls; notes are on the call).
LEAD_ACTIONS = ("lead.answer_saved", "lead.location_set", "lead.contact_updated", "lead.referral_added")


@dataclass
class _History:
    """Everything the timeline is made of, read in one statement per kind of record; people named once."""

    audits: list[AuditEvent]
    calls: list[Call]
    talk: dict[int, int]  # call id → seconds on the line
    recordings: dict[int, list]  # call id → (recording id, seconds) the viewer may hear
    handoffs: list[Handoff]
    deciders: dict[int, int]  # hand-off id → who accepted or rejected it
    entries: list  # the number's do-not-call entries now
    removals: list[AuditEvent]  # the number's entries taken off the list
    names: dict[int, str] = field(default_factory=dict)


def _history(lead: Lead, viewer) -> _History:
    audits = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == "Lead", AuditEvent.subject_id == lead.id, AuditEvent.action.in_(LEAD_ACTIONS))
        .order_by(AuditEvent.at, AuditEvent.id)))
    lead_calls = list(db.session.scalars(select(Call).options(joinedload(Call.guide_version).load_only(
        GuideVersion.number)).where(Call.lead_id == lead.id).order_by(Call.started_at, Call.id)))
    talk: dict[int, int] = defaultdict(int)
    recordings: dict[int, list] = defaultdict(list)
    if lead_calls:
        call_ids = [call.id for call in lead_calls]
        for call_id, seconds in db.session.execute(
                select(PhoneCall.call_id, PhoneCall.duration_seconds)
                .where(PhoneCall.call_id.in_(call_ids), PhoneCall.duration_seconds.is_not(None))):
            talk[call_id] += seconds
        if telephony.can_hear_recordings(viewer, lead):  # as the recording route itself asks
            for recording_id, seconds, call_id in db.session.execute(
                    select(Recording.id, Recording.duration_seconds, PhoneCall.call_id)
                    .join(PhoneCall, PhoneCall.id == Recording.phone_call_id)
                    .where(PhoneCall.call_id.in_(call_ids), Recording.status == telephony_rules.RecordingStatus.COMPLETED)
                    .order_by(Recording.started_at, Recording.id)):
                recordings[call_id].append((recording_id, seconds))
    handoffs = list(db.session.scalars(select(Handoff).where(Handoff.lead_id == lead.id).order_by(Handoff.created_at)))
    deciders = dict(db.session.execute(select(AuditEvent.subject_id, AuditEvent.actor_id).where(
        AuditEvent.subject_type == "Handoff", AuditEvent.subject_id.in_([handoff.id for handoff in handoffs]),
        AuditEvent.action.in_(("handoff.accepted", "handoff.rejected")))).tuples().all()) if handoffs else {}
    entries = do_not_call_list.entries_for_number(lead.phone)
    removals = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "do_not_call.removed", AuditEvent.detail["phone"].as_string() == lead.phone)
        .order_by(AuditEvent.at)))
    history = _History(audits, lead_calls, talk, recordings, handoffs, deciders, entries, removals)
    people = [row.actor_id for row in audits + removals] + [call.agent_id for call in lead_calls] + \
        [user_id for handoff in handoffs for user_id in (handoff.assigned_to_id, handoff.qualified_by_id)] + \
        list(deciders.values()) + [entry.added_by_id for entry in entries] + \
        [row.detail.get("added_by_id") for row in removals]
    ids = {user_id for user_id in people if isinstance(user_id, int)}
    if ids:
        history.names = dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).tuples().all())
    return history


def timeline(lead: Lead, viewer) -> list[TimelineEvent]:
    """Everything that happened to the lead, newest first: how it came in (an import, a referral, a person),
    marketing touches, calls (agent, disposition, talk time, notes, recordings the viewer may hear), answers and
    the score after each, hand-offs and sales' decisions, its number's do-not-call entries added and removed,
    location and contact edits. A dozen statements, one per kind of record, whatever the lead's history."""
    history = _history(lead, viewer)
    referrals = [row for row in history.audits if row.action == "lead.referral_added"]
    events = _arrival(lead, referrals[0] if referrals else None, history.names)
    events += [TimelineEvent(touch.occurred_at, EventKind.TOUCH, f"{touch.kind.replace('_', ' ').capitalize()}: "
                             f"{touch.description}", sequence=touch.id) for touch in lead.touches]
    events += _calls(history)
    events += _handoffs(history, viewer)
    events += _lead_audits(lead, [row for row in history.audits if row.action != "lead.referral_added"],
                           history.names)
    events += _do_not_call(lead, history)
    return newest_first(events)


def _arrival(lead: Lead, referral: AuditEvent | None, names: dict[int, str]) -> list[TimelineEvent]:
    if lead.lead_list is not None:
        lead_list = lead.lead_list
        by = lead_list.created_by.full_name if lead_list.created_by else None
        source = f" (source {lead_list.source_name})" if lead_list.source_name else ""
        return [TimelineEvent(lead.created_at, EventKind.IMPORTED,
                              f"Imported into {lead.campaign.name} from {lead_list.file_name}{source}", actor=by,
                              link=path_for("lead_record.search", list=lead_list.id),
                              link_label="Leads of this list")]
    if referral is not None:
        referred_by = referral.detail.get("referred_by_lead_id")
        return [TimelineEvent(lead.created_at, EventKind.REFERRAL,
                              f"Added as a referral on call #{referral.detail.get('call_id')}",
                              actor=names.get(referral.actor_id) or referral.actor_email,
                              link=path_for("lead_record.show", lead_id=referred_by) if referred_by else None,
                              link_label="The lead who referred them")]
    source = f" (source {lead.source})" if lead.source else ""
    return [TimelineEvent(lead.created_at, EventKind.CREATED, f"Added to {lead.campaign.name}{source}")]


def _calls(history: _History) -> list[TimelineEvent]:
    events = []
    for number, call in enumerate(history.calls, start=1):
        if call.callback_at:
            outcome = f"Call back at {call.callback_at:%Y-%m-%d %H:%M} UTC"
        elif call.disposition:
            outcome = DISPOSITIONS[call.disposition].label if call.disposition in DISPOSITIONS else call.disposition
        else:
            outcome = "in progress" if call.is_open else call.status
        agent = history.names.get(call.agent_id, "an agent")
        details = []
        if call.id in history.talk:
            details.append(f"Talk time {telephony_rules.format_duration(history.talk[call.id])}")
        if call.guide_version is not None:
            details.append(f"Call guide version {call.guide_version.number}")
        if call.notes:
            details.append(call.notes)
        events.append(TimelineEvent(
            call.started_at, EventKind.CALL, f"Call {number}: {outcome}", actor=agent,
            details=tuple(details), sequence=call.id,
            recordings=tuple((path_for("telephony.play_recording", recording_id=recording_id),
                              telephony_rules.format_duration(seconds))
                             for recording_id, seconds in history.recordings.get(call.id, []))))
    return events


def _handoffs(history: _History, viewer) -> list[TimelineEvent]:
    names = history.names
    events = []
    for handoff in history.handoffs:
        link = path_for("handoffs.packet", handoff_id=handoff.id) if handoff.visible_to(viewer) else None
        events.append(TimelineEvent(
            handoff.created_at, EventKind.HANDOFF,
            f"Qualified and handed to {names.get(handoff.assigned_to_id, 'sales')}, score {handoff.score} "
            f"({handoff.score_band})",
            actor=names.get(handoff.qualified_by_id), details=tuple(handoff.score_reasons or ()), link=link,
            link_label="Hand-off packet" if link else None, sequence=handoff.id))
        if handoff.decided_at is not None:
            accepted = handoff.status == HandoffStatus.ACCEPTED
            events.append(TimelineEvent(
                handoff.decided_at, EventKind.DECISION,
                "Accepted by sales: now a sales-accepted lead (SAL)" if accepted
                else "Rejected by sales: back to nurture",
                actor=names.get(history.deciders.get(handoff.id)) or names.get(handoff.assigned_to_id),
                details=(f"Reason: {handoff.rejection_reason}",) if handoff.rejection_reason else (),
                link=link, link_label="Hand-off packet" if link else None, sequence=handoff.id))
    return events


def _lead_audits(lead: Lead, rows: list[AuditEvent], names: dict[int, str]) -> list[TimelineEvent]:
    model = current_model(lead.campaign_id)
    replay = AnswerReplay()
    events = []
    for row in rows:
        actor = names.get(row.actor_id) or row.actor_email
        detail = row.detail or {}
        if row.action == "lead.answer_saved":
            criterion = model.criterion(detail.get("criterion", ""))
            value = detail.get("value") or ""
            option = criterion.option(value) if criterion else None
            label = criterion.label if criterion else detail.get("criterion", "?")
            answer = option.label if option else (value or "cleared")
            step = replay.apply(detail.get("criterion", ""), value, lambda answers: scoring.score(answers, model))
            call = f" on call #{detail['call_id']}" if detail.get("call_id") else ""
            events.append(TimelineEvent(row.at, EventKind.ANSWER, f"{label}: {answer}{call}", actor=actor,
                                        details=(f"Score {step.points} ({step.band})",), sequence=row.id))
        elif row.action == "lead.location_set":
            before, after = detail.get("before") or {}, detail.get("after") or {}
            events.append(TimelineEvent(row.at, EventKind.LOCATION, "Location set", actor=actor, sequence=row.id,
                                        details=tuple(describe_change(label, before.get(key), after.get(key))
                                                      for key, label in (("state", "State"),
                                                                         ("time_zones", "Time zones"))
                                                      if before.get(key) != after.get(key))))
        elif row.action == "lead.contact_updated":
            before, after = detail.get("before") or {}, detail.get("after") or {}
            labels = {**CONTACT_LABELS, "time_zones": "Time zones"}
            events.append(TimelineEvent(row.at, EventKind.CONTACT, "Contact data edited", actor=actor,
                                        sequence=row.id, details=tuple(
                                            describe_change(labels.get(key, key), _shown(key, before.get(key)),
                                                            _shown(key, after.get(key))) for key in after)))
    return events


def _shown(key: str, value):
    return format_phone(value) if key in ("phone", "alternate_phone") and value else value


def _scope(campaign_id: int | None, lead: Lead) -> str:
    return "every campaign" if campaign_id is None else f"campaign {lead.campaign.name}" \
        if campaign_id == lead.campaign_id else f"campaign #{campaign_id}"


def _do_not_call(lead: Lead, history: _History) -> list[TimelineEvent]:
    """The number's entries that cover the lead: those on the list now, and those added then removed (the
    removal's audit row keeps the whole entry)."""
    names = history.names
    events = []
    covers = (None, lead.campaign_id)
    for entry in history.entries:
        if entry.campaign_id in covers:
            events.append(_listed_event(lead, entry.added_at, entry.campaign_id, entry.source, entry.reason,
                                        names.get(entry.added_by_id), entry.call_id, entry.id))
    for row in history.removals:
        detail = row.detail
        if detail.get("campaign_id") not in covers:
            continue
        added_at = _parse_time(detail.get("added_at"))
        if added_at is not None:
            events.append(_listed_event(lead, added_at, detail.get("campaign_id"), detail.get("source", ""),
                                        detail.get("entry_reason", ""), names.get(detail.get("added_by_id")),
                                        detail.get("call_id"), row.subject_id or 0))
        events.append(TimelineEvent(
            row.at, EventKind.DO_NOT_CALL_REMOVED,
            f"Number taken off the do-not-call list for {_scope(detail.get('campaign_id'), lead)}",
            actor=names.get(row.actor_id) or row.actor_email, details=(f"Reason: {detail.get('reason', '')}",),
            sequence=row.id))
    return events


def _listed_event(lead: Lead, at, campaign_id, source, reason, by, call_id, sequence) -> TimelineEvent:
    origin = DoNotCallSource.LABELS.get(source, source)
    if source == DoNotCallSource.OPT_OUT and call_id:
        origin = f"opt-out on call #{call_id}"
    details = (f"Reason: {reason}",) if reason else ()
    return TimelineEvent(at, EventKind.DO_NOT_CALL,
                         f"Number put on the do-not-call list for {_scope(campaign_id, lead)} ({origin.lower()})",
                         actor=by, details=details, sequence=sequence)


def _parse_time(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
