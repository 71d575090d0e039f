"""Reading a list of leads: the fields a column can be mapped to, guessing and checking a mapping, and reading
one row into a lead or a rejection with its reason.

Pure (no Flask, no database), and fast enough to read a million rows: the import job hands batches of rows to
`read_rows` in a second process. Where a lead is (its number's zones, its state) is read through the calling
law's one home, console.compliance.rules.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from console.compliance.rules import InvalidPhoneNumber, infer_time_zones, is_zone_name, read_phone, state_code


# ---------------------------------------------------------------- the fields

@dataclass(frozen=True)
class Field:
    key: str
    label: str
    aliases: tuple[str, ...] = ()  # header names (lower case, single spaces) that mean this field
    max_length: int | None = None
    hint: str = ""


CUSTOM_PREFIX = "custom."

FIELDS = (
    Field("phone", "Phone", ("phone", "phone number", "telephone", "tel", "direct dial", "work phone",
                             "business phone", "direct phone", "number"),
          hint="required: the number the lead is called on, in any format"),
    Field("first_name", "First name", ("first name", "firstname", "first", "given name", "forename"), 80),
    Field("last_name", "Last name", ("last name", "lastname", "last", "surname", "family name"), 80),
    Field("full_name", "Full name", ("name", "full name", "contact", "contact name"), 161,
          hint="split into first and last name when those are not mapped"),
    Field("title", "Job title", ("title", "job title", "position", "job"), 120),
    Field("company", "Company", ("company", "company name", "account", "account name", "organisation",
                                 "organization", "employer"), 160, hint="a company or its domain is required"),
    Field("company_domain", "Company domain", ("domain", "company domain", "website", "web site",
                                               "company website", "url"), 200),
    Field("email", "Email", ("email", "e-mail", "email address", "e-mail address", "mail"), 254),
    Field("alternate_phone", "Alternate phone", ("alternate phone", "other phone", "mobile", "mobile phone",
                                                 "cell", "cell phone", "phone 2", "second phone")),
    Field("state", "State / province", ("state", "province", "state/province", "state or province",
                                        "region"), 60),
    Field("country", "Country", ("country", "country code"), 60),
    Field("time_zone", "Time zone", ("time zone", "timezone", "tz", "zone"), 200),
    Field("source", "Lead source", ("source", "lead source", "channel"), 60),
    Field("buying_role", "Buying-centre role", ("buying role", "buying-centre role", "buying center role",
                                                "persona", "role"), 40),
    Field("external_id", "External id", ("external id", "id", "lead id", "record id", "crm id", "contact id"), 100),
)
FIELD_BY_KEY = {field.key: field for field in FIELDS}


def fields_for(custom_fields: list[dict] | None) -> tuple[Field, ...]:
    """Every field a column may be mapped to for a campaign: the lead's own, then the campaign's
    (`Campaign.custom_fields`, keyed `custom.<key>`)."""
    custom = tuple(Field(f"{CUSTOM_PREFIX}{item['key']}", str(item.get("label") or item["key"]),
                         (_spaced(str(item.get("label") or "")), _spaced(str(item["key"]).replace("_", " "))))
                   for item in (custom_fields or []) if item.get("key"))
    return FIELDS + custom


def _spaced(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").split())


# ---------------------------------------------------------------- the header and the mapping

def column_names(header: list[str]) -> list[str]:
    """The file's header as the names the mapping uses: trimmed, a blank one named by its place, and a
    repeated one numbered ("Phone", "Phone (2)"), so every column has its own name."""
    names, seen = [], {}
    for index, cell in enumerate(header, start=1):
        name = " ".join(cell.replace("\ufeff", "").split())[:120] or f"Column {index}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def guess_mapping(columns: list[str], fields: tuple[Field, ...]) -> dict[str, str]:
    """Field key → column, for the columns whose header names a field (its label or a usual name for it)."""
    by_name = {}
    for field in fields:
        for name in (_spaced(field.label), *field.aliases):
            by_name.setdefault(name, field.key)
    mapping = {}
    for column in columns:
        key = by_name.get(_spaced(re.sub(r"\s*\(\d+\)$", "", column)))
        if key is not None and key not in mapping:
            mapping[key] = column
    return mapping


def remembered_mapping(remembered: dict | None, columns: list[str], fields: tuple[Field, ...]) -> dict[str, str]:
    """A mapping remembered for the source, kept where this file has the same columns, the rest guessed."""
    known = {field.key for field in fields}
    mapping = {key: column for key, column in (remembered or {}).items() if key in known and column in columns}
    for key, column in guess_mapping(columns, fields).items():
        if key not in mapping and column not in mapping.values():
            mapping[key] = column
    return mapping


def mapping_problems(mapping: dict[str, str], columns: list[str], fields: tuple[Field, ...]) -> dict[str, str]:
    """What makes a mapping unusable, by field key (or "" for the whole), in words; empty when it is usable."""
    problems = {}
    known = {field.key: field for field in fields}
    for key, column in mapping.items():
        if key not in known:
            problems[""] = f"There is no field {key!r} to map a column to."
        elif column not in columns:
            problems[key] = f"The file has no column {column!r}."
    used: dict[str, str] = {}
    for key, column in mapping.items():
        if column in used:
            problems[key] = f"{column!r} is mapped to {known[used[column]].label} already: map it to one field."
        used[column] = key
    if "phone" not in mapping:
        problems["phone"] = "Map a column to Phone: a lead is called on it. A list without phone numbers cannot be imported."
    if "company" not in mapping and "company_domain" not in mapping:
        problems["company"] = "Map a column to Company or Company domain: a lead is a contact at an account."
    if not {"first_name", "last_name", "full_name"} & set(mapping):
        problems["last_name"] = "Map a column to First name, Last name or Full name."
    return problems


# ---------------------------------------------------------------- reading one row

@dataclass(frozen=True)
class ReadPlan:
    """How to read each row of one file: the column index of each mapped field, and the phone numbers' region
    when a row gives no country. Plain values: it is sent to the process that reads rows."""

    columns: tuple[tuple[str, int], ...]
    default_region: str = "US"
    default_source: str = ""


def read_plan(mapping: dict[str, str], columns: list[str], *, default_region: str = "US",
              default_source: str = "") -> ReadPlan:
    index = {column: position for position, column in enumerate(columns)}
    return ReadPlan(tuple((key, index[column]) for key, column in mapping.items() if column in index),
                    default_region, default_source[:60])


# A row read into a lead: what the lead's writer stores (console.leads.services), plus the account to find.
# (kind, line, values) with kind "lead"; (kind, line, reason) with kind "rejected".
LEAD, REJECTED = "lead", "rejected"

_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]{2,}")
_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+")
COUNTRY_NAMES = {"UNITED STATES": "US", "UNITED STATES OF AMERICA": "US", "USA": "US", "U S A": "US", "U S": "US",
                 "AMERICA": "US", "CANADA": "CA", "UNITED KINGDOM": "GB", "UK": "GB", "GREAT BRITAIN": "GB",
                 "ENGLAND": "GB", "MEXICO": "MX", "MÉXICO": "MX", "FRANCE": "FR", "GERMANY": "DE",
                 "DEUTSCHLAND": "DE", "IRELAND": "IE", "AUSTRALIA": "AU", "SPAIN": "ES", "ITALY": "IT"}
_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)
# What a list writes for a zone instead of its IANA name.
ZONE_WORDS = {"EASTERN": "America/New_York", "ET": "America/New_York", "EST": "America/New_York",
              "EDT": "America/New_York", "CENTRAL": "America/Chicago", "CT": "America/Chicago",
              "CST": "America/Chicago", "CDT": "America/Chicago", "MOUNTAIN": "America/Denver",
              "MT": "America/Denver", "MST": "America/Denver", "MDT": "America/Denver", "ARIZONA": "America/Phoenix",
              "PACIFIC": "America/Los_Angeles", "PT": "America/Los_Angeles", "PST": "America/Los_Angeles",
              "PDT": "America/Los_Angeles", "ALASKA": "America/Anchorage", "AKST": "America/Anchorage",
              "HAWAII": "Pacific/Honolulu", "HST": "Pacific/Honolulu", "ATLANTIC": "America/Halifax",
              "AST": "America/Halifax", "NEWFOUNDLAND": "America/St_Johns", "NST": "America/St_Johns"}


def country_code(text: str) -> str | None:
    """An ISO 3166 alpha-2 code from a code or a common name; None when it names no country we know."""
    upper = " ".join(text.upper().replace(".", " ").split())
    if len(upper) == 2 and upper in _REGIONS:
        return upper
    return COUNTRY_NAMES.get(upper)


def zone_names(text: str) -> list[str] | None:
    """IANA zones written as names or usual words ("America/Chicago", "Central", "PST"), separated by , ; or |;
    None when one of them is not a zone."""
    zones = []
    for part in re.split(r"[,;|]", text):
        part = part.strip()
        if not part:
            continue
        zone = ZONE_WORDS.get(part.upper(), part)
        if not is_zone_name(zone):
            return None
        if zone not in zones:
            zones.append(zone)
    return zones


def company_domain(text: str) -> str | None:
    """A company's web domain from what a list holds ("https://www.Acme.com/about" → "acme.com")."""
    domain = text.strip().lower()
    domain = re.sub(r"^[a-z][a-z0-9+.-]*://", "", domain).split("/")[0].split("?")[0].split("#")[0]
    domain = domain.split("@")[-1].split(":")[0].removeprefix("www.").strip(".")
    return domain if _DOMAIN.fullmatch(domain) and len(domain) <= 200 else None


def _short(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "…"


def read_row(line: int, cells: list[str], plan: ReadPlan) -> tuple:
    """One data row as a lead to write, or its rejection with the reason, for people.

    A lead: (LEAD, line, values) where values holds the lead's columns (phone in E.164, zones, state code,
    country code, custom_fields) and "company", "company_domain" (to find or make its account).
    """
    raw = {}
    width = len(cells)
    for key, position in plan.columns:
        if position < width:
            value = cells[position].strip()
            if value:
                raw[key] = value
    for key, value in raw.items():
        limit = FIELD_BY_KEY[key].max_length if key in FIELD_BY_KEY else None
        if limit is not None and len(value) > limit:
            return REJECTED, line, f"{FIELD_BY_KEY[key].label} is longer than {limit} characters"

    region = plan.default_region
    country = None
    if "country" in raw:
        country = country_code(raw["country"])
        if country is None:
            return REJECTED, line, f"country {_short(raw['country'])!r} is not one we know: write its two-letter code (US, CA)"
        region = country
    phone_text = raw.get("phone")
    if phone_text is None:
        return REJECTED, line, "no phone number"
    try:
        phone = read_phone(phone_text, region)
    except InvalidPhoneNumber:
        return REJECTED, line, f"phone {_short(phone_text)!r} is not a valid number"
    alternate = None
    if "alternate_phone" in raw:
        try:
            alternate = read_phone(raw["alternate_phone"], region).e164
        except InvalidPhoneNumber:
            return REJECTED, line, f"alternate phone {_short(raw['alternate_phone'])!r} is not a valid number"
    email = raw.get("email")
    if email is not None:
        if not _EMAIL.fullmatch(email):
            return REJECTED, line, f"email {_short(email)!r} is not an email address"
        email = email.lower()
    state = None
    if "state" in raw:
        state = state_code(raw["state"])
        if state is None and country in (None, "US", "CA"):
            return REJECTED, line, f"state {_short(raw['state'])!r} is not a US state or Canadian province"
    elif country in (None, "US", "CA"):
        state = phone.state  # the number's area code says where it is: its state's calling rules apply
    domain = None
    if "company_domain" in raw:
        domain = company_domain(raw["company_domain"])
        if domain is None:
            return REJECTED, line, f"company domain {_short(raw['company_domain'])!r} is not a web domain"
    company = raw.get("company")
    if company is None and domain is None:
        return REJECTED, line, "no company or company domain: a lead is a contact at an account"
    first, last = raw.get("first_name", ""), raw.get("last_name", "")
    if not first and not last and "full_name" in raw:
        first, _, last = raw["full_name"].rpartition(" ")
        if not first:
            first, last = last, ""
        first, last = first[:80], last[:80]
    if not first and not last:
        return REJECTED, line, "no name"
    if "time_zone" in raw:
        zones = zone_names(raw["time_zone"])
        if zones is None:
            return REJECTED, line, f"time zone {_short(raw['time_zone'])!r} is not a zone name (write America/Chicago or Central)"
    else:
        zones = infer_time_zones(phone.e164, state, phone_zones=phone.zones)
    custom = {key[len(CUSTOM_PREFIX):]: value for key, value in raw.items() if key.startswith(CUSTOM_PREFIX)}
    return LEAD, line, {
        "first_name": first, "last_name": last, "title": raw.get("title"), "email": email, "phone": phone.e164,
        "alternate_phone": alternate, "state": state, "country": country, "time_zones": ",".join(zones),
        "source": raw.get("source") or plan.default_source or None, "buying_role": raw.get("buying_role"),
        "external_id": raw.get("external_id"), "custom_fields": custom,
        "company": company, "company_domain": domain,
    }


def read_rows(rows: list[tuple[int, list[str]]], plan: ReadPlan) -> list[tuple]:
    """read_row over a batch: what the import's second process runs."""
    return [read_row(line, cells, plan) for line, cells in rows]


# ---------------------------------------------------------------- the list's life

class ListStatus:
    """A lead list (an import) from upload to its end; withdrawn afterwards."""

    STORING = "storing"          # the upload is being stored: not shown anywhere yet
    UPLOADED = "uploaded"        # the file is stored; its columns are not mapped yet
    QUEUED = "queued"            # mapped; the worker will read it
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"            # the file could not be read: nothing was written
    INTERRUPTED = "interrupted"  # stopped part way: exactly rows_done rows were written
    WITHDRAWN = "withdrawn"      # its untouched leads left the queue
    LABELS = {UPLOADED: "Waiting for its column mapping", QUEUED: "Queued", RUNNING: "Importing", DONE: "Imported",
              FAILED: "Failed", INTERRUPTED: "Interrupted", WITHDRAWN: "Withdrawn"}
    FINISHED = (DONE, FAILED, INTERRUPTED, WITHDRAWN)


# Outcomes of a data row; every row has exactly one, and the list's counts add up to the rows read.
IMPORTED, UPDATED, DUPLICATE, SUPPRESSED = "imported", "updated", "duplicate", "suppressed"
OUTCOMES = (IMPORTED, UPDATED, DUPLICATE, SUPPRESSED, REJECTED)
OUTCOME_LABELS = {IMPORTED: "Imported", UPDATED: "Updated", DUPLICATE: "Duplicate", SUPPRESSED: "Suppressed (do not call)",
                  REJECTED: "Rejected"}
DUPLICATE_POLICIES = {"skip": "Skip them (keep the existing lead as it is)",
                      "update": "Update the existing lead with the file's values"}

# A cell longer than this is cut in the row report (the report says so); the file itself is kept whole.
REPORT_CELL_LIMIT = 2000


def report_values(columns: list[str], cells: list[str]) -> dict[str, str]:
    """A row's original cells by column, as the row report keeps them."""
    values = {}
    for column, cell in zip(columns, cells):
        values[column] = cell if len(cell) <= REPORT_CELL_LIMIT else cell[:REPORT_CELL_LIMIT] + " [cut]"
    if len(cells) > len(columns):
        values["(extra cells)"] = " | ".join(cells[len(columns):])[:REPORT_CELL_LIMIT]
    return values
