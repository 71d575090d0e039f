"""Pure rules about leads: phone numbers, time zones and the calling window."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from pathlib import Path

import phonenumbers
import yaml
from phonenumbers import timezone as phone_timezone

# Federal (TCPA) calling hours in the called party's local time; campaigns may only narrow them.
LEGAL_WINDOW = (time(8, 0), time(21, 0))
# A number that "maps" to more zones than this is not geographic (toll-free, non-geographic
# services span the whole +1 plan): it says nothing about where the person is.
MAX_GEOGRAPHIC_ZONES = 4
STATE_ZONES_FILE = Path(__file__).parent.parent / "queue" / "data" / "state_time_zones.yaml"


class InvalidPhoneNumber(ValueError):
    pass


def normalise_phone(raw: str, default_region: str = "US") -> str:
    """Return the number in E.164, or raise InvalidPhoneNumber saying why."""
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(f"not a phone number: {raw!r}") from error
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"not a valid number: {raw!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def stored_zones(time_zones: str) -> list[str]:
    """The zones of a lead as stored: comma-separated, empty for unknown."""
    return [zone for zone in time_zones.split(",") if zone]


def zones_for_phone(e164: str) -> list[str]:
    """The IANA zones a number may ring in; empty when the number gives no usable answer."""
    zones = phone_timezone.time_zones_for_number(phonenumbers.parse(e164))
    return [zone for zone in zones if zone != phone_timezone.UNKNOWN_TIMEZONE]


@lru_cache(maxsize=1)
def state_time_zones() -> dict[str, tuple[str, ...]]:
    """IANA zones of each US state / territory / Canadian province, by postal code (shipped data)."""
    raw = yaml.safe_load(STATE_ZONES_FILE.read_text()) or {}
    return {code.upper(): tuple(zones) for code, zones in raw.items()}


def infer_time_zones(phone_e164: str | None, state: str | None = None) -> list[str]:
    """The zones a lead may be in, from its number and, when given, its state or province.

    The number decides when it is geographic; the state narrows a number that maps
    to several zones, and stands in for one that says nothing (toll-free, unknown).
    When the two disagree (a mobile number kept after a move) the lead may be in
    either place, so all of those zones must be open before it is called.
    Empty means unknown: the lead is not dialable until someone sets its zone.
    """
    phone_zones = []
    if phone_e164:
        try:
            phone_zones = zones_for_phone(phone_e164)
        except phonenumbers.NumberParseException:
            phone_zones = []
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


def format_phone(e164: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164


@dataclass(frozen=True)
class WindowCheck:
    open: bool
    reason: str = ""


def effective_window(campaign_start: time, campaign_end: time) -> tuple[time, time]:
    """The campaign's hours, never wider than the legal window."""
    return max(campaign_start, LEGAL_WINDOW[0]), min(campaign_end, LEGAL_WINDOW[1])


def check_calling_window(zones: list[str], now: datetime, start: time, end: time) -> WindowCheck:
    """Is it inside [start, end) in every zone the lead may be in (federal window, every day, no state rule)?

    `now` is naive UTC or aware. A lead whose zone is unknown is never open.
    The full rule, with calling days, holidays and state rules, is
    console.queue.rules.calling_window; this is that rule with only the hours.
    """
    from console.queue.rules import CallingHours, calling_window

    check = calling_window(zones, None, now, CallingHours(start=start, end=end))
    return WindowCheck(check.open, check.reason)


def open_zone_keys(zone_keys: set[str], now: datetime, start: time, end: time) -> set[str]:
    """Of the stored `time_zones` values (comma-joined zone lists), those callable now."""
    return {key for key in zone_keys if check_calling_window(key.split(",") if key else [], now, start, end).open}
