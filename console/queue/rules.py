"""Pure queue rules: calling windows (legal, campaign, state, holidays), why a lead is not dialable, queue order.

No Flask, no database: every function here takes plain values and returns plain
values, so that the rules that keep agents compliant are tested in milliseconds
(tests/unit/test_calling_window_rules.py, tests/unit/test_queue_rules.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars
import yaml

from console.leads.rules import LEGAL_WINDOW

DATA_DIR = Path(__file__).parent / "data"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALL_DAYS = frozenset(range(1, 8))  # ISO weekdays, Monday = 1

# Friendly names for the zones US and Canadian leads are in; anything else shows its IANA name.
ZONE_LABELS = {
    "America/New_York": "Eastern", "America/Detroit": "Eastern", "America/Toronto": "Eastern",
    "America/Indiana/Indianapolis": "Eastern", "America/Kentucky/Louisville": "Eastern",
    "America/Chicago": "Central", "America/Menominee": "Central", "America/Winnipeg": "Central",
    "America/Regina": "Central (Saskatchewan)",
    "America/Denver": "Mountain", "America/Boise": "Mountain", "America/Edmonton": "Mountain",
    "America/Phoenix": "Arizona",
    "America/Los_Angeles": "Pacific", "America/Vancouver": "Pacific",
    "America/Anchorage": "Alaska", "America/Adak": "Aleutian", "Pacific/Honolulu": "Hawaii",
    "America/Halifax": "Atlantic", "America/Moncton": "Atlantic", "America/Puerto_Rico": "Puerto Rico",
    "America/St_Johns": "Newfoundland",
}


def zone_label(zone: str) -> str:
    return ZONE_LABELS.get(zone, zone)


# ---------------------------------------------------------------- calling hours

def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60) if minutes < 24 * 60 else time(23, 59)


def _start_minute(value: time) -> int:
    """A window start, rounded up to the minute: a start with seconds never opens early."""
    return _minutes(value) + (1 if (value.second or value.microsecond) else 0)


def parse_window(text: str) -> tuple[time, time] | None:
    """'09:00-21:00' → (09:00, 21:00); 'closed' → None."""
    if text.strip().lower() == "closed":
        return None
    start, end = (part.strip() for part in text.split("-"))
    return time.fromisoformat(start), time.fromisoformat(end)


@dataclass(frozen=True)
class StateRule:
    """A state's calling rule that is stricter than the federal window."""

    code: str
    name: str
    windows: tuple  # seven entries, Monday first: (start, end) or None for no calls that day
    closed_on_state_holidays: bool = False
    source: str = ""

    def window_on(self, day: date) -> tuple[time, time] | None:
        return self.windows[day.isoweekday() - 1]

    def describe(self) -> list[tuple[str, str]]:
        """(days, hours) lines for the docs and the explanation page."""
        lines = []
        for index, window in enumerate(self.windows):
            label = "closed" if window is None else f"{window[0]:%H:%M}–{window[1]:%H:%M}"
            if lines and lines[-1][1] == label:
                lines[-1] = (lines[-1][0].split("–")[0] + "–" + WEEKDAYS[index][:3].title(), label)
            else:
                lines.append((WEEKDAYS[index][:3].title(), label))
        if self.closed_on_state_holidays:
            lines.append(("state holidays", "closed"))
        return lines


def _state_rule_from_data(code: str, entry: dict) -> StateRule:
    hours = entry.get("hours", {})
    unknown = set(hours) - set(WEEKDAYS) - {"default"}
    if unknown:
        raise ValueError(f"state rule {code}: unknown day key(s) {sorted(unknown)}")
    default = parse_window(hours.get("default", "08:00-21:00"))
    windows = tuple(parse_window(hours[day]) if day in hours else default for day in WEEKDAYS)
    return StateRule(code=code, name=entry.get("name", code), windows=windows,
                     closed_on_state_holidays=bool(entry.get("closed_on_state_holidays", False)),
                     source=entry.get("source", ""))


@lru_cache(maxsize=1)
def state_rules() -> dict[str, StateRule]:
    """The shipped state rules (console/queue/data/state_calling_rules.yaml), by state code."""
    raw = yaml.safe_load((DATA_DIR / "state_calling_rules.yaml").read_text()) or {}
    return {code.upper(): _state_rule_from_data(code.upper(), entry) for code, entry in raw.items()}


@lru_cache(maxsize=2048)
def state_holidays(state: str, year: int) -> dict[date, str]:
    """The state's legal holidays (observed days included) from the `holidays` package."""
    country = "CA" if state in CANADIAN_PROVINCES else "US"
    try:
        return dict(holiday_calendars.country_holidays(country, subdiv=state, years=year))
    except NotImplementedError:  # a code the package does not know: federal holidays only
        return dict(holiday_calendars.country_holidays(country, years=year))


CANADIAN_PROVINCES = frozenset({"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"})


@dataclass(frozen=True)
class CallingHours:
    """A campaign's own calling hours and days, in the lead's local time; never wider than the law."""

    start: time = LEGAL_WINDOW[0]
    end: time = LEGAL_WINDOW[1]
    days: frozenset = ALL_DAYS
    holidays: frozenset = frozenset()


def parse_calling_days(value: str | None) -> frozenset:
    """'12345' (ISO weekdays, Monday = 1) → frozenset({1, 2, 3, 4, 5}); bad characters are ignored."""
    return frozenset(int(char) for char in (value or "") if char in "1234567")


def format_calling_days(days: frozenset) -> str:
    if days == ALL_DAYS:
        return "every day"
    if days == frozenset(range(1, 6)):
        return "Monday to Friday"
    return ", ".join(WEEKDAYS[day - 1].title() for day in sorted(days)) or "no day"


@dataclass(frozen=True)
class DayVerdict:
    """The calling window that applies on one local date, or why there is none."""

    window: tuple[int, int] | None  # minutes since midnight, [start, end)
    reason: str = ""  # why the day is closed, or which rule sets the binding edge
    start_rule: str = ""
    end_rule: str = ""


def day_window(day: date, state: str | None, hours: CallingHours) -> DayVerdict:
    """The window on a local date: federal ∩ campaign hours ∩ state rule, minus closed days."""
    weekday = WEEKDAYS[day.isoweekday() - 1].title()
    if day in hours.holidays:
        return DayVerdict(None, f"{day:%Y-%m-%d} is a campaign holiday")
    if day.isoweekday() not in hours.days:
        return DayVerdict(None, f"{weekday} is not a calling day for this campaign")
    rule = state_rules().get((state or "").upper())
    start, start_rule = max((_minutes(LEGAL_WINDOW[0]), "federal"), (_start_minute(hours.start), "campaign"))
    end, end_rule = min((_minutes(LEGAL_WINDOW[1]), "federal"), (_minutes(hours.end), "campaign"))
    if rule is not None:
        if rule.closed_on_state_holidays:
            holiday = state_holidays(rule.code, day.year).get(day)
            if holiday:
                return DayVerdict(None, f"no calls on state holidays in {rule.name} ({holiday})")
        state_window = rule.window_on(day)
        if state_window is None:
            return DayVerdict(None, f"no calls on {weekday}s in {rule.name}")
        if _start_minute(state_window[0]) > start:
            start, start_rule = _start_minute(state_window[0]), f"{rule.name} rule"
        if _minutes(state_window[1]) < end:
            end, end_rule = _minutes(state_window[1]), f"{rule.name} rule"
    if start >= end:
        return DayVerdict(None, f"no calling hours left on {weekday}s")
    return DayVerdict((start, end), start_rule=start_rule, end_rule=end_rule)


@dataclass(frozen=True)
class WindowCheck:
    """Whether a lead's local clock is inside its calling window now; if not, why, in words."""

    open: bool
    reason: str = ""
    zone: str | None = None  # the zone that is closed
    local_time: str = ""  # HH:MM there


def _aware(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now


def calling_window(zones, state: str | None, now: datetime, hours: CallingHours = CallingHours()) -> WindowCheck:
    """Is now inside the calling window in every zone the lead may be in?

    `now` is naive UTC or aware. Clocks are compared to the minute (the local
    time is truncated, a start with seconds rounds up), so the answer only
    changes on whole minutes. An unknown zone is never open: calling it would
    be a guess about someone else's clock.
    """
    zones = [zone for zone in zones if zone]
    if not zones:
        return WindowCheck(False, "time zone unknown: set the lead's zone or state before calling")
    now = _aware(now)
    for zone in zones:
        try:
            local = now.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            return WindowCheck(False, f"unknown time zone {zone!r}: set the lead's zone before calling", zone)
        verdict = day_window(local.date(), state, hours)
        if verdict.window is None:
            return WindowCheck(False, f"outside calling window: {verdict.reason} ({local:%a %H:%M} in {zone})",
                               zone, f"{local:%H:%M}")
        minute = local.hour * 60 + local.minute
        start, end = verdict.window
        if minute < start:
            why = "" if verdict.start_rule in ("federal", "campaign") else f" ({verdict.start_rule})"
            return WindowCheck(False, f"outside calling window: {local:%H:%M} in {zone}, opens {_clock(start):%H:%M}{why}",
                               zone, f"{local:%H:%M}")
        if minute >= end:
            why = "" if verdict.end_rule in ("federal", "campaign") else f" ({verdict.end_rule})"
            return WindowCheck(False, f"outside calling window: {local:%H:%M} in {zone}, closed since {_clock(end):%H:%M}{why}",
                               zone, f"{local:%H:%M}")
    return WindowCheck(True)


def next_opening(zones, state: str | None, now: datetime, hours: CallingHours = CallingHours(),
                 horizon_days: int = 14) -> datetime | None:
    """The first moment (naive UTC, ≥ now) when the window is open in every zone; None if not within the horizon."""
    zones = [zone for zone in zones if zone]
    if not zones:
        return None
    now = _aware(now)
    if calling_window(zones, state, now, hours).open:
        return now.astimezone(UTC).replace(tzinfo=None)
    candidates = set()
    for zone in zones:
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return None
        today = now.astimezone(tz).date()
        for offset in range(horizon_days + 1):
            day = today + timedelta(days=offset)
            verdict = day_window(day, state, hours)
            if verdict.window is not None:
                opening = datetime.combine(day, _clock(verdict.window[0]), tzinfo=tz)
                if opening > now:
                    candidates.add(opening.astimezone(UTC))
    for candidate in sorted(candidates):
        if calling_window(zones, state, candidate, hours).open:
            return candidate.replace(tzinfo=None)
    return None


def describe_opening(opening: datetime | None, zones, now: datetime) -> str:
    """'08:00 Central', 'Monday 09:00 Eastern' or 'not within two weeks', for explanations."""
    zones = [zone for zone in zones if zone]
    if opening is None or not zones:
        return "not within the next two weeks"
    zone = zones[0]
    local = opening.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    local_now = _aware(now).astimezone(ZoneInfo(zone))
    days = (local.date() - local_now.date()).days
    when = f"{local:%H:%M}" if days == 0 else (f"tomorrow {local:%H:%M}" if days == 1 else f"{local:%A %H:%M}")
    return f"{when} {zone_label(zone)}"


def local_times(zones, now: datetime) -> list[tuple[str, str]]:
    """(zone, 'Tue 14:05') for each known zone, to show the lead's clock."""
    shown = []
    for zone in zones:
        try:
            shown.append((zone, f"{_aware(now).astimezone(ZoneInfo(zone)):%a %H:%M}"))
        except (ZoneInfoNotFoundError, ValueError):
            shown.append((zone, "unknown zone"))
    return shown


# ---------------------------------------------------------------- dialability

@dataclass(frozen=True)
class CampaignRules:
    """What a campaign says about calling its leads."""

    name: str = ""
    active: bool = True
    start_date: date | None = None
    end_date: date | None = None
    hours: CallingHours = CallingHours()
    max_attempts: int = 6
    min_retry_minutes: int = 0


@dataclass(frozen=True)
class LeadState:
    """The facts about one lead that decide whether it may be called."""

    queue_state: str = "new"
    zones: tuple = ()
    state: str | None = None
    do_not_call: bool = False
    attempts: int = 0
    last_called_at: datetime | None = None
    next_call_at: datetime | None = None
    callback_owner_id: int | None = None
    claimed_by_id: int | None = None
    claim_expires_at: datetime | None = None
    inbound: bool = False
    score: int | None = None


@dataclass(frozen=True)
class Problem:
    """One reason a lead may not be called now. `code` groups leads in the campaign breakdown."""

    code: str
    text: str


# Display order of the breakdown, and the precedence when a lead has several problems.
REASONS = {
    "dialable": "Dialable now",
    "campaign_paused": "Campaign paused or not running",
    "closed": "Finished: no further call planned",
    "do_not_call": "On the do-not-call list",
    "attempts": "Attempts used up",
    "held": "Held by an agent",
    "zone_unknown": "Time zone unknown",
    "waiting_callback": "Callback not due yet",
    "waiting_retry": "Waiting for the retry delay",
    "spacing": "Too soon after the last attempt",
    "callback_owner": "Callback reserved for the agent who set it",
    "window": "Outside the calling window",
    "not_claimed": "Not claimed by you",
}

WORKABLE_STATES = ("new", "retry", "callback")


def campaign_running(campaign: CampaignRules, today: date) -> Problem | None:
    if not campaign.active:
        return Problem("campaign_paused", f"campaign {campaign.name} is paused")
    if campaign.start_date and today < campaign.start_date:
        return Problem("campaign_paused", f"campaign {campaign.name} starts on {campaign.start_date:%Y-%m-%d}")
    if campaign.end_date and today > campaign.end_date:
        return Problem("campaign_paused", f"campaign {campaign.name} ended on {campaign.end_date:%Y-%m-%d}")
    return None


def spacing_ends(lead: LeadState, campaign: CampaignRules) -> datetime | None:
    """When the campaign's minimum spacing since the last attempt ends (callbacks are appointments: exempt)."""
    if lead.queue_state == "callback" or lead.last_called_at is None or not campaign.min_retry_minutes:
        return None
    return lead.last_called_at + timedelta(minutes=campaign.min_retry_minutes)


def problems(lead: LeadState, campaign: CampaignRules, now: datetime, *, agent_id: int | None = None,
             for_dialing: bool = False) -> list[Problem]:
    """Every reason the lead may not be called now, most fundamental first (empty: dialable).

    At claim time (`for_dialing=False`) a lead held by another agent is not
    dialable; at dial time (`for_dialing=True`) only the agent holding the claim may dial.
    """
    now = _aware(now).astimezone(UTC).replace(tzinfo=None)
    found = []
    paused = campaign_running(campaign, now.date())
    if paused:
        found.append(paused)
    if lead.queue_state not in WORKABLE_STATES:
        found.append(Problem("closed", "no longer in the queue: its last disposition closed it"))
    if lead.do_not_call:
        found.append(Problem("do_not_call", "on the do-not-call list"))
    if lead.attempts >= campaign.max_attempts:
        found.append(Problem("attempts", f"attempts used up ({lead.attempts} of {campaign.max_attempts})"))
    held = lead.claimed_by_id is not None and lead.claim_expires_at is not None and lead.claim_expires_at >= now
    if for_dialing:
        if agent_id is None or lead.claimed_by_id != agent_id or not held:
            found.append(Problem("not_claimed", "not claimed by you: press Next lead to get a lead"))
    elif held and lead.claimed_by_id != agent_id:
        found.append(Problem("held", f"held by an agent until {lead.claim_expires_at:%H:%M} UTC"))
    if lead.next_call_at is not None and lead.next_call_at > now and lead.queue_state in WORKABLE_STATES:
        if lead.queue_state == "callback":
            found.append(Problem("waiting_callback", f"callback due at {lead.next_call_at:%Y-%m-%d %H:%M} UTC"))
        else:
            found.append(Problem("waiting_retry", f"next attempt due at {lead.next_call_at:%Y-%m-%d %H:%M} UTC"))
    spaced_until = spacing_ends(lead, campaign)
    if spaced_until is not None and spaced_until > now:
        minutes_ago = int((now - lead.last_called_at).total_seconds() // 60)
        found.append(Problem("spacing", f"last attempt {minutes_ago} min ago; this campaign spaces attempts "
                                        f"{campaign.min_retry_minutes} min apart (next from {spaced_until:%H:%M} UTC)"))
    if (not for_dialing and lead.queue_state == "callback" and lead.callback_owner_id is not None
            and agent_id is not None and lead.callback_owner_id != agent_id):
        found.append(Problem("callback_owner", "callback reserved for the agent who set it"))
    window = calling_window(lead.zones, lead.state, now, campaign.hours)
    if not window.open:
        code = "zone_unknown" if not [zone for zone in lead.zones if zone] or "unknown time zone" in window.reason \
            else "window"
        found.append(Problem(code, window.reason))
    return found


def primary_reason(found: list[Problem]) -> str:
    """The one reason a lead is counted under in a breakdown (the first in REASONS order)."""
    if not found:
        return "dialable"
    order = list(REASONS)
    return min((problem.code for problem in found), key=order.index)


# ---------------------------------------------------------------- queue order

# Queue tiers, in the order the queue serves them (see docs/queue.md).
TIER_OWN_CALLBACK, TIER_CALLBACK, TIER_INBOUND, TIER_RETRY, TIER_NEW = range(5)
TIER_LABELS = {
    TIER_OWN_CALLBACK: "your due callbacks", TIER_CALLBACK: "due callbacks",
    TIER_INBOUND: "fresh inbound leads", TIER_RETRY: "due retries", TIER_NEW: "new leads",
}
# The stored rank is (band + tier) * SPAN + score part, so one index orders a whole
# campaign the way the queue serves it: a due lead's rank is below 5 * SPAN, a lead
# waiting for its retry or callback time adds WAITING bands, one held by an agent adds HELD.
SPAN = 10_000_000
WAITING = 10
HELD = 20
DUE_LOW, DUE_HIGH = TIER_CALLBACK * SPAN, (TIER_NEW + 1) * SPAN  # anyone's due leads
OWN_CALLBACK_HIGH = SPAN
WAITING_LOW, WAITING_HIGH = WAITING * SPAN, HELD * SPAN
HELD_LOW = HELD * SPAN
SCORE_LIMIT = 999_999


def queue_tier(queue_state: str | None, inbound: bool | None, callback_owner_id: int | None) -> int | None:
    """The tier a workable lead is served in: due callbacks (own, then anyone's), inbound, retries, new."""
    state = queue_state or "new"
    if state == "callback":
        return TIER_OWN_CALLBACK if callback_owner_id is not None else TIER_CALLBACK
    if state == "retry":
        return TIER_RETRY
    if state == "new":
        return TIER_INBOUND if inbound else TIER_NEW
    return None


def score_part(score: int | None) -> int:
    """Higher scores sort first; unscored leads after every scored one."""
    if score is None:
        return 2 * (SCORE_LIMIT + 1)
    return SCORE_LIMIT + 1 - max(-SCORE_LIMIT, min(SCORE_LIMIT, int(score)))


def queue_rank(lead: LeadState, now: datetime) -> int | None:
    """The stored sort key of a lead; None when it is out of the queue (closed or do-not-call)."""
    tier = queue_tier(lead.queue_state, lead.inbound, lead.callback_owner_id)
    if tier is None or lead.do_not_call:
        return None
    if lead.claimed_by_id is not None and lead.claim_expires_at is not None and lead.claim_expires_at > now:
        band = HELD
    elif lead.next_call_at is not None and lead.next_call_at > now:
        band = WAITING
    else:
        band = 0
    return (band + tier) * SPAN + score_part(lead.score)


def tier_of(rank: int) -> int:
    return (rank // SPAN) % 10


@dataclass(frozen=True, order=True)
class QueuePosition:
    """Sortable position of a candidate: tier, then campaign priority (higher first), score, age."""

    tier: int
    minus_priority: int
    rank: int
    lead_id: int = field(compare=True)


def queue_position(rank: int, priority: int, lead_id: int) -> QueuePosition:
    return QueuePosition(tier_of(rank), -priority, rank % SPAN, lead_id)


def sort_for_queue(candidates):
    """Order (lead_id, tier, priority, score) tuples exactly as the queue serves them (for tests and docs)."""
    return sorted(candidates, key=lambda c: (c[1], -c[2], score_part(c[3]), c[0]))


def window_key(zones, state: str | None) -> str:
    """What decides a lead's calling window: its zones and its state ('America/Chicago|TX')."""
    return f"{','.join(zone for zone in zones if zone)}|{(state or '').upper()}"


def split_window_key(key: str) -> tuple[list[str], str | None]:
    zones, _, state = key.partition("|")
    return [zone for zone in zones.split(",") if zone], (state or None)


def minute_of(now: datetime) -> datetime:
    """Windows only change on whole minutes (see calling_window), so a minute is a safe cache key."""
    return now.replace(second=0, microsecond=0)


def ceil_minutes(delta: timedelta) -> int:
    return max(0, math.ceil(delta.total_seconds() / 60))
