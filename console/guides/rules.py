"""Call guides as content: parsing, validation, branching, search, export, diff and safe rendering.

Pure functions, no Flask and no database. A guide file is YAML (the format is
documented in call_guides/README.md). Validation collects every problem and
names the file, the line and the key path, so an author can fix a file
without reading code. The same validation runs on what the browser editor
submits, so the two ways of authoring can never disagree.
"""
from __future__ import annotations

import difflib
import hashlib
import html
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import markdown
import nh3
import yaml

from console.scoring.rules import ScoringModel

QUALIFICATION_FIELDS = ("budget", "authority", "need", "timeline", "source")
FIELD_LABELS = {"budget": "Budget", "authority": "Authority", "need": "Need", "timeline": "Timeline",
                "source": "Source"}
CUSTOM_FIELD_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,39}")
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,47}")

# The buying-centre roles leads are tagged with (Lead.buying_role). A guide for one
# of them is a persona variant: see guide selection in services.guide_version_for.
BUYING_ROLES = ("decision maker", "champion", "influencer", "user", "gatekeeper")

# Where a branch may lead besides another step.
BRANCH_ENDS = {"handoff": "Hand-off script", "end": "Wrap up the call"}

# Merge fields an author may use; the call screen fills them in from the lead, agent and campaign.
MERGE_FIELDS = {
    "contact.first_name": "the contact's first name",
    "contact.last_name": "the contact's last name",
    "contact.title": "the contact's job title",
    "account.name": "the company name",
    "agent.first_name": "the agent's first name",
    "agent.full_name": "the agent's full name",
    "campaign.name": "the campaign's name",
    "campaign.source": "the campaign's source (webinar, trade show...)",
    "campaign.message": "the campaign's message",
}
MERGE_FIELD_PATTERN = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")
ANY_MERGE_PATTERN = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote", "code", "h3", "h4"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}

# Generous limits: a guide is read live on a call, and the limits keep a pasted novel out.
MAX_TEXT = 4000
MAX_SHORT = 200
MAX_ITEMS = {"steps": 40, "objections": 150, "battlecards": 40, "answers": 8, "landmines": 20,
             "proof_points": 20, "tags": 12}

TEXT_KEYS = ("opening", "handoff_script", "voicemail_script")


# ---------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a guide: where (key path, and line in a file) and what."""

    path: str
    message: str
    line: int | None = None

    def describe(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


class GuideError(ValueError):
    """A guide that cannot be used; the message names the source, the line or key, and what is wrong."""

    def __init__(self, source: str, problems: list[Problem], message: str | None = None):
        self.source = source
        self.problems = problems
        super().__init__(message or "\n".join(f"{source}: {problem.describe()}" for problem in problems))

    @classmethod
    def combine(cls, errors: list[GuideError]) -> GuideError:
        """One error for several files, each problem still naming its file."""
        return cls(", ".join(error.source for error in errors), [problem for error in errors for problem in error.problems],
                   "\n".join(str(error) for error in errors))


KEY_LABELS = {
    "name": "Guide name", "persona": "Persona", "campaign": "Campaign", "opening": "Opening",
    "handoff_script": "Hand-off script", "voicemail_script": "Voicemail script", "steps": "Discovery steps",
    "objections": "Objections", "battlecards": "Battlecards", "title": "title", "field": "qualification field",
    "question": "question", "hint": "hint", "id": "id", "objection": "what the prospect says", "response": "response",
    "tags": "search tags", "competitor": "competitor", "positioning": "positioning", "landmines": "landmines",
    "proof_points": "proof points", "label": "answer", "value": "what it records", "next": "where it goes",
}
ITEM_NOUNS = {"steps": ("Step", "title"), "objections": ("Objection", "objection"),
              "battlecards": ("Battlecard", "competitor")}


def locate_for_people(path: str, content: dict) -> str:
    """A key path said the way the editor shows it: steps[2].question → Step 3 “Budget”: question."""
    parts = [int(part) if part.isdigit() else part for part in re.findall(r"[^.\[\]]+", path)]
    if len(parts) < 2 or parts[0] not in ITEM_NOUNS or not isinstance(parts[1], int):
        return KEY_LABELS.get(parts[0], path) if len(parts) == 1 else path
    noun, title_key = ITEM_NOUNS[parts[0]]
    items = content.get(parts[0]) or []
    title = items[parts[1]].get(title_key, "") if parts[1] < len(items) else ""
    where = f"{noun} {parts[1] + 1}" + (f" “{title[:40]}{'…' if len(title) > 40 else ''}”" if title else "")
    rest = parts[2:]
    if rest[:1] == ["answers"] and len(rest) >= 2:
        where += f", answer {rest[1] + 1}"
        rest = rest[2:]
    if rest and isinstance(rest[-1], int):
        rest = rest[:-1]
    return f"{where}: {KEY_LABELS.get(rest[0], rest[0])}" if rest else where


def _path(parts: tuple) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# ---------------------------------------------------------------- YAML


class _GuideLoader(yaml.SafeLoader):
    """Safe YAML with YAML 1.2 booleans: "Yes", "No", "On" stay text (answer labels often are Yes and No)."""


_GuideLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_GuideLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                   list("tTfF"))


def _line_map(node, path: tuple = (), lines: dict | None = None, problems: list | None = None) -> dict:
    """Key path → 1-based line of the key (or list item), from YAML's node marks."""
    lines = {} if lines is None else lines
    if path not in lines:
        lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen and problems is not None:
                problems.append(Problem(_path(path + (key,)), "this key appears twice; keep one",
                                        key_node.start_mark.line + 1))
            seen.add(key)
            lines[path + (key,)] = key_node.start_mark.line + 1
            _line_map(value_node, path + (key,), lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, path + (index,), lines, problems)
    return lines


def parse(text: str, source: str = "guide", *, model: ScoringModel) -> dict:
    """Parse and validate a guide file's text into canonical content; raise GuideError naming every problem."""
    try:
        node = yaml.compose(text, Loader=_GuideLoader)
        raw = yaml.load(text, Loader=_GuideLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise GuideError(source, [Problem("", f"not valid YAML: {problem}",
                                          mark.line + 1 if mark else None)]) from error
    problems: list[Problem] = []
    lines = _line_map(node, problems=problems) if node is not None else {}
    content, found = canonical(raw, model=model)
    problems += found
    if problems:
        raise GuideError(source, sorted((_locate(problem, lines) for problem in problems),
                                        key=lambda problem: problem.line or 0))
    return content


def _locate(problem: Problem, lines: dict) -> Problem:
    """Attach the line of the key, or of the nearest enclosing key that exists in the file."""
    if problem.line:
        return problem
    parts = tuple(int(part) if part.isdigit() else part
                  for part in re.findall(r"[^.\[\]]+", problem.path))
    while parts:
        if parts in lines:
            return Problem(problem.path, problem.message, lines[parts])
        parts = parts[:-1]
    return problem


# ---------------------------------------------------------------- canonical form


def slugify(text: str, fallback: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:48].strip("-")
    return slug or fallback


def _unique(slug: str, taken: set[str]) -> str:
    candidate, number = slug, 2
    while candidate in taken:
        candidate = f"{slug[:44]}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


def normalise_text(value) -> str:
    """Authored text as stored: Unix newlines, no trailing spaces, no blank lines around it."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def normalise_role(value: str | None) -> str:
    return re.sub(r"[\s_-]+", " ", (value or "").strip().lower())


class _Reader:
    """Reads raw (parsed YAML or submitted form) values into canonical ones, noting problems by key path."""

    def __init__(self, model: ScoringModel):
        self.problems: list[Problem] = []
        self.model = model  # the scoring model answers are checked against

    def problem(self, path: tuple, message: str) -> None:
        self.problems.append(Problem(_path(path), message))

    def mapping(self, value, path: tuple, what: str) -> dict:
        if isinstance(value, dict):
            return value
        if value is not None:
            self.problem(path, f"must be {what} (a set of `key: value` lines)")
        return {}

    def text(self, mapping: dict, key: str, path: tuple, *, required: bool = False, limit: int = MAX_TEXT) -> str:
        value = mapping.get(key)
        if isinstance(value, (dict, list)):
            self.problem(path + (key,), "must be text, not a list or a mapping")
            return ""
        text = normalise_text(value)
        if required and not text:
            self.problem(path + (key,), "required text is missing")
        if len(text) > limit:
            self.problem(path + (key,), f"is {len(text)} characters long; keep it under {limit}")
        return text

    def items(self, mapping: dict, key: str, path: tuple, *, required: bool = False) -> list:
        value = mapping.get(key)
        if value is None or value == "":
            value = []
        if not isinstance(value, list):
            self.problem(path + (key,), "must be a list (one `- ` line per item)")
            return []
        if required and not value:
            self.problem(path + (key,), "at least one is required")
        limit = MAX_ITEMS.get(key)
        if limit and len(value) > limit:
            self.problem(path + (key,), f"has {len(value)} items; at most {limit} are allowed")
        return value

    def text_list(self, mapping: dict, key: str, path: tuple) -> list[str]:
        value = mapping.get(key)
        if isinstance(value, str) and key == "tags":  # `tags: budget, price` is what people type
            value = [part for part in value.split(",")]
        texts = []
        for index, item in enumerate(self.items({key: value}, key, path)):
            if isinstance(item, (dict, list)):
                self.problem(path + (key, index), "must be text")
                continue
            text = normalise_text(item)
            if len(text) > MAX_SHORT * 2:
                self.problem(path + (key, index), f"keep each item under {MAX_SHORT * 2} characters")
            if text:
                texts.append(text)
        return texts


def canonical(raw, *, model: ScoringModel) -> tuple[dict, list[Problem]]:
    """Read a parsed file or a submitted form into canonical content, with every problem found.

    The content is returned even when there are problems (blank where text is
    missing), so the editor's live preview can show what it can.
    """
    reader = _Reader(model)
    top = reader.mapping(raw, (), "a guide")
    if raw is not None and not isinstance(raw, dict):
        reader.problems[-1] = Problem("", "the file must be a mapping of keys (name, opening, steps, ...)")
    content: dict = {"name": reader.text(top, "name", (), required=True, limit=120)}

    persona = normalise_role(reader.text(top, "persona", (), limit=40))
    if persona and persona not in BUYING_ROLES:
        reader.problem(("persona",), f"{persona!r} is not a buying role; use one of: {', '.join(BUYING_ROLES)}, "
                                     "or leave it empty")
    content["persona"] = persona
    content["campaign"] = reader.text(top, "campaign", (), limit=120)
    content["opening"] = reader.text(top, "opening", (), required=True)

    content["steps"] = _steps(reader, top)
    content["objections"] = _objections(reader, top)
    content["battlecards"] = _battlecards(reader, top)
    content["handoff_script"] = reader.text(top, "handoff_script", (), required=True)
    content["voicemail_script"] = reader.text(top, "voicemail_script", (), required=True)

    _check_branches(reader, content["steps"])
    _check_merge_fields(reader, content)
    return content, reader.problems


def _checked_id(reader: _Reader, item: dict, path: tuple, kind: str, taken: set, reserved=()) -> str:
    """An item's optional id, with a problem reported when it is malformed, taken or reserved."""
    item_id = reader.text(item, "id", path, limit=48)
    if item_id and not ID_PATTERN.fullmatch(item_id):
        reader.problem(path + ("id",), f"{item_id!r}: use lower-case letters, digits and dashes")
    elif item_id in taken:
        reader.problem(path + ("id",), f"{item_id!r} is used by another {kind}; ids must be unique")
    elif item_id in reserved:
        reader.problem(path + ("id",), f"{item_id!r} is reserved; choose another id")
    return item_id


def _steps(reader: _Reader, top: dict) -> list[dict]:
    steps, taken = [], set()
    raw_steps = reader.items(top, "steps", (), required=True)
    for index, raw in enumerate(raw_steps):
        path = ("steps", index)
        step = reader.mapping(raw, path, "a step")
        title = reader.text(step, "title", path, required=True, limit=MAX_SHORT)
        step_id = _checked_id(reader, step, path, "step", taken, reserved=(*BRANCH_ENDS, "opening"))
        step_id = _unique(step_id or slugify(title, f"step-{index + 1}"), taken)
        field_key = reader.text(step, "field", path, limit=40).lower()
        if field_key and field_key not in QUALIFICATION_FIELDS and not CUSTOM_FIELD_PATTERN.fullmatch(field_key):
            reader.problem(path + ("field",), f"{field_key!r} is not a qualification field ({', '.join(QUALIFICATION_FIELDS)}) "
                                              "or a valid custom criterion key (lower-case letters, digits and _, "
                                              "2 to 40 characters, starting with a letter)")
        answers = []
        for answer_index, raw_answer in enumerate(reader.items(step, "answers", path)):
            answer_path = path + ("answers", answer_index)
            answer = reader.mapping(raw_answer, answer_path, "an answer option")
            label = reader.text(answer, "label", answer_path, required=True, limit=MAX_SHORT)
            value = reader.text(answer, "value", answer_path, limit=60)
            _check_answer_value(reader, answer_path, field_key, value)
            answers.append({"label": label, "value": value,
                            "next": reader.text(answer, "next", answer_path, limit=48)})
        steps.append({
            "id": step_id,
            "title": title,
            "field": field_key,
            "question": reader.text(step, "question", path, required=True),
            "hint": reader.text(step, "hint", path),
            "answers": answers,
        })
    return steps


def _check_answer_value(reader: _Reader, path: tuple, field_key: str, value: str) -> None:
    if not value:
        return
    if not field_key:
        reader.problem(path + ("value",), "this step records no qualification field; set the step's field "
                                          "or leave the value empty")
        return
    criterion = reader.model.criterion(field_key)
    if criterion is not None and criterion.option(value) is None:
        known = ", ".join(option.value for option in criterion.options)
        reader.problem(path + ("value",), f"{value!r} is not an answer to {criterion.label}; use one of: {known}")


def _check_branches(reader: _Reader, steps: list[dict]) -> None:
    ids = {step["id"] for step in steps}
    for index, step in enumerate(steps):
        for answer_index, answer in enumerate(step["answers"]):
            target = answer["next"]
            if target and target not in ids and target not in BRANCH_ENDS:
                reader.problem(("steps", index, "answers", answer_index, "next"),
                               f"{target!r} is not a step id; use one of: {', '.join(sorted(ids))}, "
                               f"or {' / '.join(BRANCH_ENDS)}")


def _objections(reader: _Reader, top: dict) -> list[dict]:
    objections, taken = [], set()
    for index, raw in enumerate(reader.items(top, "objections", ())):
        path = ("objections", index)
        objection = reader.mapping(raw, path, "an objection")
        said = reader.text(objection, "objection", path, required=True, limit=MAX_SHORT)
        objection_id = _checked_id(reader, objection, path, "objection", taken)
        objections.append({
            # The id carries an objection's statistics from version to version: keep it when rewording.
            "id": _unique(objection_id or slugify(said, f"objection-{index + 1}"), taken),
            "objection": said,
            "response": reader.text(objection, "response", path, required=True),
            "tags": [tag.lower() for tag in reader.text_list(objection, "tags", path)],
            "competitor": reader.text(objection, "competitor", path, limit=80),
        })
    return objections


def _battlecards(reader: _Reader, top: dict) -> list[dict]:
    cards = []
    for index, raw in enumerate(reader.items(top, "battlecards", ())):
        path = ("battlecards", index)
        card = reader.mapping(raw, path, "a battlecard")
        cards.append({
            "competitor": reader.text(card, "competitor", path, required=True, limit=80),
            "positioning": reader.text(card, "positioning", path, required=True),
            "landmines": reader.text_list(card, "landmines", path),
            "proof_points": reader.text_list(card, "proof_points", path),
        })
    return cards


def _authored_texts(content: dict):
    """Every piece of authored text that is rendered with merge fields, with its key path."""
    for key in TEXT_KEYS:
        yield (key,), content[key]
    for index, step in enumerate(content["steps"]):
        yield ("steps", index, "question"), step["question"]
        yield ("steps", index, "hint"), step["hint"]
    for index, objection in enumerate(content["objections"]):
        yield ("objections", index, "response"), objection["response"]
    for index, card in enumerate(content["battlecards"]):
        yield ("battlecards", index, "positioning"), card["positioning"]
        for key in ("landmines", "proof_points"):
            for item_index, item in enumerate(card[key]):
                yield ("battlecards", index, key, item_index), item


def _check_merge_fields(reader: _Reader, content: dict) -> None:
    for path, text in _authored_texts(content):
        for inside in ANY_MERGE_PATTERN.findall(text):
            name = inside.strip()
            if name not in MERGE_FIELDS:
                reader.problem(path, f"unknown merge field {{{{ {name} }}}}; known fields: {', '.join(MERGE_FIELDS)}")


def validate(raw, source: str = "guide", *, model: ScoringModel) -> dict:
    """Canonical content, or GuideError listing every problem (by key path; files also get lines, see parse)."""
    content, problems = canonical(raw, model=model)
    if problems:
        raise GuideError(source, problems)
    return content


def unasked_required(content: dict, model: ScoringModel) -> tuple[str, ...]:
    """The criteria the model requires for *qualified* that no step of the guide asks (by label), when the guide
    has discovery steps at all (a step bound to a criterion): a guide that only routes a call (to the right
    person) asks none and is not a discovery guide."""
    asked = {step.get("field") for step in content.get("steps") or () if step.get("field")}
    if not asked & {criterion.key for criterion in model.criteria}:
        return ()
    return tuple(criterion.label for criterion in model.required if criterion.key not in asked)


def content_hash(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


# ---------------------------------------------------------------- branching


def default_next(steps: list[dict], index: int) -> str:
    """Without a branch, a step leads to the one after it, and the last step to the hand-off."""
    return steps[index + 1]["id"] if index + 1 < len(steps) else "handoff"


def next_step(content: dict, step_id: str, answer_index: int | None = None) -> str:
    """Where the conversation goes after this step, given the answer chosen (None: no answer chosen)."""
    steps = content["steps"]
    index = next((position for position, step in enumerate(steps) if step["id"] == step_id), None)
    if index is None:
        raise KeyError(step_id)
    answers = steps[index].get("answers") or []
    if answer_index is not None and answers[answer_index]["next"]:
        return answers[answer_index]["next"]
    return default_next(steps, index)


def unreachable_steps(content: dict) -> list[str]:
    """Steps no path from the first step reaches (the agent can still jump to them); shown as a warning."""
    steps = content["steps"]
    if not steps:
        return []
    reached, frontier = set(), [steps[0]["id"]]
    by_id = {step["id"]: step for step in steps}
    while frontier:
        step_id = frontier.pop()
        if step_id in reached or step_id not in by_id:
            continue
        reached.add(step_id)
        answers = by_id[step_id].get("answers") or []
        frontier.extend(next_step(content, step_id, index) for index in range(len(answers)))
        if not answers or any(not answer["next"] for answer in answers):
            frontier.append(next_step(content, step_id))
    return [step["id"] for step in steps if step["id"] not in reached]


# ---------------------------------------------------------------- which guide a call uses


@dataclass(frozen=True)
class GuideScope:
    """Who a published guide is for: a persona (buying role), a named campaign, both or neither."""

    guide_id: int
    persona: str = ""
    campaign_name: str = ""


def choose_guide(guides: list[GuideScope], *, campaign_name: str, campaign_guide_id: int | None,
                 buying_role: str | None) -> int | None:
    """The id of the most specific guide for a lead, or None.

    A guide applies when the campaign chose it, when it names the campaign, or
    when its persona is the lead's buying role; a guide naming a persona or a
    campaign applies only to those. Most specific first: campaign and persona,
    then persona, then campaign. A persona beats a campaign because a variant
    exists precisely because that role needs a different conversation. Ties go
    to the campaign's own choice, then to the oldest guide, so a lead always
    gets the same guide.
    """
    role = normalise_role(buying_role)
    ranked = []
    for guide in guides:
        if guide.persona and guide.persona != role:
            continue
        if guide.campaign_name and guide.campaign_name.casefold() != (campaign_name or "").casefold():
            continue
        chosen_by_campaign = guide.guide_id == campaign_guide_id
        for_campaign = chosen_by_campaign or bool(guide.campaign_name)
        if not for_campaign and not guide.persona:
            continue  # a general guide applies only where a campaign chose it
        rank = 2 * bool(guide.persona) + for_campaign
        ranked.append(((rank, chosen_by_campaign, -guide.guide_id), guide.guide_id))
    return max(ranked)[1] if ranked else None


# ---------------------------------------------------------------- rendering


def fill_merge_fields(text: str, values: dict[str, str]) -> str:
    """Replace known merge fields; leave unknown ones visible so an author notices them."""
    return MERGE_FIELD_PATTERN.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def _sanitised(rendered: str) -> str:
    return nh3.clean(rendered, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


def _render_now(text: str, values: dict[str, str] | None) -> str:
    escaped_values = {name: html.escape(value or "") for name, value in (values or {}).items()}
    return _sanitised(markdown.markdown(fill_merge_fields(text, escaped_values)))


# While Markdown renders authored text, each merge field stands as a marker of letters and digits, which
# neither Markdown nor the sanitiser changes; the lead's values take the markers' places afterwards.
_MARKER = "zqmergefieldq"
_MARKER_PATTERN = re.compile(rf"{_MARKER}(\d+)q")
_TAG_WITH_ATTRIBUTES = re.compile(r"<[a-z0-9]+\s")


@dataclass(frozen=True)
class Prepared:
    """Authored text rendered to sanitised HTML once, its merge fields left to fill for each call (fill_authored).

    `fields`: (name, as written) for each marker in `html`. `in_attributes`: the HTML has a tag with attributes,
    where a marker may stand (a link's address): filled, it is sanitised again, so that no value can make a
    link run script. `text`: the text itself holds the marker; it is rendered afresh each time (`inline`: as
    render_inline renders it).
    """

    html: str
    fields: tuple[tuple[str, str], ...] = ()
    in_attributes: bool = False
    text: str | None = None
    inline: bool = False


def prepare_authored(text: str) -> str | Prepared:
    """Authored text as HTML, Markdown rendered and sanitised: a string when it has no merge fields, else Prepared."""
    if _MARKER in text:
        return Prepared("", text=text)
    fields: list[tuple[str, str]] = []

    def marker(match: re.Match) -> str:
        fields.append((match.group(1), match.group(0)))
        return f"{_MARKER}{len(fields) - 1}q"

    rendered = _sanitised(markdown.markdown(MERGE_FIELD_PATTERN.sub(marker, text)))
    if not fields:
        return rendered
    return Prepared(rendered, tuple(fields), bool(_TAG_WITH_ATTRIBUTES.search(rendered)))


def fill_authored(prepared: str | Prepared, values: dict[str, str] | None) -> str:
    """Prepared HTML with the merge fields filled in, each value escaped (a known field without a value stays
    visible as written, so that an author notices it)."""
    if isinstance(prepared, str):
        return prepared
    if prepared.text is not None:
        return _unwrapped(_render_now(prepared.text, values)) if prepared.inline else _render_now(prepared.text, values)
    values = values or {}
    quote = prepared.in_attributes

    def value(match: re.Match) -> str:
        name, written = prepared.fields[int(match.group(1))]
        return html.escape(values[name] or "", quote=quote) if name in values else written

    filled = _MARKER_PATTERN.sub(value, prepared.html)
    return _sanitised(filled) if quote else filled


def _unwrapped(rendered: str) -> str:
    """One paragraph's HTML without its <p> (anything else as it is)."""
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        return rendered[3:-4]
    return rendered


def prepare_inline(text: str) -> str | Prepared:
    """A one-line item (landmine, proof point) prepared like authored text, without its paragraph."""
    prepared = prepare_authored(text)
    if isinstance(prepared, str):
        return _unwrapped(prepared)
    if prepared.text is not None:
        return Prepared("", text=prepared.text, inline=True)
    return Prepared(_unwrapped(prepared.html), prepared.fields, prepared.in_attributes)


def render_authored(text: str, values: dict[str, str] | None = None) -> str:
    """Markdown to HTML with only formatting tags kept: authored text can never run script."""
    return fill_authored(prepare_authored(text), values)


def render_inline(text: str, values: dict[str, str] | None = None) -> str:
    """A one-line item (landmine, proof point) rendered like authored text, without its paragraph."""
    return fill_authored(prepare_inline(text), values)


def step_label(steps: list[dict], target: str) -> str:
    if target in BRANCH_ENDS:
        return BRANCH_ENDS[target]
    return next((step["title"] for step in steps if step["id"] == target), target)


def field_label(field_key: str) -> str:
    if not field_key:
        return ""
    return FIELD_LABELS.get(field_key, field_key.replace("_", " ").capitalize())


def render_guide(content: dict, values: dict[str, str], *, model: ScoringModel) -> dict:
    """The guide as the agent sees it: every authored text rendered safely, merge fields filled, branches resolved."""
    return fill_guide(prepare_guide(content, model=model), values)


def prepare_guide(content: dict, *, model: ScoringModel) -> dict:
    """render_guide without the lead: every authored text Markdown-rendered and sanitised, its merge fields left
    for fill_guide. It depends only on the content and the model (a guide version's is worth keeping)."""
    steps = content.get("steps") or []
    rendered_steps = []
    for index, step in enumerate(steps):
        criterion = model.criterion(step.get("field") or "")
        answers = []
        for answer in step.get("answers") or []:
            target = answer.get("next") or default_next(steps, index)
            option = criterion.option(answer["value"]) if criterion and answer.get("value") else None
            answers.append(dict(answer, next=target, next_label=step_label(steps, target),
                                records=option.label if option else answer.get("value", "")))
        rendered_steps.append(dict(
            step, number=index + 1, answers=answers, field_label=field_label(step.get("field", "")),
            next=default_next(steps, index), next_label=step_label(steps, default_next(steps, index)),
            question_html=prepare_authored(step.get("question", "")),
            hint_html=prepare_authored(step.get("hint", "")),
        ))
    return {
        "name": content.get("name", ""),
        "persona": content.get("persona", ""),
        "campaign": content.get("campaign", ""),
        "opening": prepare_authored(content.get("opening", "")),
        "steps": rendered_steps,
        "objections": [dict(objection, response_html=prepare_authored(objection.get("response", "")))
                       for objection in content.get("objections") or []],
        "battlecards": [dict(card, slug=slugify(card.get("competitor", ""), f"competitor-{index + 1}"),
                             positioning_html=prepare_authored(card.get("positioning", "")),
                             landmines_html=[prepare_inline(item) for item in card.get("landmines") or []],
                             proof_points_html=[prepare_inline(item) for item in card.get("proof_points") or []])
                        for index, card in enumerate(content.get("battlecards") or [])],
        "handoff_script": prepare_authored(content.get("handoff_script", "")),
        "voicemail_script": prepare_authored(content.get("voicemail_script", "")),
    }


# Where prepare_guide leaves authored HTML to fill: the guide's own keys, and each item's in its lists.
_GUIDE_HTML = ("opening", "handoff_script", "voicemail_script")
_ITEM_HTML = {"steps": ("question_html", "hint_html"), "objections": ("response_html",),
              "battlecards": ("positioning_html", "landmines_html", "proof_points_html")}


def fill_guide(prepared: dict, values: dict[str, str]) -> dict:
    """A prepared guide (prepare_guide) for one lead, every merge field filled: new dicts for the guide and its
    steps, objections and battlecards; what they hold besides their HTML is the prepared guide's, to read only."""
    def filled(item: dict, keys: tuple[str, ...]) -> dict:
        copy = dict(item)
        for key in keys:
            value = item[key]
            copy[key] = [fill_authored(part, values) for part in value] if isinstance(value, list) \
                else fill_authored(value, values)
        return copy

    guide = filled(prepared, _GUIDE_HTML)
    for name, keys in _ITEM_HTML.items():
        guide[name] = [filled(item, keys) for item in prepared[name]]
    return guide


# ---------------------------------------------------------------- quick-find


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def _words(folded: str) -> list[str]:
    """The words of folded text: apostrophes dropped (it's → its), any other punctuation separates."""
    return re.findall(r"[a-z0-9]+", folded.replace("'", ""))


# How well one word of the query is found in an item, best first. The item's own words are its title
# (what the prospect says, or the battlecard's competitor); its tags and competitor come next; anywhere
# else (inside a word, in the response or the battlecard's text) last.
FIND_TITLE_WORD = 4  # a word of the title: "expensive" in "It's too expensive."
FIND_TITLE_PREFIX = 3  # the start of a word of the title: "expens"
FIND_TAG = 2  # a tag or a word of the competitor, or the start of one: "price", "pri" in tags [price, budget]
FIND_ANYWHERE = 1  # inside any of its text: the response, the middle of a word


@dataclass(frozen=True)
class FindRank:
    """How well an item matches a quick-find query; a greater rank is a better match.

    Compared field by field, in this order:
    exact: the title is the query (case, accents and punctuation aside).
    words: each query word's score (FIND_*), summed.
    prefix: the title starts with the query (its last word may be unfinished: "it's too exp").
    tag_order: minus the position of the first tag a word matched (a guide lists first the tag that says
    most what the objection is about: [price, budget] is about price); minus the number of tags when none did.
    """

    exact: bool
    words: int
    prefix: bool
    tag_order: int

    def key(self) -> tuple:
        """Sort key, best first."""
        return (-self.exact, -self.words, -self.prefix, -self.tag_order)


def find_rank(query: str, title: str, tags: list[str] | tuple[str, ...] = (), body: str = "") -> FindRank | None:
    """The rank of an item for what the agent typed, or None when some word of the query is not in it at all.

    Every word must be found somewhere (title, tags, body: as a substring, ignoring case and accents);
    how well decides the order: the item's own words above its tags, its tags above the rest."""
    query_words = _folded(query).split()
    if not query_words:
        return None
    folded_title, folded_tags, folded_body = _folded(title), [_folded(tag) for tag in tags], _folded(body)
    everything = " ".join([folded_title, *folded_tags, folded_body])
    title_words = _words(folded_title)
    tag_words = [(position, word) for position, tag in enumerate(folded_tags) for word in _words(tag)]
    score, first_tag = 0, len(folded_tags)
    for raw in query_words:
        if raw not in everything:
            return None
        word = "".join(_words(raw))
        tag_positions = [position for position, tag_word in tag_words if word and tag_word.startswith(word)]
        if word and word in title_words:
            score += FIND_TITLE_WORD
        elif word and any(title_word.startswith(word) for title_word in title_words):
            score += FIND_TITLE_PREFIX
        elif tag_positions:
            score += FIND_TAG
        else:
            score += FIND_ANYWHERE
        if tag_positions:
            first_tag = min(first_tag, tag_positions[0])
    asked = _words(" ".join(query_words))
    prefix = bool(asked) and len(asked) <= len(title_words) and asked[:-1] == title_words[:len(asked) - 1] \
        and title_words[len(asked) - 1].startswith(asked[-1])
    return FindRank(exact=asked == title_words, words=score, prefix=prefix, tag_order=-first_tag)


def _best_first(items: list[dict], query: str, rank_of) -> list[dict]:
    """Items matching the query, best rank first, in guide order among equals (all of them for an empty query)."""
    if not query.strip():
        return list(items)
    ranked = [(rank, position, item) for position, item in enumerate(items)
              if (rank := rank_of(item)) is not None]
    ranked.sort(key=lambda entry: (*entry[0].key(), entry[1]))
    return [item for _rank, _position, item in ranked]


def find_objections(objections: list[dict], query: str) -> list[dict]:
    """Objections matching what the agent typed, best first (all of them, in guide order, for an empty query).

    An objection's own words are what the prospect says; its tags and competitor rank below them."""
    return _best_first(objections, query, lambda objection: find_rank(
        query, objection["objection"], [*objection.get("tags", []), objection.get("competitor", "")],
        objection.get("response", "")))


def find_battlecards(cards: list[dict], query: str) -> list[dict]:
    """Battlecards matching what the agent typed, best first: the competitor's name above the card's text."""
    return _best_first(cards, query, lambda card: find_rank(
        query, card["competitor"], (),
        " ".join([card.get("positioning", ""), *card.get("landmines", []), *card.get("proof_points", [])])))


# ---------------------------------------------------------------- export


class _FlowList(list):
    """A short list written on one line: `tags: [budget, price]`."""


class _GuideDumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)  # indent list items under their key, as people write them


def _represent_text(dumper, text: str):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _represent_flow(dumper, items):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=True)


_GuideDumper.add_representer(str, _represent_text)
_GuideDumper.add_representer(_FlowList, _represent_flow)

EXPORT_HEADER = "# Call guide: {name}\n# Format: see call_guides/README.md. Written by `flask guides export`; edit here or in the console.\n"


def _without_empty(mapping: dict, keep: tuple = ()) -> dict:
    return {key: value for key, value in mapping.items() if key in keep or value not in ("", [], None)}


def to_yaml(content: dict) -> str:
    """A guide file for this content: readable, stable (same content, same bytes) and parsed back to the same content."""
    document = _without_empty({
        "name": content["name"],
        "persona": content.get("persona", ""),
        "campaign": content.get("campaign", ""),
        "opening": content["opening"],
        "steps": [_without_empty({
            "id": step["id"], "title": step["title"], "field": step["field"], "question": step["question"],
            "hint": step["hint"],
            "answers": [_without_empty({"label": answer["label"], "value": answer["value"], "next": answer["next"]})
                        for answer in step.get("answers") or []],
        }) for step in content["steps"]],
        "objections": [_without_empty({
            "id": objection["id"], "objection": objection["objection"], "response": objection["response"],
            "tags": _FlowList(objection["tags"]), "competitor": objection["competitor"],
        }) for objection in content["objections"]],
        "battlecards": [_without_empty({
            "competitor": card["competitor"], "positioning": card["positioning"],
            "landmines": card["landmines"], "proof_points": card["proof_points"],
        }) for card in content["battlecards"]],
        "handoff_script": content["handoff_script"],
        "voicemail_script": content["voicemail_script"],
    })
    body = yaml.dump(document, Dumper=_GuideDumper, sort_keys=False, allow_unicode=True, width=100_000,
                     default_flow_style=False)
    # A blank line between top-level sections and between list items keeps the file easy to scan.
    body = re.sub(r"\n(?=[a-z_]+:)", "\n\n", body)
    body = re.sub(r"(?<!:)\n(?=  - (?:id|competitor): )", "\n\n", body)
    return EXPORT_HEADER.format(name=content["name"].replace("\n", " ")) + "\n" + body


# ---------------------------------------------------------------- diff


@dataclass
class DiffRow:
    """One line of a side-by-side diff; `kind` is equal, changed, added, removed or skipped."""

    kind: str
    left_number: int | None = None
    left: list[tuple[str, bool]] = field(default_factory=list)  # (text, changed) segments
    right_number: int | None = None
    right: list[tuple[str, bool]] = field(default_factory=list)


def _segments(old: str, new: str) -> tuple[list, list]:
    """Word-level highlights inside a changed line."""
    old_words, new_words = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    left, right = [], []
    for tag, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if a2 > a1:
            left.append(("".join(old_words[a1:a2]), tag != "equal"))
        if b2 > b1:
            right.append(("".join(new_words[b1:b2]), tag != "equal"))
    return left, right


def side_by_side(old_text: str, new_text: str, context: int = 3) -> list[DiffRow]:
    """Rows of a side-by-side diff of two texts, unchanged runs longer than 2×context folded into one row."""
    old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            pairs = list(zip(range(a1, a2), range(b1, b2)))
            if len(pairs) > 2 * context + 1:
                head = pairs[:context] if rows else []
                tail = pairs[-context:] if a2 < len(old_lines) or b2 < len(new_lines) else []
                for i, j in head:
                    rows.append(DiffRow("equal", i + 1, [(old_lines[i], False)], j + 1, [(new_lines[j], False)]))
                rows.append(DiffRow("skipped", left=[(f"{len(pairs) - len(head) - len(tail)} unchanged lines", False)]))
                pairs = tail
            for i, j in pairs:
                rows.append(DiffRow("equal", i + 1, [(old_lines[i], False)], j + 1, [(new_lines[j], False)]))
            continue
        old_chunk, new_chunk = list(range(a1, a2)), list(range(b1, b2))
        for offset in range(max(len(old_chunk), len(new_chunk))):
            i = old_chunk[offset] if offset < len(old_chunk) else None
            j = new_chunk[offset] if offset < len(new_chunk) else None
            if i is not None and j is not None:
                left, right = _segments(old_lines[i], new_lines[j])
                rows.append(DiffRow("changed", i + 1, left, j + 1, right))
            elif i is not None:
                rows.append(DiffRow("removed", i + 1, [(old_lines[i], True)]))
            else:
                rows.append(DiffRow("added", None, [], j + 1, [(new_lines[j], True)]))
    return rows


def _item_changes(kind: str, old_items: list[dict], new_items: list[dict], key: str, title: str,
                  fields: dict[str, str]) -> list[str]:
    old_by_key = {item[key]: item for item in old_items}
    new_by_key = {item[key]: item for item in new_items}
    changes = []
    for item in new_items:
        before = old_by_key.get(item[key])
        if before is None:
            changes.append(f"{kind} added: “{item[title]}”")
            continue
        changed = [label for name, label in fields.items() if before.get(name) != item.get(name)]
        if changed:
            changes.append(f"{kind} “{item[title]}”: {', '.join(changed)} changed")
    changes += [f"{kind} removed: “{item[title]}”" for item in old_items if item[key] not in new_by_key]
    common_old = [item[key] for item in old_items if item[key] in new_by_key]
    common_new = [item[key] for item in new_items if item[key] in old_by_key]
    if common_old != common_new:
        changes.append(f"{kind}s reordered")
    return changes


def describe_changes(old: dict, new: dict) -> list[str]:
    """What changed between two versions, in the guide's own words (the diff shows the exact text)."""
    changes = []
    for key, label in (("name", "Name"), ("persona", "Persona"), ("campaign", "Campaign")):
        if old.get(key, "") != new.get(key, ""):
            changes.append(f"{label}: “{old.get(key) or 'none'}” → “{new.get(key) or 'none'}”")
    if old["opening"] != new["opening"]:
        changes.append("Opening changed")
    changes += _item_changes("Step", old["steps"], new["steps"], "id", "title",
                             {"title": "title", "field": "field", "question": "question", "hint": "hint",
                              "answers": "answers"})
    changes += _item_changes("Objection", old["objections"], new["objections"], "id", "objection",
                             {"objection": "wording", "response": "response", "tags": "tags",
                              "competitor": "competitor"})
    changes += _item_changes("Battlecard", old["battlecards"], new["battlecards"], "competitor", "competitor",
                             {"positioning": "positioning", "landmines": "landmines", "proof_points": "proof points"})
    for key, label in (("handoff_script", "Hand-off script"), ("voicemail_script", "Voicemail script")):
        if old[key] != new[key]:
            changes.append(f"{label} changed")
    return changes


# ---------------------------------------------------------------- editing a draft


BLANK_ITEMS = {
    "steps": {"id": "", "title": "", "field": "", "question": "", "hint": "", "answers": []},
    "objections": {"id": "", "objection": "", "response": "", "tags": [], "competitor": ""},
    "battlecards": {"competitor": "", "positioning": "", "landmines": [], "proof_points": []},
    "answers": {"label": "", "value": "", "next": ""},
}
CHANGE_PATTERN = re.compile(r"(add|remove|up|down):(steps|objections|battlecards|answers)(?::(\d+))?(?::(\d+))?")


def apply_change(content: dict, change: str) -> tuple[dict, str | None]:
    """Add, remove or move a step, answer option, objection or battlecard in unsaved content.

    Returns the changed content and the key path of the item to focus (None if
    the change did not apply, e.g. moving the first item up).
    """
    if change == "refresh":  # re-render only (e.g. a step's field changed its answer choices)
        return content, None
    match = CHANGE_PATTERN.fullmatch(change or "")
    if not match:
        raise ValueError(f"unknown change {change!r}")
    verb, kind, first, second = match.group(1), match.group(2), match.group(3), match.group(4)
    content = json.loads(json.dumps(content))  # never change the caller's copy
    if kind == "answers":
        if first is None or int(first) >= len(content["steps"]):
            raise ValueError(f"no such step in {change!r}")
        owner = ("steps", int(first))
        items = content["steps"][int(first)].setdefault("answers", [])
        index = int(second) if second is not None else None
    else:
        owner = ()
        items = content.setdefault(kind, [])
        index = int(first) if first is not None else None
    path = owner + (kind,)
    if verb == "add":
        if len(items) >= MAX_ITEMS[kind]:
            return content, None
        item = json.loads(json.dumps(BLANK_ITEMS[kind]))
        if kind == "steps":  # a new step needs its id at once, so answers can branch to it before it is saved
            item["id"] = _unique(f"step-{len(items) + 1}", {step.get("id") for step in items})
        items.append(item)
        return content, _path(path + (len(items) - 1,))
    if index is None or index >= len(items):
        return content, None
    if verb == "remove":
        items.pop(index)
        return content, _path(path + (min(index, len(items) - 1),)) if items else _path(path)
    target = index - 1 if verb == "up" else index + 1
    if not 0 <= target < len(items):
        return content, None
    items[index], items[target] = items[target], items[index]
    return content, _path(path + (target,))


# ---------------------------------------------------------------- measured content

STATS_PERIODS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "365": "Last 12 months",
                 "all": "All time"}
DEFAULT_STATS_PERIOD = "30"
# Below this many calls with a known outcome, a response is neither winning nor losing yet.
MIN_OUTCOMES_FOR_VERDICT = 5
LOSING_BELOW = 0.4


def period_start(period: str, now: datetime) -> datetime | None:
    """The first moment of a statistics period (None: all time). Unknown periods fall back to the default."""
    period = period if period in STATS_PERIODS else DEFAULT_STATS_PERIOD
    return None if period == "all" else now - timedelta(days=int(period))


@dataclass(frozen=True)
class ResponseStats:
    """How an objection response did: raised on `used` calls, marked worked or not, calls that ended qualified."""

    used: int = 0
    worked: int = 0
    failed: int = 0
    qualified: int = 0

    def __add__(self, other: ResponseStats) -> ResponseStats:
        return ResponseStats(self.used + other.used, self.worked + other.worked, self.failed + other.failed,
                             self.qualified + other.qualified)

    @property
    def worked_share(self) -> float | None:
        known = self.worked + self.failed
        return self.worked / known if known else None

    @property
    def qualified_share(self) -> float | None:
        return self.qualified / self.used if self.used else None

    @property
    def verdict(self) -> str:
        """losing, working, or too-few: what the editor flags so sales fixes the responses that lose."""
        if self.worked + self.failed < MIN_OUTCOMES_FOR_VERDICT:
            return "too-few"
        return "losing" if self.worked_share < LOSING_BELOW else "working"
