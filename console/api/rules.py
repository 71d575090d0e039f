"""The API's pure rules: token secrets and what is stored of them, whether a token still works, the rate
limit's windows, the request an idempotency key stands for, opaque cursors, and which field a lead's rejection
is about. No Flask, no session."""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from datetime import datetime, timedelta

from console.imports import rules as import_rules

TOKEN_PREFIX = "tpc_"
SHOWN_PREFIX = 12  # characters of the secret kept in clear to recognise a token in the list
MAX_TOKEN_DAYS = 3650
IDEMPOTENCY_HOURS = 24
RATE_WINDOW_SECONDS = 60
DEFAULT_RATE_LIMIT = 600  # requests per token per window (API_RATE_LIMIT_PER_MINUTE)
MAX_BODY_BYTES = 2 * 1024 * 1024  # a batch of 1,000 leads is about 0.5 MB
MAX_BATCH = 1000
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


# ---------------------------------------------------------------- tokens

def new_secret() -> str:
    """A token's secret: shown once, never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """What is stored of a secret: its SHA-256, as for set-password links."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def bearer_secret(header: str | None) -> str | None:
    """The secret of an `Authorization: Bearer ...` header, or None."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > 200:
        return None
    return value


def token_problem(revoked_at: datetime | None, expires_at: datetime | None, user_active: bool,
                  now: datetime) -> str | None:
    """Why a known token no longer works, in words, or None."""
    if revoked_at is not None:
        return "This token was revoked."
    if expires_at is not None and expires_at <= now:
        return "This token has expired."
    if not user_active:
        return "This token's user is deactivated."
    return None


def expiry(now: datetime, days: int | None) -> datetime | None:
    if days is None:
        return None
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValueError(f"A token lasts 1 to {MAX_TOKEN_DAYS} days.")
    return now + timedelta(days=days)


# ---------------------------------------------------------------- the rate limit (fixed windows)

def rate_window(epoch_seconds: float) -> int:
    """The number of the window a moment falls in."""
    return int(epoch_seconds // RATE_WINDOW_SECONDS)


def retry_after(epoch_seconds: float) -> int:
    """Whole seconds until the window of this moment ends (at least 1)."""
    return max(1, int((rate_window(epoch_seconds) + 1) * RATE_WINDOW_SECONDS - epoch_seconds + 0.999))


# ---------------------------------------------------------------- idempotency

def request_hash(method: str, path: str, body: bytes) -> str:
    """What an idempotency key stands for: the same method, path and body bytes."""
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode("utf-8", "surrogatepass"), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII without spaces


def idempotency_key_problem(key: str) -> str | None:
    return None if IDEMPOTENCY_KEY.fullmatch(key) else "An Idempotency-Key is 1 to 255 printable ASCII characters."


# ---------------------------------------------------------------- cursors

def cursor_for(last_id: int) -> str:
    """An opaque cursor: the page after the row with this id."""
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def read_cursor(cursor: str) -> int | None:
    """The id a cursor continues after, or None when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw).get("after")
    except (binascii.Error, ValueError, AttributeError, UnicodeDecodeError, RecursionError):
        return None
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after < 2 ** 31:
        return None
    return after


# ---------------------------------------------------------------- leads as the import reads them

# The lead fields a push may give, read by the import's own row reader (imports.rules.read_row).
LEAD_FIELDS = ("phone", "first_name", "last_name", "full_name", "title", "company", "company_domain", "email",
               "alternate_phone", "state", "country", "time_zone", "source", "buying_role", "external_id")


def lead_cells(values: dict, custom_keys: list[str]) -> tuple[list[str], import_rules.ReadPlan]:
    """A pushed lead as one row of cells and the plan that reads it (its own fields, then the campaign's)."""
    keys = list(LEAD_FIELDS) + [import_rules.CUSTOM_PREFIX + key for key in custom_keys]
    custom = values.get("fields") or {}
    cells = [str(values.get(key) or "") for key in LEAD_FIELDS] + [str(custom.get(key) or "") for key in custom_keys]
    return cells, import_rules.ReadPlan(tuple((key, index) for index, key in enumerate(keys)))


# A rejection's reason (imports.rules.read_row) begins with what it is about.
_REASON_FIELDS = (("no phone", "phone"), ("phone ", "phone"), ("alternate phone", "alternate_phone"),
                  ("country", "country"), ("email", "email"), ("state", "state"),
                  ("company domain", "company_domain"), ("no company", "company"), ("no name", "last_name"),
                  ("time zone", "time_zone"))


def rejection_field(reason: str) -> str:
    """The pushed field a row's rejection is about ("" when it names none)."""
    lowered = reason.lower()
    for field in import_rules.FIELDS:
        if lowered.startswith(field.label.lower() + " is longer"):
            return field.key
    for start, field in _REASON_FIELDS:
        if lowered.startswith(start):
            return field
    return ""


# ---------------------------------------------------------------- the reference page, from the OpenAPI document

def schema_words(schema: dict, document: dict) -> str:
    """A schema as a short type for people: "string (max 80)", "integer 1–5", "list of TouchIn", "one of: a, b"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1].split(".")[-1]
    if "anyOf" in schema:
        kinds = [schema_words(item, document) for item in schema["anyOf"] if item.get("type") != "null"]
        nullable = any(item.get("type") == "null" for item in schema["anyOf"])
        return " or ".join(kinds) + (" or null" if nullable else "")
    if "enum" in schema:
        return "one of: " + ", ".join(str(value) for value in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    kind = schema.get("type", "any")
    if kind == "array":
        return "list of " + schema_words(schema.get("items", {}), document) + (
            f" (at most {schema['maxItems']:,})" if "maxItems" in schema else "")
    if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return "object of " + schema_words(schema["additionalProperties"], document)
    words = kind + (f" ({schema['format']})" if "format" in schema else "")
    if "minimum" in schema or "maximum" in schema:
        words += f" {schema.get('minimum', '')}–{schema.get('maximum', '')}"
    if "maxLength" in schema:
        words += f" (max {schema['maxLength']})"
    return words


def _component(reference: str, document: dict) -> tuple[str, dict]:
    name = reference.rsplit("/", 1)[-1]
    return name.split(".")[-1], document.get("components", {}).get("schemas", {}).get(name, {})


def model_fields(schema: dict, document: dict) -> list[dict]:
    """A model's fields for the reference table: name, type in words, required, description."""
    if "$ref" in schema:
        schema = _component(schema["$ref"], document)[1]
    required = set(schema.get("required", ()))
    return [{"name": name, "type": schema_words(field, document), "required": name in required,
             "description": field.get("description", "")}
            for name, field in schema.get("properties", {}).items()]


def reference_operations(document: dict) -> list[dict]:
    """Every operation of the document, in path order, as the reference page lists it."""
    operations = []
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            answers = []
            for status, answer in sorted(operation.get("responses", {}).items()):
                schema = answer.get("content", {}).get("application/json", {}).get("schema")
                answers.append({"status": status, "description": answer.get("description", ""),
                                "model": schema_words(schema, document) if schema else ""})
            operations.append({
                "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", "").replace(":", "-"),
                "method": method.upper(), "path": path, "summary": operation.get("summary", ""),
                "description": operation.get("description", ""), "roles": operation.get("x-roles"),
                "parameters": [{"name": parameter["name"], "in": parameter["in"],
                                "type": schema_words(parameter.get("schema", {}), document),
                                "required": parameter.get("required", False),
                                "description": parameter.get("description", "")}
                               for parameter in operation.get("parameters", ())],
                "body": schema_words(body, document) if body else None,
                "body_fields": model_fields(body, document) if body else [],
                "answers": answers,
            })
    return operations


def models_used(document: dict) -> list[dict]:
    """The document's component models with their fields, for the reference page's model section."""
    return [{"name": name.split(".")[-1], "anchor": "model-" + name.replace(".", "-"),
             "fields": model_fields({"$ref": f"#/components/schemas/{name}"}, document)}
            for name in sorted(document.get("components", {}).get("schemas", {}))]
