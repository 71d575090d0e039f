"""Pure rules about leads: where a lead stands (in the queue, in the shared glossary) and its phone number."""
from __future__ import annotations

import phonenumbers

from console.compliance.rules import InvalidPhoneNumber, read_phone

__all__ = ["InvalidPhoneNumber", "QueueState", "Stage", "format_phone", "normalise_phone", "region_of"]


class QueueState:
    """Where a lead stands in the calling queue (not its marketing stage)."""

    NEW = "new"
    RETRY = "retry"
    CALLBACK = "callback"
    CLOSED = "closed"
    WORKABLE = (NEW, RETRY, CALLBACK)


class Stage:
    """The shared glossary: the only words screens and reports use for a lead's stage."""

    LEAD = "lead"
    MQL = "mql"
    SAL = "sal"
    SQL = "sql"
    NURTURE = "nurture"
    DISQUALIFIED = "disqualified"
    LABELS = {
        LEAD: "Lead",
        MQL: "Marketing-qualified lead (MQL)",
        SAL: "Sales-accepted lead (SAL)",
        SQL: "Sales-qualified lead / opportunity",
        NURTURE: "Nurture",
        DISQUALIFIED: "Disqualified",
    }


def normalise_phone(raw: str, default_region: str = "US") -> str:
    """Return the number in E.164, or raise InvalidPhoneNumber saying why (console.compliance.rules.read_phone)."""
    return read_phone(raw, default_region).e164


def format_phone(e164: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def region_of(e164: str, fallback: str = "US") -> str:
    """The country a stored number belongs to: how a number typed without a prefix (a referral's) is read."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or fallback
    except phonenumbers.NumberParseException:
        return fallback
