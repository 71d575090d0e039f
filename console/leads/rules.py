"""Pure rules about leads: phone numbers, time zones and the calling window."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone

# Federal (TCPA) calling hours in the called party's local time; campaigns may only narrow them.
LEGAL_WINDOW = (time(8, 0), time(21, 0))


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


def zones_for_phone(e164: str) -> list[str]:
    """The IANA zones a number may ring in; empty when the number gives no usable answer."""
    zones = phone_timezone.time_zones_for_number(phonenumbers.parse(e164))
    return [zone for zone in zones if zone != phone_timezone.UNKNOWN_TIMEZONE]


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
    """Is it inside [start, end) in every zone the lead may be in?

    `now` is naive UTC or aware. A lead whose zone is unknown is never open:
    calling it would be a guess about someone else's clock.
    """
    if not zones:
        return WindowCheck(False, "time zone unknown: set the lead's zone or state before calling")
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    start, end = effective_window(start, end)
    for zone in zones:
        try:
            local = now.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            return WindowCheck(False, f"unknown time zone {zone!r}")
        if not (start <= local.time() < end):
            when = "opens" if local.time() < start else "closed since"
            edge = start if local.time() < start else end
            return WindowCheck(
                False,
                f"outside calling window: {local:%H:%M} in {zone}, {when} {edge:%H:%M}",
            )
    return WindowCheck(True)


def open_zone_keys(zone_keys: set[str], now: datetime, start: time, end: time) -> set[str]:
    """Of the stored `time_zones` values (comma-joined zone lists), those callable now."""
    return {key for key in zone_keys if check_calling_window(key.split(",") if key else [], now, start, end).open}
