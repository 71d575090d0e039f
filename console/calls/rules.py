"""Dispositions and what each one does to the lead next: pure data and functions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


class NextAction:
    RETRY_IN = "retry_in"  # back in the queue after a delay
    CALLBACK = "callback"  # back in the queue at the time the agent set
    CLOSE = "close"  # out of the queue
    HANDOFF = "handoff"  # qualified: to sales


@dataclass(frozen=True)
class Disposition:
    code: str
    label: str
    key: str  # keyboard shortcut on the call screen
    next_action: str
    retry_minutes: int = 0
    stage: str | None = None  # the glossary stage the lead moves to, if any
    counts_as_conversation: bool = False


DISPOSITIONS: tuple[Disposition, ...] = (
    Disposition("no_answer", "No answer", "1", NextAction.RETRY_IN, retry_minutes=240),
    Disposition("busy", "Busy", "2", NextAction.RETRY_IN, retry_minutes=30),
    Disposition("voicemail", "Voicemail left", "3", NextAction.RETRY_IN, retry_minutes=24 * 60),
    Disposition("gatekeeper", "Gatekeeper", "4", NextAction.RETRY_IN, retry_minutes=24 * 60),
    Disposition("bad_number", "Bad number", "5", NextAction.CLOSE, stage="disqualified"),
    Disposition("wrong_person", "Wrong person", "6", NextAction.CLOSE, stage="disqualified", counts_as_conversation=True),
    Disposition("not_interested", "Not interested", "7", NextAction.CLOSE, stage="disqualified", counts_as_conversation=True),
    Disposition("callback", "Call back at…", "8", NextAction.CALLBACK, counts_as_conversation=True),
    Disposition("nurture", "Nurture", "9", NextAction.CLOSE, stage="nurture", counts_as_conversation=True),
    Disposition("do_not_call", "Do not call", "0", NextAction.CLOSE, stage="disqualified", counts_as_conversation=True),
    Disposition("qualified", "Qualified", "q", NextAction.HANDOFF, stage="mql", counts_as_conversation=True),
)

BY_CODE = {disposition.code: disposition for disposition in DISPOSITIONS}


def next_call_time(disposition: Disposition, now: datetime, callback_at: datetime | None) -> datetime | None:
    """When the lead may be called again after this disposition (None: not at all)."""
    if disposition.next_action == NextAction.RETRY_IN:
        return now + timedelta(minutes=disposition.retry_minutes)
    if disposition.next_action == NextAction.CALLBACK:
        return callback_at
    return None
