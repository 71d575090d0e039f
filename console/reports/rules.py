"""The report's pure rules: date ranges in the viewer's zone, rates, the follow-up marks, attribution, the glossary.

No Flask and no database here. The SQL that computes each figure sits in console/reports/services.py and says
which rule of this module it implements; tests/integration/test_report_properties.py holds the two together.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from console.calls.rules import DISPOSITIONS

# The console's zone when the viewer has none (User.time_zone empty): the SLA calendar's default zone.
DEFAULT_ZONE = "America/New_York"
# Longer ranges are refused: a report over more than three years is a typing slip, and a daily trend over it
# would draw a thousand bars.
MAX_RANGE_DAYS = 3 * 366
MAX_DAILY_POINTS = 120  # a daily trend over more days is drawn by week


class Grouping:
    DAY = "day"
    WEEK = "week"
    LABELS = {DAY: "Day", WEEK: "Week"}


class Attribution:
    """Which campaign a won deal counts for when its lead was touched by several (see `attributed_campaign`)."""

    FIRST = "first"
    LAST = "last"
    LABELS = {FIRST: "First touch", LAST: "Last touch"}


class Preset:
    LAST_7 = "last_7"
    LAST_30 = "last_30"
    LAST_90 = "last_90"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    LABELS = {LAST_7: "Last 7 days", LAST_30: "Last 30 days", LAST_90: "Last 90 days", THIS_MONTH: "This month",
              LAST_MONTH: "Last month"}
    DEFAULT = LAST_30


def preset_dates(preset: str, today: date) -> tuple[date, date]:
    """The first and last day (inclusive) of a preset range ending today (the viewer's today)."""
    if preset == Preset.THIS_MONTH:
        return today.replace(day=1), today
    if preset == Preset.LAST_MONTH:
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    days = {Preset.LAST_7: 7, Preset.LAST_30: 30, Preset.LAST_90: 90}[preset]
    return today - timedelta(days=days - 1), today


def range_problem(first: date | None, last: date | None) -> str | None:
    """Why these days make no range (None when they do): both given, in order, at most MAX_RANGE_DAYS."""
    if first is None or last is None:
        return "Give the first and the last day, or choose a range."
    if first > last:
        return "The range ends before it starts."
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        return f"A report covers at most {MAX_RANGE_DAYS} days."
    return None


def zone_or_default(name: str | None, known: bool) -> str:
    """The viewer's zone when they set one this machine knows (`known`: compliance.rules.is_zone_name), else the
    console's default."""
    return name if name and known else DEFAULT_ZONE


def utc_instant(day: date, zone: str) -> datetime:
    """The start of `day` in `zone` as a naive UTC instant (the console stores times naive UTC). Midnight is a
    real instant in every zone on every day it exists; where a DST change skips midnight, zoneinfo reads it as
    the instant an hour later on the wall, the day's real start."""
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC).replace(tzinfo=None)


def utc_bounds(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    """[start of `first`, start of the day after `last`) in `zone`, as naive UTC: a time t is in the range when
    lo <= t < hi, so a call at 23:30 local on the last day is inside, one at 00:00 the day after is not."""
    return utc_instant(first, zone), utc_instant(last + timedelta(days=1), zone)


@dataclass(frozen=True)
class Period:
    """One bar of a trend: the local days [first, last] and their UTC bounds."""

    first: date
    last: date
    lo: datetime
    hi: datetime

    @property
    def label(self) -> str:
        return f"{self.first:%a %b %d}" if self.first == self.last else f"{self.first:%b %d}–{self.last:%b %d}"


def periods(first: date, last: date, zone: str, grouping: str) -> list[Period]:
    """The trend's periods over the range: each day, or each week from Monday (the first and last weeks cut to
    the range). A daily trend over more than MAX_DAILY_POINTS days is drawn by week."""
    if grouping == Grouping.DAY and (last - first).days + 1 > MAX_DAILY_POINTS:
        grouping = Grouping.WEEK
    result = []
    start = first
    while start <= last:
        end = start if grouping == Grouping.DAY else min(last, start + timedelta(days=6 - start.weekday()))
        lo, hi = utc_bounds(start, end, zone)
        result.append(Period(start, end, lo, hi))
        start = end + timedelta(days=1)
    return result


def rate(part: int | float | None, whole: int | float | None) -> float | None:
    """part ÷ whole, None when there is nothing to divide by (shown as a dash, never as 0 %)."""
    if not whole or part is None:
        return None
    return part / whole


def per(amount_cents: int | None, count: int) -> int | None:
    """A cost per unit in cents (rounded half up), None without a budget or without units."""
    if amount_cents is None or not count:
        return None
    return (amount_cents + count // 2) // count


# The seeds: sales follows up roughly 30 % of marketing's leads by default; aligned teams reach 60 to 85 %.
FOLLOW_UP_USUAL = 0.30
FOLLOW_UP_ALIGNED = (0.60, 0.85)


def follow_up_verdict(follow_up_rate: float | None) -> str:
    """Where a follow-up rate stands against the seeds' marks, in words."""
    if follow_up_rate is None:
        return "No hand-offs in the range."
    low, high = FOLLOW_UP_ALIGNED
    if follow_up_rate < FOLLOW_UP_USUAL:
        return "Below the usual 30 %: most leads are never followed up in time."
    if follow_up_rate < low:
        return "Above the usual 30 %, below the 60–85 % aligned teams reach."
    if follow_up_rate <= high:
        return "Within the 60–85 % aligned teams reach."
    return "Above the 60–85 % aligned teams reach."


# ---------------------------------------------------------------- definitions (one home for each term)

# A dial: a call the agent closed with a disposition (calls.status completed), dated by its start.
# A connect: a dial on which the line was answered: its lead leg reached Connected (phone_calls.answered_at), or a
# disposition that only follows an answer (everything but no answer, busy and bad number: calls dialled outside
# the console have no line record).
NOT_CONNECTED = frozenset(("no_answer", "busy", "bad_number"))
CONNECT_DISPOSITIONS = tuple(d.code for d in DISPOSITIONS if d.code not in NOT_CONNECTED)
# A conversation: a dial whose disposition says the agent spoke with the prospect (calls.rules counts_as_conversation).
CONVERSATION_DISPOSITIONS = tuple(d.code for d in DISPOSITIONS if d.counts_as_conversation)
QUALIFIED = "qualified"


def is_connect(disposition: str | None, line_answered: bool) -> bool:
    return line_answered or disposition in CONNECT_DISPOSITIONS


def is_conversation(disposition: str | None) -> bool:
    return disposition in CONVERSATION_DISPOSITIONS


GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Dial", "A call an agent closed with a disposition, counted on the day it started in your time zone."),
    ("Connect", "A dial that was answered: the line reached Connected, or the disposition says someone or a "
                "machine picked up (anything but no answer, busy, bad number)."),
    ("Conversation", "A dial that reached the prospect: wrong person, not interested, call back, nurture, do not "
                     "call or qualified."),
    ("Qualified", "A dial closed as Qualified (the lead became an MQL)."),
    ("Handed over", "Hand-offs made in the range. Accepted, rejected, meetings, opportunities, won and ratings "
                    "follow these hand-offs, whenever sales acted on them."),
    ("Follow-up rate", "Hand-offs with a first contact recorded and no first-contact SLA breach ÷ all hand-offs."),
    ("SLA compliance", "For each clock, the hand-offs it applies to without a recorded breach ÷ those it applies "
                       "to: hand over (only hand-offs marketing reviewed), accept (hand-offs sales received), first "
                       "contact (those not rejected). A clock still running counts as met so far."),
    ("Attribution", "Won deals count for one campaign: the first (or last) campaign that touched the lead up to "
                    "the win. The lead's own campaign touches it when the lead is created; at equal times the "
                    "lead's creation comes first, then touches in the order they were recorded."),
    ("Cost per", "The campaign's whole budget ÷ the qualified leads or won deals in the range."),
)


# ---------------------------------------------------------------- attribution

@dataclass(frozen=True)
class Touching:
    """One touch that may take the credit: a marketing touch with a campaign, or the lead's creation (order 0)."""

    at: datetime
    order: int  # 0: the lead's creation; else the touch's id + 1 (the order touches were recorded in)
    campaign_id: int


def attributed_campaign(lead_campaign_id: int, lead_created_at: datetime,
                        touches: list[tuple[int, datetime, int | None]], won_at: datetime, model: str) -> int:
    """The campaign a won deal counts for. `touches` are the lead's (id, occurred_at, campaign_id); those without a
    campaign or after the win take no credit. The lead's creation in its own campaign is a touch at its created_at.
    First touch: the earliest; last touch: the latest; ties broken by (creation first, then touch id)."""
    candidates = [Touching(lead_created_at, 0, lead_campaign_id)] + [
        Touching(at, touch_id + 1, campaign_id) for touch_id, at, campaign_id in touches
        if campaign_id is not None and at <= won_at]
    key = (lambda touching: (touching.at, touching.order))
    chosen = min(candidates, key=key) if model == Attribution.FIRST else max(candidates, key=key)
    return chosen.campaign_id
