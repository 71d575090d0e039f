"""Call guide files: parsing, validation and safe rendering. Pure functions, no Flask, no database.

A guide file is YAML (see call_guides/README.md for the format). Validation errors
name the file, the key path and what is wrong, so an author can fix them without
reading code.
"""
from __future__ import annotations

import hashlib
import html
import json
import re

import markdown
import nh3
import yaml

REQUIRED_TEXT = ("name", "opening", "handoff_script", "voicemail_script")
QUALIFICATION_FIELDS = ("budget", "authority", "need", "timeline", "source")

# Merge fields an author may use; the call screen fills them in from the lead.
MERGE_FIELDS = (
    "contact.first_name",
    "contact.last_name",
    "contact.title",
    "account.name",
    "agent.first_name",
    "agent.full_name",
    "campaign.name",
    "campaign.message",
)
MERGE_FIELD_PATTERN = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote", "code", "h3", "h4"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


class GuideError(ValueError):
    """A guide file that cannot be used; the message says where and why."""


def _require_text(mapping: dict, key: str, where: str) -> str:
    value = mapping.get(key)
    if not isinstance(value, str) or not value.strip():
        raise GuideError(f"{where}{key}: required text is missing")
    return value.strip()


def _check_merge_fields(text: str, where: str) -> None:
    for field in MERGE_FIELD_PATTERN.findall(text):
        if field not in MERGE_FIELDS:
            raise GuideError(f"{where}: unknown merge field {{{{ {field} }}}}; known fields: {', '.join(MERGE_FIELDS)}")


def validate(content: dict, source: str = "guide") -> dict:
    """Check a parsed guide and return it in canonical form; raise GuideError naming the problem."""
    if not isinstance(content, dict):
        raise GuideError(f"{source}: the file must be a mapping of keys (name, opening, steps, ...)")
    prefix = f"{source}: "
    guide = {key: _require_text(content, key, prefix) for key in REQUIRED_TEXT}
    guide["persona"] = str(content.get("persona") or "").strip()

    steps = content.get("steps") or []
    if not isinstance(steps, list) or not steps:
        raise GuideError(f"{prefix}steps: at least one discovery step is required")
    guide["steps"] = []
    for index, step in enumerate(steps):
        where = f"{prefix}steps[{index}]."
        if not isinstance(step, dict):
            raise GuideError(f"{where[:-1]}: each step must be a mapping")
        field = str(step.get("field") or "").strip()
        if field and field not in QUALIFICATION_FIELDS and not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", field):
            raise GuideError(f"{where}field: {field!r} is not a qualification field or a valid custom criterion key")
        guide["steps"].append(
            {
                "id": str(step.get("id") or f"step-{index + 1}"),
                "title": _require_text(step, "title", where),
                "field": field,
                "question": _require_text(step, "question", where),
                "hint": str(step.get("hint") or "").strip(),
            }
        )

    guide["objections"] = []
    for index, objection in enumerate(content.get("objections") or []):
        where = f"{prefix}objections[{index}]."
        guide["objections"].append(
            {
                "id": str(objection.get("id") or f"objection-{index + 1}"),
                "objection": _require_text(objection, "objection", where),
                "response": _require_text(objection, "response", where),
                "tags": [str(tag) for tag in objection.get("tags") or []],
                "competitor": str(objection.get("competitor") or "").strip(),
            }
        )

    guide["battlecards"] = []
    for index, card in enumerate(content.get("battlecards") or []):
        where = f"{prefix}battlecards[{index}]."
        guide["battlecards"].append(
            {
                "competitor": _require_text(card, "competitor", where),
                "positioning": _require_text(card, "positioning", where),
                "landmines": [str(item) for item in card.get("landmines") or []],
                "proof_points": [str(item) for item in card.get("proof_points") or []],
            }
        )

    for key in ("opening", "handoff_script", "voicemail_script"):
        _check_merge_fields(guide[key], f"{source}: {key}")
    for index, step in enumerate(guide["steps"]):
        _check_merge_fields(step["question"], f"{source}: steps[{index}].question")
    for index, objection in enumerate(guide["objections"]):
        _check_merge_fields(objection["response"], f"{source}: objections[{index}].response")
    return guide


def parse(text: str, source: str = "guide") -> dict:
    """Parse and validate a guide file's text."""
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise GuideError(f"{source}:{line} is not valid YAML: {getattr(error, 'problem', error)}") from error
    return validate(content, source)


def content_hash(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def fill_merge_fields(text: str, values: dict[str, str]) -> str:
    """Replace known merge fields; leave unknown ones visible so an author notices them."""
    return MERGE_FIELD_PATTERN.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def render_authored(text: str, values: dict[str, str] | None = None) -> str:
    """Markdown to HTML with only formatting tags kept: authored text can never run script."""
    escaped_values = {field: html.escape(value or "") for field, value in (values or {}).items()}
    rendered = markdown.markdown(fill_merge_fields(text, escaped_values))
    return nh3.clean(rendered, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer")


def render_guide(content: dict, values: dict[str, str]) -> dict:
    """The guide as the agent sees it: every authored text rendered safely, merge fields filled."""
    return {
        "name": content["name"],
        "opening": render_authored(content["opening"], values),
        "steps": [dict(step, question_html=render_authored(step["question"], values),
                       hint_html=render_authored(step["hint"], values)) for step in content["steps"]],
        "objections": [dict(objection, response_html=render_authored(objection["response"], values))
                       for objection in content["objections"]],
        "battlecards": [dict(card, positioning_html=render_authored(card["positioning"], values))
                        for card in content["battlecards"]],
        "handoff_script": render_authored(content["handoff_script"], values),
        "voicemail_script": render_authored(content["voicemail_script"], values),
    }
