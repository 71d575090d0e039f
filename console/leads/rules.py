"""Pure rules about leads: where a lead stands (in the queue, in the shared glossary), its phone number (stored,
shown, searched) and its contact data as a person types it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

import email_validator
import phonenumbers

from console.compliance.rules import InvalidPhoneNumber, read_phone  # noqa: F401  (InvalidPhoneNumber: callers catch it here)


class QueueState:
    """Where a lead stands in the calling queue (not its marketing stage)."""

    NEW = "new"
    RETRY = "retry"
    CALLBACK = "callback"
    CLOSED = "closed"
    WORKABLE = (NEW, RETRY, CALLBACK)


def recall_due_at(recall_on: date) -> datetime:
    """When a recalled lead is due again (naive UTC): the start of its recall date; its calling window decides
    the hour it is really called."""
    return datetime.combine(recall_on, time(0))


class RecallCause:
    """What sent a lead back to the queue (leads.models.Recall.cause), in the words the next agent reads."""

    NURTURE = "nurture"  # the Nurture disposition
    REJECTED = "rejected"  # sales: not ready yet
    LOST = "lost"  # a lost deal recycled
    CLERICAL = "clerical"  # sales: bad data, back to the agent who qualified it
    WORDS = {NURTURE: "nurtured on a call", REJECTED: "rejected by sales as not ready",
             LOST: "deal lost, recycled", CLERICAL: "bad data"}


class Stage:
    """The shared glossary: the only words screens and reports use for a lead's stage."""

    LEAD = "lead"
    MQL = "mql"
    SAL = "sal"
    SQL = "sql"
    NURTURE = "nurture"
    DISQUALIFIED = "disqualified"
    # Not handed over to sales, not disqualified: what the lead definition's rescoring and impact cover.
    OPEN = (LEAD, NURTURE)
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


def phone_search_terms(typed: str, default_region: str = "US") -> tuple[str | None, str | None]:
    """A number typed in any format, as a search: (its E.164 form, when it is a whole valid number; else the
    E.164 prefix its digits begin), both None when it has no digits.

    "+1 (212) 555-0101" and "212.555.0101" give ("+12125550101", None); the first digits of a number
    give a prefix: "212 555" → "+1212555" (the default country's code put in front), "1 212 555" and
    "+1 212 555" → "+1212555" (typed with it), "+44 20" → "+4420".
    """
    digits = re.sub(r"\D", "", typed)
    if not digits:
        return None, None
    try:
        return normalise_phone(typed, default_region), None
    except InvalidPhoneNumber:
        pass
    country = str(phonenumbers.country_code_for_region(default_region) or "")
    if typed.strip().startswith("+") or not country or digits.startswith(country):
        return None, "+" + digits
    return None, f"+{country}{digits}"


# ---------------------------------------------------------------- a lead's contact data

# What a person may change on a lead's contact data (console.leads.services.update_contact), and how long each may be.
CONTACT_FIELDS = {"first_name": 80, "last_name": 80, "title": 120, "buying_role": 40, "email": 254, "phone": 20,
                  "alternate_phone": 20, "state": 2, "country": 2}
REQUIRED_CONTACT_FIELDS = ("first_name", "last_name", "phone")
CONTACT_LABELS = {"first_name": "First name", "last_name": "Last name", "title": "Title",
                  "buying_role": "Buying-centre role", "email": "Email", "phone": "Phone",
                  "alternate_phone": "Alternate phone", "state": "State or province", "country": "Country",
                  "custom_fields": "Campaign fields"}
CUSTOM_VALUE_LIMIT = 500


@dataclass(frozen=True)
class ContactCheck:
    """Contact data as it will be stored (`values`), or what is wrong with it, field by field (`errors`)."""

    values: dict
    errors: dict[str, str]


def check_contact(changes: dict, *, known_states, custom_keys=(), current_phone: str | None = None) -> ContactCheck:
    """Clean and check contact data a person typed (the fields of CONTACT_FIELDS given in `changes`, and
    `custom_fields`, a dict of the campaign's own fields by key).

    Text is trimmed and an empty value stored as None (the names and the phone are required); phones become
    E.164, read in the lead's country when given, else the country of its current number; the email's syntax
    is checked (its domain lower-cased, no DNS lookup); the state must be a known code (`known_states`), the
    country a region code phonenumbers knows; custom values only for `custom_keys`.
    """
    values: dict = {}
    errors: dict[str, str] = {}
    for name, raw in changes.items():
        if name == "custom_fields":
            continue
        if name not in CONTACT_FIELDS:
            raise KeyError(name)
        text = (raw or "").strip()
        if name in REQUIRED_CONTACT_FIELDS and not text:
            errors[name] = f"Give the lead's {CONTACT_LABELS[name].lower()}."
        elif name not in ("phone", "alternate_phone", "email") and len(text) > CONTACT_FIELDS[name]:
            errors[name] = f"At most {CONTACT_FIELDS[name]} characters."
        else:
            values[name] = text or None
    if values.get("state"):
        values["state"] = values["state"].upper()
        if values["state"] not in known_states:
            errors["state"] = f"{values['state']} is not a US state or Canadian province code (write TX, ON)."
    if values.get("country"):
        values["country"] = values["country"].upper()
        if values["country"] not in phonenumbers.SUPPORTED_REGIONS:
            errors["country"] = f"{values['country']} is not a country code (write US, CA, GB)."
    region = (values.get("country") if "country" not in errors else None) or \
        (region_of(current_phone) if current_phone else "US")
    for name in ("phone", "alternate_phone"):
        if values.get(name):
            try:
                values[name] = normalise_phone(values[name], region)
            except InvalidPhoneNumber:
                errors[name] = f"{values[name][:40]} is not a valid phone number."
    if values.get("email"):
        try:
            values["email"] = email_validator.validate_email(values["email"], check_deliverability=False).normalized
        except email_validator.EmailNotValidError as error:
            errors["email"] = f"Not an email address: {error}"
        else:
            if len(values["email"]) > CONTACT_FIELDS["email"]:
                errors["email"] = f"At most {CONTACT_FIELDS['email']} characters."
    if "custom_fields" in changes:
        custom = {}
        for key, raw in (changes["custom_fields"] or {}).items():
            if key not in custom_keys:
                continue
            text = (raw or "").strip()
            if len(text) > CUSTOM_VALUE_LIMIT:
                errors[f"custom:{key}"] = f"At most {CUSTOM_VALUE_LIMIT} characters."
            elif text:
                custom[key] = text
        values["custom_fields"] = custom
    return ContactCheck(values, errors)
