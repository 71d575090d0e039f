"""Dispositions, what each one does to the lead next, and the agent's pace: pure data and functions.

No Flask and no database here. A campaign may override the next action and retry
delay of the dispositions marked editable; the label, shortcut key and stage of a
disposition never change, so that reports read the same in every campaign.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from console.campaigns.rules import MAX_RECALL_DAYS, MAX_RETRY_MINUTES
from console.leads.rules import QueueState, Stage, recall_due_at


class CallStatus:
    OPEN = "open"  # the agent holds the lead and is on (or about to be on) the call
    COMPLETED = "completed"  # dispositioned
    ABANDONED = "abandoned"  # the claim lapsed without a disposition


class NextAction:
    RETRY_IN = "retry_in"  # back in the queue after a delay
    END_OF_QUEUE = "end_of_queue"  # back in the queue as soon as the campaign's retry spacing allows
    CALLBACK = "callback"  # back in the queue at the time the agent set
    CLOSE = "close"  # out of the queue
    HANDOFF = "handoff"  # qualified: to sales
    RECALL = "recall"  # nurture: out of the queue until the recall date set on the call, then a new round of calls

    # What marketing may choose for an editable disposition.
    EDITABLE = (RETRY_IN, END_OF_QUEUE, CLOSE)
    LABELS = {
        RETRY_IN: "Retry in…",
        END_OF_QUEUE: "Retry at the end of the queue",
        CLOSE: "Close (no more calls)",
        CALLBACK: "Call back at the time set on the call",
        HANDOFF: "Hand off to sales",
        RECALL: "Nurture until the recall date, then call again",
    }


@dataclass(frozen=True)
class Disposition:
    code: str
    label: str
    key: str  # keyboard shortcut on the call screen
    next_action: str
    retry_minutes: int = 0
    stage: str | None = None  # the glossary stage the lead moves to, if any
    counts_as_conversation: bool = False
    editable: bool = True  # may a campaign change its next action?
    fixed_because: str = ""  # why not, when it is not

    @property
    def next_action_label(self) -> str:
        if self.next_action == NextAction.RETRY_IN:
            return f"Retry in {describe_minutes(self.retry_minutes)}"
        return NextAction.LABELS[self.next_action]


DISPOSITIONS: tuple[Disposition, ...] = (
    Disposition("no_answer", "No answer", "1", NextAction.RETRY_IN, retry_minutes=240),
    Disposition("busy", "Busy", "2", NextAction.RETRY_IN, retry_minutes=30),
    Disposition("voicemail", "Voicemail left", "3", NextAction.RETRY_IN, retry_minutes=24 * 60),
    Disposition("gatekeeper", "Gatekeeper", "4", NextAction.RETRY_IN, retry_minutes=24 * 60),
    Disposition("bad_number", "Bad number", "5", NextAction.CLOSE, stage=Stage.DISQUALIFIED),
    Disposition("wrong_person", "Wrong person", "6", NextAction.CLOSE, stage=Stage.DISQUALIFIED, counts_as_conversation=True),
    Disposition("not_interested", "Not interested", "7", NextAction.CLOSE, stage=Stage.DISQUALIFIED, counts_as_conversation=True),
    Disposition("callback", "Call back at…", "8", NextAction.CALLBACK, counts_as_conversation=True,
                editable=False, fixed_because="The agent sets the time on the call."),
    Disposition("nurture", "Nurture", "9", NextAction.RECALL, stage=Stage.NURTURE, counts_as_conversation=True,
                editable=False, fixed_because="A nurtured lead comes back on the recall date the agent sets on the "
                                              "call; the campaign's recall delay is its default (campaign settings)."),
    Disposition("do_not_call", "Do not call", "0", NextAction.CLOSE, stage=Stage.DISQUALIFIED, counts_as_conversation=True,
                editable=False, fixed_because="An opt-out is never called again (compliance)."),
    Disposition("qualified", "Qualified", "q", NextAction.HANDOFF, stage=Stage.MQL, counts_as_conversation=True,
                editable=False, fixed_because="A qualified lead goes to sales."),
)

BY_CODE = {disposition.code: disposition for disposition in DISPOSITIONS}


def describe_minutes(minutes: int) -> str:
    """240 → "4 h", 1440 → "1 day", 90 → "1 h 30 min": how a delay reads on screen."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    return " ".join(parts)


@dataclass(frozen=True)
class SettingOverride:
    """One campaign's choice for one disposition."""

    next_action: str
    retry_minutes: int


def for_campaign(overrides: dict[str, SettingOverride]) -> tuple[Disposition, ...]:
    """The dispositions as a campaign uses them: defaults, with its overrides of editable ones applied."""
    result = []
    for disposition in DISPOSITIONS:
        override = overrides.get(disposition.code)
        if override is not None and disposition.editable:
            disposition = replace(disposition, next_action=override.next_action,
                                  retry_minutes=override.retry_minutes if override.next_action == NextAction.RETRY_IN else 0)
        result.append(disposition)
    return tuple(result)


def setting_errors(code: str, next_action: str, retry_minutes: int | None) -> list[str]:
    """Why a campaign cannot set this next action for this disposition (empty: it can)."""
    disposition = BY_CODE.get(code)
    if disposition is None:
        return [f"Unknown disposition {code!r}."]
    if not disposition.editable:
        return [f"{disposition.label} cannot be changed: {disposition.fixed_because}"]
    if next_action not in NextAction.EDITABLE:
        return ["Choose retry in, retry at the end of the queue, or close."]
    if next_action == NextAction.RETRY_IN:
        if retry_minutes is None:
            return ["Say after how many minutes to retry."]
        if not 1 <= retry_minutes <= MAX_RETRY_MINUTES:
            return [f"Retry delay must be between 1 minute and {MAX_RETRY_MINUTES // (24 * 60)} days."]
    return []


# How far ahead a callback may be set: a year (past it the lead would wait forgotten).
MAX_CALLBACK_AHEAD = timedelta(days=365)
# Every zone's clock is within a day of UTC: a time typed in an unknown zone is this far from UTC at most.
ZONE_SLACK = timedelta(days=1)


def callback_problem(callback_at: datetime | None, now: datetime, *, slack: timedelta = timedelta(0)) -> str | None:
    """Why a callback cannot be set for `callback_at` (naive UTC), or None when it can.

    The form, which does not know the lead's zone, asks with `slack=ZONE_SLACK` about the time as typed: it refuses
    what no zone could make right (and a date so far off that converting it to UTC would overflow).
    """
    return time_ahead_problem(callback_at, now, "Call back", slack=slack)


def time_ahead_problem(at: datetime | None, now: datetime, what: str, *,
                       slack: timedelta = timedelta(0)) -> str | None:
    """Why `what` cannot be set for `at` (naive UTC): none given, past, or more than a year ahead; None when it can."""
    if at is None:
        return f"{what} needs a date and time."
    if at <= now - slack:
        return f"{what} time must be in the future."
    if at > now + MAX_CALLBACK_AHEAD + slack:
        return f"{what} time must be within {MAX_CALLBACK_AHEAD.days} days."
    return None


def next_step_problems(step: str | None, at: datetime | None, now: datetime, *, labels: dict[str, str],
                       timed: tuple[str, ...], slack: timedelta = timedelta(0)) -> dict[str, str]:
    """What is wrong with the next step agreed on a qualifying call, by field ("next_step", "next_step_at").

    `labels` are the steps there are (handoffs.models.NextStep.LABELS), `timed` the ones that happen at a time
    (a meeting, sales calling back), which must then be in the future and within a year, as a callback.
    """
    if not step:
        return {"next_step": "Say what was agreed with the prospect: a meeting, information to send, or a call "
                             "back from sales."}
    if step not in labels:
        return {"next_step": "Choose one of the next steps offered."}
    if step in timed:
        problem = time_ahead_problem(at, now, labels[step], slack=slack)
        if problem:
            return {"next_step_at": problem}
    return {}


def recall_problem(recall_on: date | None, today: date) -> str | None:
    """Why a nurtured lead cannot be recalled on `recall_on`, or None when it can: after today, within two years."""
    if recall_on is None:
        return "Nurture needs a recall date."
    if recall_on <= today:
        return "The recall date must be after today."
    if recall_on > today + timedelta(days=MAX_RECALL_DAYS):
        return f"The recall date must be within {MAX_RECALL_DAYS} days."
    return None


@dataclass(frozen=True)
class QueuePlacement:
    """Where a lead goes after a disposition."""

    queue_state: str  # a console.leads.rules.QueueState value
    next_call_at: datetime | None
    new_round: bool = False  # its attempts start again from none (a recall)


def placement_after(disposition: Disposition, *, now: datetime, callback_at: datetime | None,
                    attempts: int, max_attempts: int, min_retry_minutes: int,
                    recall_on: date | None = None) -> QueuePlacement:
    """Apply a disposition's next action. `attempts` already counts the call being closed.

    A retry is never sooner than the campaign's minimum spacing between attempts,
    and a lead out of attempts is closed whatever the disposition said; a callback
    the prospect asked for is kept even then, because it was promised. A recall (nurture) is a retry on its
    date with a new round of attempts, as console.leads.services.recall places a lead.
    """
    action = disposition.next_action
    if action == NextAction.CALLBACK:
        return QueuePlacement(QueueState.CALLBACK, callback_at)
    if action == NextAction.RECALL:
        return QueuePlacement(QueueState.RETRY, recall_due_at(recall_on), new_round=True)
    if action in (NextAction.RETRY_IN, NextAction.END_OF_QUEUE):
        if attempts >= max_attempts:
            return QueuePlacement(QueueState.CLOSED, None)
        minutes = disposition.retry_minutes if action == NextAction.RETRY_IN else 0
        return QueuePlacement(QueueState.RETRY, now + timedelta(minutes=max(minutes, min_retry_minutes)))
    return QueuePlacement(QueueState.CLOSED, None)


# A gap longer than this between two calls is a break (lunch, a meeting), not time between calls.
BREAK_AFTER = timedelta(minutes=30)


def seconds_between_calls(previous_disposition_at: datetime | None, claimed_at: datetime,
                          break_after: timedelta = BREAK_AFTER) -> int | None:
    """Seconds from the agent's previous disposition to this claim; None for the first call after a break."""
    if previous_disposition_at is None:
        return None
    gap = claimed_at - previous_disposition_at
    if gap < timedelta(0) or gap > break_after:
        return None
    return int(gap.total_seconds())


# ---------------------------------------------------------------- who may write to a call

class Refusal:
    """Why an agent may not write to a call (answers, notes, objections, disposition, dialling)."""

    NOT_YOURS = "not_yours"
    CLOSED = "closed"
    LAPSED = "lapsed"
    MESSAGES = {
        NOT_YOURS: "This call belongs to another agent.",
        CLOSED: "This call is already closed.",
        LAPSED: "Your hold on this lead lapsed; it went back to the queue. Press Next lead.",
    }


def work_refusal(agent_id: int, call_agent_id: int | None, status: str | None, claimed_by_id: int | None,
                 claim_expires_at: datetime | None, now: datetime) -> str | None:
    """The agent may write to a call only while it is theirs, open, and their hold on the lead runs."""
    if call_agent_id != agent_id:
        return Refusal.NOT_YOURS
    if status != CallStatus.OPEN:
        return Refusal.CLOSED
    if claimed_by_id != agent_id or (claim_expires_at and claim_expires_at < now):
        return Refusal.LAPSED
    return None
