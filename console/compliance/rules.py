"""The calling law: when a lead may be called, in its own local time, and where a lead is.

Pure functions over plain values (no Flask, no database), so the rules that keep
agents compliant are tested in milliseconds (tests/unit/test_calling_window_rules.py):

* the federal window (47 CFR 64.1200(c)(1)): 08:00–21:00 in the called party's
  local time, never widened; a campaign's hours, days and holidays narrow it;
* state rules stricter than that, shipped as data (data/state_calling_rules.yaml)
  with each state's legal holidays from the `holidays` package;
* every zone a lead may be in must be open; an unknown zone is never open;
* where a lead is: its zones from its number and state (data/state_time_zones.yaml).

The do-not-call list is the other half of the law: console/compliance/models.py
holds it, console/compliance/services.py reads it, and console/leads/services.py
changes it (each change takes the number out of every queue in the same transaction).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as holiday_calendars
import phonenumbers
import yaml
from phonenumbers import timezone as phone_timezone
from phonenumbers.phonenumberutil import _number_type_helper as _number_type
from phonenumbers.re_util import re_compile as _compiled

# Federal (TCPA) calling hours in the called party's local time; campaigns may only narrow them.
LEGAL_WINDOW = (time(8, 0), time(21, 0))

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
    """The shipped state rules (console/compliance/data/state_calling_rules.yaml), by state code."""
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

# ---------------------------------------------------------------- where a lead is

# A number that "maps" to more zones than this is not geographic (toll-free, non-geographic
# services span the whole +1 plan): it says nothing about where the person is.
MAX_GEOGRAPHIC_ZONES = 4
STATE_ZONES_FILE = DATA_DIR / "state_time_zones.yaml"


# The longest IANA zone name is 32 characters: anything much longer is not one, and is never handed to ZoneInfo
# (which opens a file by that name, and fails with OSError on a name too long for the file system).
MAX_ZONE_NAME_LENGTH = 64


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone_name(name: str) -> bool:
    """Whether `name` is an IANA time zone name (America/Chicago) this machine knows."""
    return len(name) <= MAX_ZONE_NAME_LENGTH and name in _known_zones()


def stored_zones(time_zones: str) -> list[str]:
    """The zones of a lead as stored: comma-separated, empty for unknown."""
    return [zone for zone in time_zones.split(",") if zone]


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number that can be dialled; the message says why, for people."""


@dataclass(frozen=True)
class PhoneFacts:
    """What a phone number says: the number in E.164, the zones it may ring in (empty: it gives none), and for a
    geographic North American number the state or province its area code is in (else None)."""

    e164: str
    zones: tuple[str, ...]
    state: str | None = None


# What a spreadsheet's phone column holds for a North American number: ten digits (the area code's first
# from 2 to 9), perhaps after a 1 or +1, with spaces, dots, dashes and brackets between. Such a text is read
# without phonenumbers' parser, which costs more than everything else an import does with a row; what the
# number then *is* (valid, its type, its zones) is still phonenumbers' answer. Held to the parser by
# tests/unit/test_phone_reading.py on generated numbers in every format.
_NANP_SHAPE = re.compile(r"\s*(?:\+?1[\s.\-]*)?\(?([2-9][0-9]{2})\)?[\s.\-]*([0-9]{3})[\s.\-]*([0-9]{4})\s*")
_NANP_REGIONS = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1])


def read_phone(raw: str, default_region: str = "US") -> PhoneFacts:
    """The number `raw` (as typed, in any format; without a country prefix it is read in `default_region`),
    in E.164 with its zones; InvalidPhoneNumber when it is not a valid number.

    The same answer as phonenumbers.parse, is_valid_number, format_number(E164) and
    timezone.time_zones_for_number, with each step done once.
    """
    raw = raw if isinstance(raw, str) else str(raw)
    shape = _NANP_SHAPE.fullmatch(raw) if len(raw) < 40 else None
    if shape is not None and (default_region in _NANP_REGIONS or raw.lstrip().startswith("+")):
        number = phonenumbers.PhoneNumber(country_code=1, national_number=int("".join(shape.groups())))
    else:
        try:
            number = phonenumbers.parse(raw, default_region)
        except phonenumbers.NumberParseException as error:
            raise InvalidPhoneNumber(f"not a phone number: {raw[:60]!r}") from error
    return _facts_of(number, raw)


def _facts_of(number: phonenumbers.PhoneNumber, raw: str) -> PhoneFacts:
    # is_valid_number and number_type, with the region, metadata and type worked out once for both.
    country_code = number.country_code
    national = phonenumbers.national_significant_number(number)
    region, kind = _region_and_type(country_code, national)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if kind is None:
        kind = _number_type(national, metadata) if metadata is not None else phonenumbers.PhoneNumberType.UNKNOWN
    valid = (region is not None and metadata is not None and kind != phonenumbers.PhoneNumberType.UNKNOWN
             and (region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
                  or country_code == phonenumbers.country_code_for_valid_region(region)))
    if not valid:
        raise InvalidPhoneNumber(f"not a valid number: {raw[:60]!r}")
    e164 = f"+{country_code}{national}"  # format_number(E164) for a valid number
    state = None
    if country_code == 1 and phonenumbers.is_number_type_geographical(kind, country_code):
        # A US territory has a region of its own, which the geocoder names when it knows no area within it.
        state = _area_state(e164) or (region if region in _TERRITORIES else None)
    return PhoneFacts(e164, _zones_of(number, kind, e164), state)


def _region_and_type(country_code: int, national: str):
    """phonenumbers.region_code_for_number, and the number's type when finding the region worked it out
    (a region without leading digits is chosen by validating the number against it), else None."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if regions is None:
        return None, None
    if len(regions) == 1:
        return regions[0], None
    for region in regions:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if _compiled(metadata.leading_digits).match(national):
                return region, None
        elif (kind := _number_type(national, metadata)) != phonenumbers.PhoneNumberType.UNKNOWN:
            return region, kind
    return None, None


def _zones_of(number, kind, e164: str) -> tuple[str, ...]:
    """timezone.time_zones_for_number, given the number's type; unknown zones left out."""
    if not phonenumbers.is_number_type_geographical(kind, number.country_code):
        zones = phone_timezone._country_level_time_zones_for_number(number)
    else:
        zones = _prefix_zones(e164)
    return tuple(zone for zone in zones if zone != phone_timezone.UNKNOWN_TIMEZONE)


def _prefix_zones(e164: str):
    for length in range(phone_timezone.TIMEZONE_LONGEST_PREFIX, 0, -1):
        zones = phone_timezone.TIMEZONE_DATA.get(e164[1:1 + length])
        if zones is not None:
            return zones
    return (phone_timezone.UNKNOWN_TIMEZONE,)


_TERRITORIES = frozenset({"PR", "VI", "GU", "AS", "MP"})  # phonenumbers' regions that are our state codes too


def _area_state(e164: str) -> str | None:
    """The state or province of a geographic +1 number, as phonenumbers' geocoder names it ("Chicago, IL",
    "Ontario", "Washington State"), read at its longest known prefix (`area_states()`). Memoised by the first 7
    digits, the longest +1 prefix the geocoder has: a list repeats exchanges."""
    return _prefix_state(e164[1:8])


@lru_cache(maxsize=65536)
def _prefix_state(digits: str) -> str | None:
    states = area_states()
    for length in range(len(digits), 0, -1):
        if digits[:length] in states:
            return states[digits[:length]]
    return None


AREA_STATES_FILE = DATA_DIR / "nanp_area_states.json"


@lru_cache(maxsize=1)
def area_states() -> dict[str, str | None]:
    """+1 number prefixes ("1212", "1201631") and the state or province each is in (None: the geocoder names none),
    made from phonenumbers' geocoder by scripts/make_area_states.py: only the prefixes whose answer differs from
    their longest shorter prefix's, which gives the same answer at the longest prefix and a 30 kB file."""
    return json.loads(AREA_STATES_FILE.read_text())


def area_states_from_geocoder() -> dict[str, str | None]:
    """area_states() as the installed phonenumbers' geocoder gives it (loads all its data: ~100 MB)."""
    from phonenumbers.geodata import GEOCODE_DATA

    full = {}
    for prefix, names in GEOCODE_DATA.items():
        if prefix.startswith("1"):
            description = names.get("en", "")
            full[prefix] = state_code(description.rsplit(", ", 1)[-1]) or state_code(description)

    def inherited(prefix: str):
        for length in range(len(prefix) - 1, 0, -1):
            if prefix[:length] in full:
                return full[prefix[:length]]
        return None

    return {prefix: state for prefix, state in full.items() if state != inherited(prefix) or len(prefix) == 1}


def zones_for_phone(e164: str) -> list[str]:
    """The IANA zones a number may ring in; empty when the number gives no usable answer."""
    try:
        return list(read_phone(e164).zones)
    except InvalidPhoneNumber:
        return []


@lru_cache(maxsize=1)
def state_time_zones() -> dict[str, tuple[str, ...]]:
    """IANA zones of each US state / territory / Canadian province, by postal code (shipped data)."""
    raw = yaml.safe_load(STATE_ZONES_FILE.read_text()) or {}
    return {code.upper(): tuple(zones) for code, zones in raw.items()}


STATE_NAMES_FILE = DATA_DIR / "state_names.yaml"


@lru_cache(maxsize=1)
def _state_codes_by_text() -> dict[str, str]:
    codes = {code: code for code in state_time_zones()}
    raw = yaml.safe_load(STATE_NAMES_FILE.read_text()) or {}
    for code, names in raw.items():
        for name in names:
            codes[" ".join(name.upper().replace(".", " ").split())] = code.upper()
    return codes


def state_code(text: str | None) -> str | None:
    """The postal code of a US state, territory or Canadian province written as its code or its name
    ("tx", "New York", "Québec"); None when it names none of them."""
    if not text:
        return None
    return _state_codes_by_text().get(" ".join(text.upper().replace(".", " ").split()))


def infer_time_zones(phone_e164: str | None, state: str | None = None, *,
                     phone_zones: list[str] | tuple[str, ...] | None = None) -> list[str]:
    """The zones a lead may be in, from its number and, when given, its state or province.

    The number decides when it is geographic; the state narrows a number that maps
    to several zones, and stands in for one that says nothing (toll-free, unknown).
    When the two disagree (a mobile number kept after a move) the lead may be in
    either place, so all of those zones must be open before it is called.
    Empty means unknown: the lead is not dialable until someone sets its zone.
    `phone_zones`: the number's zones when the caller has read them already (read_phone).
    """
    if phone_zones is None:
        phone_zones = zones_for_phone(phone_e164) if phone_e164 else []
    phone_zones = list(phone_zones)
    if len(phone_zones) > MAX_GEOGRAPHIC_ZONES:
        phone_zones = []
    state_zones = list(state_time_zones().get((state or "").strip().upper(), ()))
    if not state_zones:
        return phone_zones
    if not phone_zones:
        return state_zones
    common = [zone for zone in phone_zones if zone in state_zones]
    if common:
        return common
    return sorted(set(phone_zones) | set(state_zones))


# ---------------------------------------------------------------- window keys

def window_key(zones, state: str | None) -> str:
    """What decides a lead's calling window: its zones and its state ('America/Chicago|TX')."""
    return f"{','.join(zone for zone in zones if zone)}|{(state or '').upper()}"


def split_window_key(key: str) -> tuple[list[str], str | None]:
    zones, _, state = key.partition("|")
    return [zone for zone in zones.split(",") if zone], (state or None)


def minute_of(now: datetime) -> datetime:
    """Windows only change on whole minutes (see calling_window), so a minute is a safe cache key."""
    return now.replace(second=0, microsecond=0)
