"""Eight weeks of demo call history: leads called over past working days, their calls on the simulated line,
objections raised, answers, hand-offs and what sales made of them, down to revenue and ratings.

The reports, the evidence for the lead definition and the alignment agenda need a past to show on first start.
Everything is written through the services the console itself uses (leads, hand-offs, sales' steps), then each
record's times are moved back to when it happened. The draws come from their own seeded random sequence, so the
demo is the same on every machine and the rest of the seed does not change with it.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select

from console.auth.models import User
from console.calls.models import Call, CallStatus, QualificationAnswer
from console.calls.rules import BY_CODE, NextAction
from console.campaigns.models import Campaign
from console.compliance.models import DoNotCallSource
from console.extensions import db
from console.guides.models import CallObjection, GuideVersion
from console.handoffs import services as handoffs
from console.handoffs import sla_services
from console.handoffs.models import NextStep, RejectionKind
from console.handoffs.rules import ContactKind, LostReason, Step
from console.leads import services as leads_writer
from console.leads.rules import QueueState, Stage
from console.notifications.models import Notification
from console.outbox.models import OutboxEntry
from console.scoring import rules as scoring
from console.scoring.services import current_model
from console.telephony import rules as line
from console.telephony.models import CallingMode, PhoneCall

HISTORY_DAYS = 56
# The agents who made the history and how well each qualifies (a multiplier on the chance a conversation ends
# qualified), so the agent view has differences to show.
AGENT_SKILL = {"agent@example.com": 1.25, "agent2@example.com": 1.0, "agent3@example.com": 0.8,
               "agent4@example.com": 1.1, "agent5@example.com": 0.65}
# What an attempt ends as when nobody is reached, and when someone is (weights).
UNREACHED = (("no_answer", 50), ("voicemail", 25), ("busy", 6), ("gatekeeper", 12), ("bad_number", 3))
REACHED = (("not_interested", 34), ("callback", 14), ("wrong_person", 7), ("nurture", 13), ("qualified", 29),
           ("do_not_call", 3))
CONNECT_CHANCE = 0.3
# Answers sales' outcomes respond to beyond their points: the evidence page has something to flag (an influencer
# who brings a champion closes more often than the model's points say; a long timeline less often).
WIN_LIFT = {("authority", "influencer"): 0.18, ("timeline", "6_to_12_months"): -0.12, ("budget", "confirmed"): 0.1}
REJECTIONS = (
    (RejectionKind.CLERICAL, "The number reaches reception; we need the direct line."),
    (RejectionKind.DEFINITIONAL, "No budget before next fiscal year."),
    (RejectionKind.DEFINITIONAL, "Too small for our mid-market team."),
    (RejectionKind.CLERICAL, "Email bounces: please confirm the address."),
)
LOSSES = ((LostReason.COMPETITOR, "Went with the incumbent's bundle."), (LostReason.NO_DECISION, "Project shelved."),
          (LostReason.NO_BUDGET, "Budget was cut in their planning round."))
RATING_NOTES = {1: "Not the buyer, and no project.", 2: "Interest was thin once we talked.",
                3: "Good fit, late in their cycle.", 4: "Solid lead, well prepared.", 5: "Exactly the lead we want."}


@dataclass
class CampaignHistory:
    campaign: Campaign
    titles: tuple
    sources: tuple  # (source, weight)
    new_leads_per_day: int


@dataclass
class _Attempt:
    lead_index: int
    day: date
    agent: User
    disposition: str
    objections: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class Counts:
    leads: int = 0
    calls: int = 0
    handoffs: int = 0


def working_days(today: date, days: int = HISTORY_DAYS) -> list[date]:
    return [day for day in (today - timedelta(days=back) for back in range(days, 0, -1)) if day.isoweekday() <= 5]


def seed_history(histories: list[CampaignHistory], users: dict[str, User], gen, now: datetime) -> Counts:
    """Write the demo's past for each campaign: leads arriving each working day while it ran, called until they
    end (or run out of attempts), the qualified ones handed to sales and taken towards revenue. Joins the seed's
    transaction."""
    rng = random.Random(20261207)
    agents = [users[email] for email in AGENT_SKILL if email in users]
    counts = Counts()
    first_message = db.session.scalar(select(OutboxEntry.id).order_by(OutboxEntry.id.desc()).limit(1)) or 0
    first_notice = db.session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0
    for history in histories:
        _campaign_history(history, agents, gen, rng, now, counts)
    # The messages those past hand-offs wrote were delivered when they happened: the demo starts with none of them
    # waiting (nor the bell full of them).
    _meetings(users, now)
    db.session.execute(delete(OutboxEntry).where(OutboxEntry.id > first_message))
    db.session.execute(delete(Notification).where(Notification.id > first_notice))
    return counts


# The alignment meetings every two weeks (seed 000): the last one's decisions, one done since, and the next one
# planned for this week with the other sales member in the rotating seat.
DECISIONS = (
    ("Agents confirm the direct line before handing over: half of this month's clerical rejections were "
     "switchboard numbers.", "marketing@example.com", 7, True),
    ("Sales calls every accepted lead within one business day; Sam reports the misses at the next meeting.",
     "sales@example.com", 14, False),
    ("Propose more points for Authority \"influencer\" from the evidence page; both sides vote before the next "
     "meeting.", "marketing@example.com", 14, False),
)


def _meetings(users: dict[str, User], now: datetime) -> None:
    """Two meetings through the agenda's own services: the last one, two weeks ago, with its decisions, and the
    next, this week. Joins the seed's transaction."""
    from console.reports import agenda

    marketer, manager, seller = users["marketing@example.com"], users["sales@example.com"], users["sales2@example.com"]
    today = now.date()
    last_held = today - timedelta(days=14)
    last = agenda.create_meeting(marketer, held_on=last_held, period_start=last_held - timedelta(days=14),
                                 period_end=last_held - timedelta(days=1), sales_participant_id=manager.id,
                                 participant_ids=[marketer.id, users["admin@example.com"].id])
    held_at = datetime.combine(last_held, time(15, 0))
    last.created_at = held_at - timedelta(days=3)
    for text, owner, due_in, done in DECISIONS:
        decision = agenda.add_decision(marketer, last.id, text=text, owner_id=users[owner].id,
                                       due_on=last_held + timedelta(days=due_in))
        decision.created_at = held_at
        if done:
            agenda.mark_done(marketer, decision.id)
            decision.done_at = held_at + timedelta(days=5)
    upcoming = today + timedelta(days=(3 - today.weekday()) % 7)  # this week's Thursday (or today)
    agenda.create_meeting(marketer, held_on=upcoming, period_start=last_held, period_end=upcoming - timedelta(days=1),
                          sales_participant_id=seller.id, participant_ids=[marketer.id, manager.id])


def _running_days(campaign: Campaign, today: date) -> list[date]:
    last = min(filter(None, (campaign.end_date, campaign.ended_at.date() if campaign.ended_at else None,
                             today - timedelta(days=1))))
    return [day for day in working_days(today) if (campaign.start_date is None or day >= campaign.start_date)
            and day <= last]


def _campaign_history(history: CampaignHistory, agents: list[User], gen, rng: random.Random, now: datetime,
                      counts: Counts) -> None:
    campaign = history.campaign
    days = _running_days(campaign, now.date())
    if not days:
        return
    objection_ids = _objection_ids(campaign)
    attempts: list[_Attempt] = []
    plans = []  # per lead: (arrival day, its attempts)
    for day_number, day in enumerate(days):
        for _ in range(history.new_leads_per_day + rng.randrange(-2, 3)):
            plans.append((day, _attempts_of(len(plans), days[day_number:], campaign.max_attempts or 4, agents,
                                            objection_ids, rng)))
    for _day, lead_attempts in plans:
        attempts.extend(lead_attempts)
    timed = _times(attempts, rng)
    model = current_model(campaign.id)
    version_id = campaign.call_guide.published_version_id if campaign.call_guide else None
    for lead_index, (arrived, lead_attempts) in enumerate(plans):
        _one_lead(history, lead_attempts, arrived, timed, model, version_id, gen, rng, now, counts)


def _attempts_of(lead_index: int, days: list[date], max_attempts: int, agents: list[User], objection_ids: list[str],
                 rng: random.Random) -> list[_Attempt]:
    """A lead's calls: attempts one to three working days apart until one ends it or none are left."""
    made: list[_Attempt] = []
    position = 0
    while position < len(days) and len(made) < max_attempts:
        agent = rng.choice(agents)
        if rng.random() < CONNECT_CHANCE:
            disposition = _weighted(rng, REACHED)
            if disposition == "qualified" and rng.random() > min(1.0, 0.75 * AGENT_SKILL[agent.email]):
                disposition = "not_interested"
        else:
            disposition = _weighted(rng, UNREACHED)
        raised = []
        if BY_CODE[disposition].counts_as_conversation and objection_ids and rng.random() < 0.55:
            for objection in rng.sample(objection_ids, rng.choice((1, 1, 2))):
                raised.append((objection, disposition == "qualified" or rng.random() < 0.3))
        made.append(_Attempt(lead_index, days[position], agent, disposition, raised))
        if BY_CODE[disposition].next_action not in (NextAction.RETRY_IN, NextAction.CALLBACK):
            break
        position += rng.choice((1, 1, 2, 3))
    return made


def _weighted(rng: random.Random, choices) -> str:
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]


def _times(attempts: list[_Attempt], rng: random.Random) -> dict[int, tuple[datetime, datetime, int | None]]:
    """Each attempt's start, end and the seconds since the same agent's previous call that day: an agent's day
    runs from 9:00 Eastern (14:00 UTC) call after call, a short pause between them."""
    by_agent_day: dict[tuple[int, date], list[_Attempt]] = {}
    for attempt in attempts:
        by_agent_day.setdefault((attempt.agent.id, attempt.day), []).append(attempt)
    timed = {}
    for (_agent, day), day_attempts in by_agent_day.items():
        rng.shuffle(day_attempts)
        clock, previous_end = datetime.combine(day, time(14, 0)) + timedelta(minutes=rng.randrange(20)), None
        for attempt in day_attempts:
            started = clock
            ended = started + timedelta(seconds=_talk_seconds(attempt.disposition, rng) + 15)
            gap = int((started - previous_end).total_seconds()) if previous_end else None
            timed[id(attempt)] = (started, ended, gap)
            previous_end = ended
            clock = ended + timedelta(seconds=rng.randrange(20, 150))
    return timed


def _talk_seconds(disposition: str, rng: random.Random) -> int:
    if disposition == "qualified":
        return rng.randrange(540, 1320)
    if BY_CODE[disposition].counts_as_conversation:
        return rng.randrange(60, 480)
    if disposition in ("voicemail", "gatekeeper"):
        return rng.randrange(25, 70)
    return 0


def _objection_ids(campaign: Campaign) -> list[str]:
    guide = campaign.call_guide
    if guide is None or guide.published_version_id is None:
        return []
    content = db.session.get(GuideVersion, guide.published_version_id).content or {}
    return [item["id"] for item in content.get("objections", []) if item.get("id")]


def _one_lead(history: CampaignHistory, lead_attempts: list[_Attempt], arrived: date, timed: dict, model, version_id,
              gen, rng: random.Random, now: datetime, counts: Counts) -> None:
    campaign = history.campaign
    last = lead_attempts[-1]
    last_end = timed[id(last)][1]
    stage, queue_state = _where_it_ends(last.disposition, len(lead_attempts), campaign.max_attempts or 4)
    # Most of the past's leads are further contacts at companies already known (the buying centre, seed 001).
    account = rng.choice(gen.accounts) if gen.accounts and rng.random() < 0.7 else None
    lead = leads_writer.create_lead(
        **gen.lead(campaign, history.titles, _weighted(rng, history.sources), account), stage=stage,
        queue_state=queue_state,
        attempts=len(lead_attempts), last_called_at=last_end,
        next_call_at=last_end + timedelta(hours=24) if queue_state == QueueState.RETRY else None,
        created_at=datetime.combine(arrived, time(13, 0)), updated_at=last_end)
    counts.leads += 1
    for attempt in lead_attempts:
        started, ended, gap = timed[id(attempt)]
        call = Call(lead_id=lead.id, campaign_id=campaign.id, agent_id=attempt.agent.id, status=CallStatus.COMPLETED,
                    disposition=attempt.disposition, next_action=BY_CODE[attempt.disposition].next_action,
                    guide_version_id=version_id, started_at=started, ended_at=ended,
                    seconds_since_previous_call=gap, notes=_note(attempt.disposition))
        db.session.add(call)
        db.session.flush()
        db.session.add(line_leg(call, attempt.disposition, started, ended))
        for objection_id, worked in attempt.objections:
            if version_id is not None:
                db.session.add(CallObjection(call_id=call.id, guide_version_id=version_id, objection_id=objection_id,
                                             worked=worked, agent_id=attempt.agent.id, marked_at=started))
        counts.calls += 1
        if attempt.disposition == "do_not_call":  # the opt-out, as the disposition records it
            leads_writer.add_to_do_not_call(lead.phone, reason="Opted out on a call", added_by_id=attempt.agent.id,
                                            call_id=call.id, source=DoNotCallSource.OPT_OUT)
        if attempt.disposition == "qualified":
            if _hand_over(lead, call, attempt.agent, model, rng, now):
                counts.handoffs += 1


def _where_it_ends(disposition: str, attempts: int, max_attempts: int) -> tuple[str, str]:
    rule = BY_CODE[disposition]
    if disposition == "qualified":
        return Stage.MQL, QueueState.CLOSED
    if disposition == "nurture":
        return Stage.NURTURE, QueueState.CLOSED
    if rule.stage == Stage.DISQUALIFIED:
        return Stage.DISQUALIFIED, QueueState.CLOSED
    if attempts >= max_attempts:
        return Stage.LEAD, QueueState.CLOSED
    return Stage.LEAD, QueueState.RETRY


def _note(disposition: str) -> str:
    return {"qualified": "Qualified: agreed to a meeting with sales.", "callback": "Asked to be called next week.",
            "not_interested": "Happy with what they have.", "nurture": "Interested, but not this quarter.",
            "gatekeeper": "Reception would not put us through."}.get(disposition, "")


def line_leg(call: Call, disposition: str, started: datetime, ended: datetime) -> PhoneCall:
    """The call's leg on the simulated line, as the line would have reported it (answered 15 s in when reached)."""
    talk = max(0, int((ended - started).total_seconds()) - 15)
    if disposition in ("no_answer", "bad_number"):
        status, answered = line.NO_ANSWER if disposition == "no_answer" else line.FAILED, None
    elif disposition == "busy":
        status, answered = line.BUSY, None
    else:
        status, answered = line.COMPLETED, started + timedelta(seconds=15)
    return PhoneCall(call_id=call.id, placed_by_id=call.agent_id, mode=CallingMode.SIMULATED, status=status,
                     to_number=call.lead.phone if call.lead else "", placed_at=started, initiated_at=started,
                     ringing_at=started + timedelta(seconds=2), answered_at=answered,
                     answered_by="human" if answered else None, ended_at=ended,
                     duration_seconds=talk if answered else 0, simulated_outcome=None, updated_at=ended)


def _answers(model, rng: random.Random) -> dict[str, str]:
    """Answers that make a qualified lead under the model (the better options more often)."""
    for _ in range(40):
        chosen = {}
        for criterion in model.criteria:
            if criterion.kind != scoring.CHOICE or not criterion.options:
                continue
            ranked = sorted(criterion.options, key=lambda option: -option.points)
            weights = [max(1, len(ranked) - position) ** 2 for position in range(len(ranked))]
            chosen[criterion.key] = rng.choices(ranked, weights=weights)[0].value
        if scoring.score(chosen, model, (), datetime(2026, 1, 1)).meets_threshold:
            return chosen
    return chosen


def _hand_over(lead, call: Call, agent: User, model, rng: random.Random, now: datetime) -> bool:
    """Hand the lead to sales as the call screen would, then take it as far as sales would have by now."""
    at = call.ended_at
    answered = _answers(model, rng)
    rows = {key: QualificationAnswer(lead_id=lead.id, criterion=key, value=value, detail="", call_id=call.id,
                                     answered_by_id=agent.id, answered_at=at) for key, value in answered.items()}
    db.session.add_all(rows.values())
    score = scoring.score(answered, model, (), at, source=lead.source)
    points, band = scoring.stored_score(score)
    leads_writer.set_score(lead, points, band, score.model_version)
    try:
        handoff = handoffs.create_handoff(lead, call, agent, score,
                                          scoring.explain_answers(answered, model, source=lead.source), rows,
                                          next_step=NextStep.MEETING, next_step_at=at + timedelta(days=3),
                                          next_step_note="Meeting with their head of sales.")
    except handoffs.HandoffError:
        return False
    _sales_steps(handoff, at, answered, points, model, rng, now)
    return True


def _sales_steps(handoff, at: datetime, answered: dict, points: int, model, rng: random.Random,
                 now: datetime) -> None:
    """What sales did with the hand-off, through their own services, with times moved back to when it happened:
    most are accepted within hours (some late, so the SLA report has breaches), a quarter rejected; accepted ones
    are contacted, some become opportunities, and the better answers win more often."""
    member = handoff.assigned_to
    age_days = (now - at).days
    decide_hours = rng.choice((0.5, 0.5, 1, 1, 2, 2, 3, 3, 5, 26))
    if age_days * 24 < decide_hours:
        _date(handoff, at, {}, now)
        return
    if rng.random() < 0.24:
        kind, comment = rng.choice(REJECTIONS)
        recall = (now.date() + timedelta(days=rng.randrange(30, 120))) if kind == RejectionKind.DEFINITIONAL else None
        handoffs.reject(handoff, member, handoffs.Rejection(kind, comment, recall_on=recall))
        _date(handoff, at, {"decided_at": decide_hours, "feedback_at": decide_hours}, now)
        return
    handoffs.accept(handoff, member)
    moves = {"decided_at": decide_hours}
    contact_hours = decide_hours + rng.choice((1, 1, 2, 3, 4, 6, 20, 30, 60))
    if age_days * 24 < contact_hours or rng.random() < 0.12:
        _date(handoff, at, moves, now)
        return
    handoffs.record_progress(handoff, member, handoffs.ProgressEntry(Step.FIRST_CONTACT,
                                                                     contact_kind=ContactKind.CALL))
    moves["first_contact_at"] = contact_hours
    quality = _win_chance(answered, points, model)
    if age_days >= 7 and rng.random() < 0.35 + quality:
        amount = rng.randrange(12, 60) * 100_000
        handoffs.record_progress(handoff, member, handoffs.ProgressEntry(
            Step.OPPORTUNITY, amount_cents=amount, on=now.date() + timedelta(days=30)))
        moves["opportunity_at"] = contact_hours + 24 * rng.randrange(3, 8)
        if age_days >= 21:
            if rng.random() < quality + 0.05:
                handoffs.record_progress(handoff, member, handoffs.ProgressEntry(
                    Step.WON, amount_cents=int(amount * rng.uniform(0.8, 1.05)), on=now.date()))
            else:
                reason, note = rng.choice(LOSSES)
                handoffs.record_progress(handoff, member, handoffs.ProgressEntry(Step.LOST, lost_reason=reason,
                                                                                 note=note))
            moves["outcome_at"] = moves["opportunity_at"] + 24 * rng.randrange(7, 18)
    if rng.random() < 0.7:
        rating = max(1, min(5, round(1.5 + quality * 5 + rng.uniform(-1.2, 1.2))))
        handoffs.record_progress(handoff, member, handoffs.ProgressEntry(Step.RATING, rating=rating,
                                                                         note=RATING_NOTES[rating]))
        moves["rated_at"] = moves["feedback_at"] = max(moves.values()) + 1
    _date(handoff, at, moves, now)


def _win_chance(answered: dict, points: int, model) -> float:
    span = max(1, sum(max(option.points for option in criterion.options) for criterion in model.criteria
                      if criterion.options) - model.qualified_from)
    chance = 0.1 + 0.3 * max(0, points - model.qualified_from) / span
    return chance + sum(WIN_LIFT.get((key, value), 0) for key, value in answered.items())


def _date(handoff, at: datetime, moves: dict[str, float], now: datetime) -> None:
    """Move the hand-off's recorded times back to when each step happened (hours after `at`, never after now),
    the won date with its outcome, and record the SLA clocks it missed then."""
    def later(hours: float) -> datetime:
        return min(at + timedelta(hours=hours), now)

    handoff.created_at = handoff.released_at = at
    for column, hours in moves.items():
        if getattr(handoff, column) is not None:
            setattr(handoff, column, later(hours))
    if handoff.won_on is not None and handoff.outcome_at is not None:
        handoff.won_on = handoff.outcome_at.date()
    db.session.flush()
    sla_services.record_past_breaches(handoff, now)
