"""What a campaign is, as plain values: its calling rules, its status and life, its own lead fields, its place on
the campaign calendar. Pure: no Flask, no session (tests/unit/test_campaign_rules.py)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from console.compliance.rules import CallingHours

DEFAULT_MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class CampaignRules:
    """A campaign's dates, life, calling hours, attempts and spacing (console.queue.rules.problems decides with them)."""

    name: str = ""
    active: bool = True
    start_date: date | None = None
    end_date: date | None = None
    hours: CallingHours = CallingHours()
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    min_retry_minutes: int = 0
    excluded_states: frozenset = frozenset()  # state / province codes whose leads it does not call
    ended_on: date | None = None  # the day marketing ended it (Campaign.ended_at): final
    archived: bool = False

# A retry delay or spacing longer than this is a typo, not a plan (30 days).
MAX_RETRY_MINUTES = 30 * 24 * 60
# A nurtured lead is called again after the campaign's recall delay (the agent may choose another date), at most
# two years ahead: later, the lead is as good as a new one.
DEFAULT_NURTURE_RECALL_DAYS = 90
MAX_RECALL_DAYS = 730


# ---------------------------------------------------------------- status

class CampaignStatus:
    SCHEDULED, RUNNING, PAUSED, ENDED, ARCHIVED = "scheduled", "running", "paused", "ended", "archived"
    ALL = (SCHEDULED, RUNNING, PAUSED, ENDED, ARCHIVED)
    LABELS = {SCHEDULED: "Scheduled", RUNNING: "Running", PAUSED: "Paused", ENDED: "Ended", ARCHIVED: "Archived"}


def ended_on(campaign: CampaignRules, today: date) -> date | None:
    """The day the campaign ended: the day marketing ended it, else its end date once that has passed."""
    if campaign.ended_on is not None:
        return campaign.ended_on
    if campaign.end_date is not None and today > campaign.end_date:
        return campaign.end_date
    return None


def campaign_status(campaign: CampaignRules, today: date) -> str:
    """Scheduled, running, paused, ended or archived, from the campaign's facts and today's date.

    Only a running campaign serves leads (console.queue.rules.campaign_running says why the others do not).
    A paused campaign whose start date is still to come is paused: it will not start by itself.
    """
    if campaign.archived:
        return CampaignStatus.ARCHIVED
    if ended_on(campaign, today) is not None:
        return CampaignStatus.ENDED
    if not campaign.active:
        return CampaignStatus.PAUSED
    if campaign.start_date is not None and today < campaign.start_date:
        return CampaignStatus.SCHEDULED
    return CampaignStatus.RUNNING


# ---------------------------------------------------------------- life: pause, resume, end, archive, unarchive

class LifeAction:
    PAUSE, RESUME, END, ARCHIVE, UNARCHIVE = "pause", "resume", "end", "archive", "unarchive"
    ALL = (PAUSE, RESUME, END, ARCHIVE, UNARCHIVE)
    # What the audit log calls each (campaign.paused...), and what the flash says was done.
    DONE = {PAUSE: "paused", RESUME: "resumed", END: "ended", ARCHIVE: "archived", UNARCHIVE: "unarchived"}


def life_refusal(action: str, campaign: CampaignRules, today: date) -> str | None:
    """Why `action` cannot be done to the campaign now (None: it can)."""
    status = campaign_status(campaign, today)
    name = campaign.name
    if action == LifeAction.UNARCHIVE:
        return None if status == CampaignStatus.ARCHIVED else f"{name} is not archived."
    if status == CampaignStatus.ARCHIVED:
        return f"{name} is archived: unarchive it first."
    if action == LifeAction.ARCHIVE:
        return None if status in (CampaignStatus.ENDED, CampaignStatus.PAUSED) else \
            f"{name} is {status}: pause or end it before archiving it."
    if status == CampaignStatus.ENDED:
        if campaign.ended_on is not None:
            return f"{name} was ended on {campaign.ended_on:%Y-%m-%d}: an ended campaign cannot run again."
        return (f"{name} ended on {campaign.end_date:%Y-%m-%d}, its end date: move the end date in its settings "
                "to run it again." if action == LifeAction.RESUME else
                f"{name} already ended on {campaign.end_date:%Y-%m-%d}, its end date.")
    if action == LifeAction.PAUSE:
        return f"{name} is already paused." if status == CampaignStatus.PAUSED else None
    if action == LifeAction.RESUME:
        return None if status == CampaignStatus.PAUSED else f"{name} is not paused."
    if action == LifeAction.END:
        return None
    return f"Unknown action {action!r}."


def possible_actions(campaign: CampaignRules, today: date) -> tuple[str, ...]:
    """The life actions the campaign's pages offer now, in LifeAction order."""
    return tuple(action for action in LifeAction.ALL if life_refusal(action, campaign, today) is None)


# ---------------------------------------------------------------- the campaign's own lead fields

MAX_CUSTOM_FIELDS = 30
_KEY_LENGTH = 40


class CustomFieldsInvalid(ValueError):
    """The lead fields as typed cannot be kept; the message says why, for people."""


def field_key(label: str) -> str:
    """A stable key made from a label: lower-case ASCII words joined by underscores ("Fleet size" → "fleet_size").
    Keys name values in leads and import mappings, so they never follow a label's later changes."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    key = re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")[:_KEY_LENGTH].strip("_")
    if not key or key[0].isdigit():  # a key is also a merge-field name: it starts with a letter
        key = f"field_{key}".strip("_")
    return key


def custom_field_keys(existing: list[dict], rows: list[tuple[str | None, str]]) -> list[dict]:
    """The campaign's lead fields after an edit: `rows` are (key, label) as submitted, in order.

    A row with an existing key keeps that key whatever its new label; a row without one (or
    with a key the campaign does not have) is a new field, keyed from its label, never with a
    key another field has or had before this edit (leads may still hold values under it).
    A row with no label is left out: that field is removed. Labels are unique, ignoring case.
    """
    known = [field["key"] for field in existing or []]
    kept: list[dict] = []
    used: set[str] = set()
    labels: set[str] = set()
    for key, label in rows:
        label = " ".join((label or "").split())
        if not label:
            continue
        if label.casefold() in labels:
            raise CustomFieldsInvalid(f"Two lead fields are called {label!r}: give each its own label.")
        labels.add(label.casefold())
        if key in known and key not in used:
            kept.append({"key": key, "label": label})
            used.add(key)
        else:
            kept.append({"key": None, "label": label})
    if len(kept) > MAX_CUSTOM_FIELDS:
        raise CustomFieldsInvalid(f"A campaign has at most {MAX_CUSTOM_FIELDS} lead fields.")
    taken = used | set(known)
    for field in kept:
        if field["key"] is None:
            field["key"] = _unique(field_key(field["label"]), taken)
    return kept


def _unique(key: str, taken: set[str]) -> str:
    candidate, number = key, 2
    while candidate in taken:
        candidate = f"{key[:_KEY_LENGTH - 4]}_{number}"
        number += 1
    taken.add(candidate)
    return candidate


def labelled_values(fields: list[dict], values: dict | None) -> list[tuple[str, str]]:
    """A lead's values of the campaign's fields as (label, value), in the campaign's order; fields without a value
    are left out."""
    values = values or {}
    return [(field["label"], str(values[field["key"]])) for field in fields or []
            if values.get(field["key"]) not in (None, "")]


# ---------------------------------------------------------------- the campaign calendar

@dataclass(frozen=True)
class CalendarSpan:
    """Where a campaign's bar lies in a calendar of `days` days: its first and last day (0-based, inclusive),
    and whether it runs on past either edge, because it has no date there (`open_`) or a date beyond it."""

    first: int
    last: int
    open_start: bool
    open_end: bool
    clipped_start: bool
    clipped_end: bool


def calendar_span(starts: date | None, ends: date | None, window_start: date, days: int) -> CalendarSpan | None:
    """The part of [starts, ends] inside the `days` days from `window_start` (None: none of it is).

    A missing date leaves that side open: the campaign runs from before the window, or on past it.
    """
    first = (starts - window_start).days if starts is not None else None
    last = (ends - window_start).days if ends is not None else None
    if (first is not None and first > days - 1) or (last is not None and last < 0) or \
            (first is not None and last is not None and first > last):
        return None
    return CalendarSpan(
        first=max(first, 0) if first is not None else 0, last=min(last, days - 1) if last is not None else days - 1,
        open_start=starts is None, open_end=ends is None,
        clipped_start=first is not None and first < 0, clipped_end=last is not None and last > days - 1)
