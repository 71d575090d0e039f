"""Pure rules of the lead record: what a search box's text asks for, and a lead's timeline in order.

No Flask, no database: tests/unit/test_lead_record_rules.py holds them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from console.leads.rules import phone_search_terms

# Characters a phone number is typed with; anything else makes the text a name, a company or an id.
_PHONE_TYPED = re.compile(r"[+0-9 ().\-/]+")
# A typed id is compared as it is, up to the column's length (Lead.external_id).
EXTERNAL_ID_LIMIT = 100
# Name and company words are matched as prefixes; one letter would match a tenth of a million leads.
MIN_PREFIX = 2


class SearchKind:
    EVERYTHING = "everything"  # nothing typed: the filters alone
    PHONE = "phone"
    EMAIL = "email"
    WORDS = "words"  # a name, a company, or an external id
    TOO_SHORT = "too_short"


@dataclass(frozen=True)
class LeadQuery:
    """What the text typed in the lead search asks for, each part matched through an index.

    * phone: the whole number (E.164) or the digits it begins with (`phone_prefix`);
    * email: the address, as typed and lower case;
    * words: last names beginning with the text (or, for two words and more, first name beginning with the
      first and last name with the last), companies beginning with it;
    * external id: the text exactly, whatever else it looks like.
    """

    kind: str
    text: str = ""
    phone: str | None = None
    phone_prefix: str | None = None
    emails: tuple[str, ...] = ()
    name_prefix: str | None = None  # the whole text, lower case: a last name or a company begins with it
    first_name_prefix: str | None = None  # with two words and more: "jordan riv" → first "jordan", last "riv"
    last_name_prefix: str | None = None
    external_id: str | None = None


def classify_search(typed: str, default_region: str = "US") -> LeadQuery:
    """Read the search box: a phone number (whole or its first digits), an email, or words (names, companies).

    The text is also an external id in every case but an email's, compared exactly.
    """
    text = " ".join(typed.split())
    if not text:
        return LeadQuery(SearchKind.EVERYTHING)
    external_id = text[:EXTERNAL_ID_LIMIT]
    if "@" in text:
        return LeadQuery(SearchKind.EMAIL, text, emails=tuple(dict.fromkeys((text, text.lower()))))
    if _PHONE_TYPED.fullmatch(text) and re.search(r"[0-9]", text):
        phone, prefix = phone_search_terms(text, default_region)
        return LeadQuery(SearchKind.PHONE, text, phone=phone, phone_prefix=prefix, external_id=external_id)
    lowered = text.lower()
    if len(lowered) < MIN_PREFIX:
        return LeadQuery(SearchKind.TOO_SHORT, text, external_id=external_id)
    words = lowered.split(" ")
    first, last = (words[0], words[-1]) if len(words) > 1 else (None, None)
    return LeadQuery(SearchKind.WORDS, text, name_prefix=lowered, first_name_prefix=first, last_name_prefix=last,
                     external_id=external_id)


def prefix_range(prefix: str) -> tuple[str, str]:
    """The range of strings that begin with `prefix`, as an index reads it: prefix <= value < upper."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


# ---------------------------------------------------------------- the timeline

class EventKind:
    CREATED = "created"
    IMPORTED = "imported"
    TOUCH = "touch"
    CALL = "call"
    ANSWER = "answer"
    HANDOFF = "handoff"
    DECISION = "decision"
    DO_NOT_CALL = "do_not_call"
    DO_NOT_CALL_REMOVED = "do_not_call_removed"
    CONTACT = "contact"
    LOCATION = "location"
    REFERRAL = "referral"
    LABELS = {CREATED: "Created", IMPORTED: "Imported", TOUCH: "Marketing touch", CALL: "Call",
              ANSWER: "Answer", HANDOFF: "Hand-off", DECISION: "Sales decision", DO_NOT_CALL: "Do-not-call list",
              DO_NOT_CALL_REMOVED: "Do-not-call list", CONTACT: "Contact edited", LOCATION: "Location set",
              REFERRAL: "Referral"}
    # When two things happened at the same instant, the one that caused the other comes first in time: a lead
    # is created before anything happens to it, a call ends with its answers saved, its hand-off made.
    CAUSAL_ORDER = {CREATED: 0, IMPORTED: 0, REFERRAL: 1, TOUCH: 2, CALL: 3, ANSWER: 4, HANDOFF: 5, DECISION: 6,
                    DO_NOT_CALL: 7, DO_NOT_CALL_REMOVED: 8, LOCATION: 9, CONTACT: 9}


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened to a lead, as the timeline shows it."""

    at: datetime
    kind: str
    summary: str
    actor: str | None = None  # who did it, when a person did
    details: tuple[str, ...] = ()  # further lines: notes, what changed, a reason
    link: str | None = None  # where to see more (a hand-off packet, a recording)
    link_label: str | None = None
    recordings: tuple[tuple[str, str], ...] = ()  # (address of the audio, its length) the viewer may play
    sequence: int = 0  # the source row's id: events of one kind at one instant keep their order

    @property
    def label(self) -> str:
        return EventKind.LABELS.get(self.kind, self.kind)


def newest_first(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """The timeline's order: newest first; at the same instant, effects above their causes (the reverse of
    EventKind.CAUSAL_ORDER), then later rows above earlier ones."""
    return sorted(events, key=lambda event: (event.at, EventKind.CAUSAL_ORDER.get(event.kind, 10), event.sequence),
                  reverse=True)


@dataclass
class ScoreStep:
    """The score after one answer was saved, replayed with the scoring model in force now."""

    points: int
    band: str


@dataclass
class AnswerReplay:
    """Answers in the order they were saved; each step's score, as the current model scores the answers so far."""

    answers: dict[str, str] = field(default_factory=dict)

    def apply(self, criterion: str, value: str, score) -> ScoreStep:
        """Record one saved answer (an empty value clears it) and return the score after it, `score(answers)`."""
        if value:
            self.answers[criterion] = value
        else:
            self.answers.pop(criterion, None)
        result = score(dict(self.answers))
        return ScoreStep(result.points, result.band)


def describe_change(label: str, before, after) -> str:
    """One changed field, for people: "Phone: +1 212 555 0101 → +1 415 555 0101"."""
    def shown(value) -> str:
        if value in (None, "", {}, []):
            return "—"
        if isinstance(value, dict):
            return ", ".join(f"{key}: {item}" for key, item in sorted(value.items()))
        return str(value)
    return f"{label}: {shown(before)} → {shown(after)}"
