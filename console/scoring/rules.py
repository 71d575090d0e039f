"""Scoring a lead from its qualification answers and marketing touches: pure functions, no Flask, no database.

The model is data (criteria → options → points, thresholds, caps, engagement points) so that the published
lead definition page, the call screen, the hand-off and the rescoring job all explain a score the same way.
Every caller passes the model it means (console.scoring.services.current_model() for a new score); a score
keeps the model's version, so that a stored score is explained with the model that made it.

A model is stored as a JSON-able dict (`model_to_dict`, `model_from_dict`); `model_problems` says what makes
one unusable; `definition_changes` and `rebase` compare and merge two versions of a definition (its model and
its glossary) path by path.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

# How a criterion is answered: one of its options, a number placed in its bands, or (SOURCE) not asked at all:
# the lead's source (where marketing got it: a list, a webinar, a form) chosen among its options.
CHOICE, NUMBER, SOURCE = "choice", "number", "source"
BANDS = ("hot", "warm", "cool")  # best first: the words every screen uses (templates/_macros.html band_badge)
BAND_LABELS = {"hot": "Hot", "warm": "Warm", "cool": "Cool"}

# What each explanation line is about: an answer given, a group's cap, a marketing touch, or a criterion that
# gave nothing (not answered).
ANSWER, CAP, TOUCH, WITHHELD = "answer", "cap", "touch", "withheld"

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,39}")
LIMITS = {"criteria": 20, "options": 12, "caps": 10, "kinds": 12, "label": 80, "question": 300, "points": 1000,
          "threshold": 100_000, "number": 10**12, "half_life_days": 3650, "definition": 2000}


# ---------------------------------------------------------------- the model

@dataclass(frozen=True)
class Option:
    """One answer and its points. On a numeric criterion it is a band: numbers from `at_least` up to the next
    band's (the first band may have no lower bound)."""

    value: str
    label: str
    points: int
    at_least: int | None = None


def read_number(value) -> int | None:
    """A number as an agent types it ("40,000", "$ 40000", "250"), as a whole number; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) <= LIMITS["number"] else None
    text = re.sub(r"[\s,_$€£]", "", str(value or ""))
    if not re.fullmatch(r"[+-]?[0-9]{1,13}(\.[0-9]{1,6})?", text):
        return None
    number = math.floor(float(text) + 0.5)
    return number if abs(number) <= LIMITS["number"] else None


def source_value(source) -> str:
    """A lead's source as a SOURCE criterion's options name it: lower case, spaces single ("Webinar  Attendees" and
    "webinar attendees" are one source)."""
    return " ".join(str(source or "").split()).casefold()


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    question: str
    options: tuple[Option, ...]
    required: bool = True
    kind: str = CHOICE  # CHOICE: one of the options; NUMBER: a number, placed in the options' bands; SOURCE
    group: str = ""  # criteria of one group may share a cap (ScoringModel.caps)
    unit: str = ""  # a numeric criterion's unit ("USD", "employees")

    @property
    def is_numeric(self) -> bool:
        return self.kind == NUMBER

    @property
    def is_asked(self) -> bool:
        """Does an agent answer it? A SOURCE criterion is read from the lead's source instead."""
        return self.kind != SOURCE

    def option(self, value) -> Option | None:
        """The option an answer chose: the one with this value, or for a number the band it falls in."""
        if self.kind == NUMBER:
            number = read_number(value)
            if number is None:
                return None
            chosen = None
            for option in self.options:  # bands in increasing order (model_problems checks it)
                if option.at_least is None or number >= option.at_least:
                    chosen = option
            return chosen
        if self.kind == SOURCE:
            value = source_value(value)
        return next((option for option in self.options if option.value == value), None)

    def stored_value(self, value: str) -> str:
        """How an answer is stored: a number as its digits, an option as its value."""
        if self.kind == NUMBER:
            number = read_number(value)
            return "" if number is None else str(number)
        return value

    def answer_problem(self, value: str) -> str | None:
        """Why this answer cannot be recorded (None when it can); an empty answer clears it."""
        if self.kind == SOURCE:
            return f"{self.label} is not asked: it is the lead's source."
        if not value or self.option(value) is not None:
            return None
        if self.kind == NUMBER:
            if read_number(value) is None:
                return f"{self.label}: enter a whole number."
            return f"{self.label}: {value} is below every band of this criterion."
        return f"{value!r} is not an answer to {self.label}."

    def band_words(self, option: Option) -> str:
        """A numeric band's range in words: "10,000 to 49,999 USD", "250 or more employees", "under 50 employees"."""
        unit = f" {self.unit}" if self.unit else ""
        later = [other.at_least for other in self.options if other.at_least is not None
                 and (option.at_least is None or other.at_least > option.at_least)]
        upper = min(later) if later else None
        if option.at_least is None:
            return f"under {upper:,}{unit}" if upper is not None else f"any number{unit}"
        if upper is None:
            return f"{option.at_least:,} or more{unit}"
        return f"{option.at_least:,} to {upper - 1:,}{unit}"

    def answer_text(self, value: str, option: Option) -> str:
        """The explanation of an answer: the option's label, or for a number the number and its band."""
        if self.kind != NUMBER:
            return option.label
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.label} {read_number(value):,}{unit}: {option.label}"


@dataclass(frozen=True)
class Cap:
    """The most points the criteria of one group may add up to together."""

    group: str
    label: str
    max_points: int


@dataclass(frozen=True)
class TouchPoints:
    """What one kind of marketing touch (Touch.kind: email_click, download, webinar...) is worth when fresh."""

    kind: str
    label: str
    points: int


@dataclass(frozen=True)
class Engagement:
    """Points from the prospect's digital behaviour: each touch of a counted kind, halved every `half_life_days`
    (None: no decay); `cap` bounds their sum."""

    kinds: tuple[TouchPoints, ...] = ()
    half_life_days: int | None = None
    cap: int | None = None

    def kind(self, kind: str) -> TouchPoints | None:
        return next((points for points in self.kinds if points.kind == kind), None)


@dataclass(frozen=True)
class ScoringModel:
    criteria: tuple[Criterion, ...]
    hot_from: int
    warm_from: int
    qualified_from: int
    version: int = 1
    caps: tuple[Cap, ...] = ()
    engagement: Engagement = Engagement()

    def criterion(self, key: str) -> Criterion | None:
        return next((criterion for criterion in self.criteria if criterion.key == key), None)

    @property
    def required(self) -> tuple[Criterion, ...]:
        return tuple(criterion for criterion in self.criteria if criterion.required)

    def thresholds(self) -> tuple[tuple[str, int], ...]:
        """Each band's lower bound, best first (cool has none: it is every score below warm)."""
        return (("hot", self.hot_from), ("warm", self.warm_from))

    @cached_property
    def _plan(self) -> tuple:
        """What score() looks up for each criterion, made once per model: the line each choice answer gives,
        the line of a criterion left unanswered, the touch kinds counted. A model is immutable, so this never
        changes; a rescoring scores a million leads with one model."""
        criteria = []
        for criterion in self.criteria:
            answers = None if criterion.kind == NUMBER else {
                option.value: Reason(criterion.key, option.label, option.points) for option in criterion.options}
            unanswered = Reason(criterion.key, f"{criterion.label}: not answered", 0, WITHHELD,
                                "required" if criterion.required else "") if criterion.is_asked else Reason(
                criterion.key, f"{criterion.label}: not one of its sources", 0, WITHHELD)
            criteria.append((criterion, answers, unanswered, criterion.kind == SOURCE))
        return tuple(criteria), {points.kind: points for points in self.engagement.kinds}


# ---------------------------------------------------------------- a score and its explanation

class Reason(NamedTuple):
    """One line of a score's explanation: what it is about, in words, and the points it gave."""

    criterion: str
    text: str
    points: int
    kind: str = ANSWER
    note: str = ""

    def __str__(self) -> str:
        note = f" ({self.note})" if self.note else ""
        if self.kind == WITHHELD:
            return f"{self.text}, 0{note}"
        sign = "+" if self.points >= 0 else "−"
        return f"{self.text} {sign}{abs(self.points)}{note}"


@dataclass(frozen=True)
class Score:
    points: int
    band: str
    reasons: tuple[Reason, ...]  # the fit: every answer given, and a group's cap where it held points back
    missing_required: tuple[str, ...] = field(default=())
    meets_threshold: bool = False
    model_version: int = 1
    engagement: tuple[Reason, ...] = ()  # the prospect's digital behaviour: one line a counted touch (and a cap)
    withheld: tuple[Reason, ...] = ()  # the criteria that gave nothing: not answered

    @property
    def can_qualify(self) -> bool:
        return not self.missing_required and self.meets_threshold

    @property
    def fit_points(self) -> int:
        return sum(reason.points for reason in self.reasons)

    @property
    def engagement_points(self) -> int:
        return sum(reason.points for reason in self.engagement)

    @property
    def is_scored(self) -> bool:
        """Did anything count (an answer, a touch)? A lead nothing counted for is shown and stored as unscored."""
        return bool(self.reasons or self.engagement)

    @property
    def lines(self) -> tuple[Reason, ...]:
        """Every point awarded or withheld: the fit, what gave nothing, the engagement."""
        return self.reasons + self.withheld + self.engagement


def band_for(points: int, model: ScoringModel) -> str:
    if points >= model.hot_from:
        return "hot"
    if points >= model.warm_from:
        return "warm"
    return "cool"


def decayed(points: int, age_days: float, half_life_days: int | None) -> int:
    """A touch's points at this age: halved every half-life, rounded half away from zero, never growing."""
    if not half_life_days or age_days <= 0:
        return points
    size = math.floor(abs(points) * 0.5 ** (age_days / half_life_days) + 0.5)
    return size if points >= 0 else -size


def _age_words(days: float) -> str:
    whole = int(days)
    if whole <= 0:
        return "today"
    return "1 day ago" if whole == 1 else f"{whole:,} days ago"


def engagement_reasons(touches: Iterable, engagement: Engagement, now: datetime | None,
                       kinds: Mapping[str, TouchPoints] | None = None) -> tuple[Reason, ...]:
    """One line per touch of a counted kind (newest first), decayed by its age at `now`, then the cap if it
    held points back. A touch is anything with `kind` and `occurred_at` (console.leads.models.Touch)."""
    if not engagement.kinds:
        return ()
    if kinds is None:
        kinds = {points.kind: points for points in engagement.kinds}
    counted = [(touch.occurred_at, touch.kind) for touch in touches if touch.kind in kinds]
    if not counted:
        return ()
    if now is None and engagement.half_life_days:
        raise ValueError("scoring touches with a decay needs `now`")
    counted.sort(reverse=True)
    lines = []
    for occurred_at, kind in counted:
        rule = kinds[kind]
        age = max(0.0, (now - occurred_at).total_seconds() / 86400) if now is not None else 0.0
        points = decayed(rule.points, age, engagement.half_life_days)
        note = f"decayed from {rule.points}" if points != rule.points else ""
        lines.append(Reason(f"touch:{kind}", f"{rule.label} {_age_words(age)}", points, TOUCH, note))
    total = sum(line.points for line in lines)
    if engagement.cap is not None and total > engagement.cap:
        lines.append(Reason("cap:engagement", f"Engagement capped at {engagement.cap} ({total} earned)",
                            engagement.cap - total, CAP))
    return tuple(lines)


def score(answers: Mapping[str, str], model: ScoringModel, touches: Iterable = (), now: datetime | None = None,
          source: str | None = None) -> Score:
    """Score answers ({criterion key: option value, or a number}), touches and the lead's source with `model`.

    Every criterion gives a line: its answer's points, or "not answered, 0" (saying when it is required);
    a group over its cap gives a line taking the excess back; each counted touch gives a line of its own
    (the engagement part). Unknown keys and answers no option matches count as not answered.
    """
    plan, kinds = model._plan
    reasons: list[Reason] = []
    withheld: list[Reason] = []
    missing: list[str] = []
    groups: dict[str, int] | None = {} if model.caps else None
    for criterion, choices, unanswered, from_source in plan:
        value = source_value(source) if from_source else answers.get(criterion.key)
        if not value:
            line = None
        elif choices is not None:
            line = choices.get(value)
        else:
            option = criterion.option(value)
            line = Reason(criterion.key, criterion.answer_text(value, option), option.points) if option else None
        if line is None:
            if criterion.required:
                missing.append(criterion.label)
            withheld.append(unanswered)
            continue
        reasons.append(line)
        if groups is not None and criterion.group:
            groups[criterion.group] = groups.get(criterion.group, 0) + line.points
    if groups:
        for cap in model.caps:
            earned = groups.get(cap.group)
            if earned is not None and earned > cap.max_points:
                reasons.append(Reason(f"cap:{cap.group}", f"{cap.label} capped at {cap.max_points} ({earned} earned)",
                                      cap.max_points - earned, CAP))
    engagement = engagement_reasons(touches, model.engagement, now, kinds) if kinds else ()
    points = sum(reason.points for reason in reasons)
    if engagement:
        points += sum(reason.points for reason in engagement)
    return Score(points, band_for(points, model), tuple(reasons), tuple(missing), points >= model.qualified_from,
                 model.version, engagement, tuple(withheld))


def stored_score(result: Score) -> tuple[int | None, str | None]:
    """What a lead stores of a score: its points and band, or nothing while nothing counted (unscored)."""
    return (result.points, result.band) if result.is_scored else (None, None)


@dataclass(frozen=True)
class AnswerExplained:
    """One criterion as a score saw it: the answer given (or none) and what it was worth."""

    criterion: str
    label: str
    value: str | None
    answer: str | None  # the option's label (a number's: the number and its band)
    points: int


def explain_answers(answers: Mapping[str, str], model: ScoringModel,
                    source: str | None = None) -> tuple[AnswerExplained, ...]:
    """Every criterion of the model with the answer given (a source criterion's: the lead's source, as score()
    reads it) and its points: what a hand-off keeps."""
    explained = []
    for criterion in model.criteria:
        value = source_value(source) if not criterion.is_asked else answers.get(criterion.key, "")
        option = criterion.option(value) if value else None
        explained.append(AnswerExplained(
            criterion.key, criterion.label, criterion.stored_value(value) if option else None,
            criterion.answer_text(value, option) if option else None, option.points if option else 0))
    return tuple(explained)


# ---------------------------------------------------------------- what a model can reach

@dataclass(frozen=True)
class Reach:
    """How a threshold can be met: the best score possible (answers alone, for qualified with every required
    criterion answered) and a shortest set of answers that gets there."""

    name: str  # hot, warm, qualified
    threshold: int
    best: int
    answers: tuple[str, ...]  # "Budget: Budget confirmed (+25)"

    @property
    def reachable(self) -> bool:
        return self.best >= self.threshold


def _capped_total(choices: dict[str, Option], model: ScoringModel) -> int:
    groups: dict[str, int] = {}
    total = 0
    for criterion in model.criteria:
        option = choices.get(criterion.key)
        if option is None:
            continue
        total += option.points
        if criterion.group:
            groups[criterion.group] = groups.get(criterion.group, 0) + option.points
    for cap in model.caps:
        if groups.get(cap.group, cap.max_points) > cap.max_points:
            total -= groups[cap.group] - cap.max_points
    return total


def _answer_words(criterion: Criterion, option: Option) -> str:
    answer = criterion.band_words(option) if criterion.is_numeric else option.label
    return f"{criterion.label}: {answer} ({option.points:+d})"


def reach(model: ScoringModel, name: str, threshold: int) -> Reach:
    """Which answers reach `threshold` (answers only: engagement is a bonus no agent controls). For "qualified"
    every required criterion is answered (its best answer); otherwise criteria may be left unanswered."""
    best = {criterion.key: max(criterion.options, key=lambda option: option.points)
            for criterion in model.criteria if criterion.options}
    chosen: dict[str, Option] = {}
    if name == "qualified":
        chosen = {criterion.key: best[criterion.key] for criterion in model.required if criterion.key in best}
    # Add the most valuable remaining answers while they still raise the capped total.
    remaining = sorted((key for key in best if key not in chosen and best[key].points > 0),
                       key=lambda key: (-best[key].points, key))
    total = _capped_total(chosen, model)
    for key in remaining:
        if total >= threshold:
            break
        trial = _capped_total({**chosen, key: best[key]}, model)
        if trial > total:
            chosen[key], total = best[key], trial
    labels = {criterion.key: criterion for criterion in model.criteria}
    order = [criterion.key for criterion in model.criteria if criterion.key in chosen]
    return Reach(name, threshold, total, tuple(_answer_words(labels[key], chosen[key]) for key in order))


def reaches(model: ScoringModel) -> tuple[Reach, ...]:
    return (reach(model, "hot", model.hot_from), reach(model, "warm", model.warm_from),
            reach(model, "qualified", model.qualified_from))


@dataclass(frozen=True)
class Step:
    """One bar of the definition's chart: what a criterion's best answer (or fresh engagement) adds on top of
    the steps before it, after its group's cap."""

    label: str
    start: int
    points: int
    answer: str
    kind: str = ANSWER  # ANSWER or TOUCH


def ladder(model: ScoringModel) -> tuple[Step, ...]:
    """How points add up to the thresholds: each criterion's best answer in the model's order (only what it
    can still add under its group's cap), then the engagement a fresh touch of each counted kind gives."""
    steps: list[Step] = []
    total = 0
    groups: dict[str, int] = {}
    caps = {cap.group: cap.max_points for cap in model.caps}
    for criterion in model.criteria:
        if not criterion.options:
            continue
        best = max(criterion.options, key=lambda option: option.points)
        adds = max(best.points, 0)
        if criterion.group in caps:
            room = max(caps[criterion.group] - groups.get(criterion.group, 0), 0)
            groups[criterion.group] = groups.get(criterion.group, 0) + adds
            adds = min(adds, room)
        steps.append(Step(criterion.label, total, adds, _answer_words(criterion, best)))
        total += adds
    engagement = model.engagement
    fresh = sum(points.points for points in engagement.kinds if points.points > 0)
    if engagement.cap is not None:
        fresh = min(fresh, max(engagement.cap, 0))
    if fresh:
        steps.append(Step("Engagement", total, fresh, "one fresh touch of each kind", TOUCH))
    return tuple(steps)


def model_problems(model: ScoringModel) -> tuple[str, ...]:
    """What makes a model unusable, in words: thresholds out of order or out of reach (saying the best answers
    and what they score), criteria without answers, numeric bands out of order, keys taken twice."""
    problems: list[str] = []
    if not model.criteria:
        problems.append("The model needs at least one criterion.")
    if len(model.criteria) > LIMITS["criteria"]:
        problems.append(f"At most {LIMITS['criteria']} criteria.")
    keys = [criterion.key for criterion in model.criteria]
    for key in sorted({key for key in keys if keys.count(key) > 1}):
        problems.append(f"The criterion key {key!r} is used twice.")
    for criterion in model.criteria:
        name = criterion.label or criterion.key
        if not KEY_PATTERN.fullmatch(criterion.key):
            problems.append(f"{name}: the key {criterion.key!r} must be 2 to 40 lower-case letters, digits or _, "
                            "starting with a letter.")
        if not criterion.label.strip():
            problems.append(f"The criterion {criterion.key!r} needs a label.")
        if not criterion.options:
            problems.append(f"{name} has no answers to choose from.")
        if len(criterion.options) > LIMITS["options"]:
            problems.append(f"{name}: at most {LIMITS['options']} answers.")
        values = [option.value for option in criterion.options]
        for value in sorted({value for value in values if values.count(value) > 1}):
            problems.append(f"{name}: the answer value {value!r} is used twice.")
        for option in criterion.options:
            if not option.label.strip():
                problems.append(f"{name}: every answer needs a label.")
                break
        if criterion.kind == NUMBER:
            bounds = [option.at_least for option in criterion.options]
            if any(bound is None for bound in bounds[1:]):
                problems.append(f"{name}: only the first band may be open below; give every other band its "
                                "lowest number.")
            numbers = [bound for bound in bounds if bound is not None]
            if numbers != sorted(set(numbers)):
                problems.append(f"{name}: the bands must start at increasing numbers, lowest first.")
        elif criterion.kind == SOURCE:
            if criterion.required:
                problems.append(f"{name}: a criterion read from the lead's source cannot be required (nobody "
                                "answers it on a call).")
            for option in criterion.options:
                if option.value != source_value(option.value):
                    problems.append(f"{name}: write the source {option.value!r} as {source_value(option.value)!r} "
                                    "(lower case, single spaces).")
                    break
        elif criterion.kind != CHOICE:
            problems.append(f"{name}: unknown kind {criterion.kind!r}.")
        if criterion.group and not KEY_PATTERN.fullmatch(criterion.group):
            problems.append(f"{name}: the group {criterion.group!r} must be 2 to 40 lower-case letters, digits "
                            "or _.")
    groups = {criterion.group for criterion in model.criteria if criterion.group}
    cap_groups = [cap.group for cap in model.caps]
    for cap in model.caps:
        if cap.group not in groups:
            problems.append(f"The cap {cap.label or cap.group!r} names the group {cap.group!r}, which no "
                            "criterion is in.")
        if cap_groups.count(cap.group) > 1:
            problems.append(f"The group {cap.group!r} has two caps.")
            break
    kinds = [points.kind for points in model.engagement.kinds]
    for kind in sorted({kind for kind in kinds if kinds.count(kind) > 1}):
        problems.append(f"The touch kind {kind!r} is counted twice.")
    if model.engagement.half_life_days is not None and model.engagement.half_life_days <= 0:
        problems.append("The engagement half-life must be at least one day (or none, for no decay).")
    if model.warm_from >= model.hot_from:
        problems.append(f"Warm (from {model.warm_from}) must start below hot (from {model.hot_from}).")
    if model.criteria and all(criterion.options for criterion in model.criteria):
        for reached in reaches(model):
            if not reached.reachable:
                words = ", ".join(reached.answers) or "no answers"
                problems.append(f"{reached.name.capitalize()} (from {reached.threshold}) cannot be reached: the "
                                f"best answers score {reached.best} ({words}).")
    return tuple(problems)


# ---------------------------------------------------------------- stored as a dict

def model_to_dict(model: ScoringModel) -> dict:
    """The model as JSON-able data (what a version stores); model_from_dict reads it back."""
    return {
        "criteria": [{
            "key": criterion.key, "label": criterion.label, "question": criterion.question, "kind": criterion.kind,
            "required": criterion.required, "group": criterion.group, "unit": criterion.unit,
            "options": [{"value": option.value, "label": option.label, "points": option.points,
                         "at_least": option.at_least} for option in criterion.options],
        } for criterion in model.criteria],
        "thresholds": {"hot": model.hot_from, "warm": model.warm_from, "qualified": model.qualified_from},
        "caps": [{"group": cap.group, "label": cap.label, "max_points": cap.max_points} for cap in model.caps],
        "engagement": {
            "half_life_days": model.engagement.half_life_days, "cap": model.engagement.cap,
            "kinds": [{"kind": points.kind, "label": points.label, "points": points.points}
                      for points in model.engagement.kinds],
        },
    }


def _int(value, what: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be a whole number, not {value!r}")
    return value


def _text(value, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, not {value!r}")
    return value


def model_from_dict(data: Mapping, version: int = 1) -> ScoringModel:
    """A model from its stored dict (model_to_dict); ValueError when the data is not shaped like one."""
    try:
        thresholds = data["thresholds"]
        engagement = data.get("engagement") or {}
        return ScoringModel(
            criteria=tuple(Criterion(
                key=_text(item["key"], "a key"), label=_text(item["label"], "a label"),
                question=_text(item.get("question", ""), "a question"),
                options=tuple(Option(_text(option["value"], "a value"), _text(option["label"], "a label"),
                                     _int(option["points"], "points"),
                                     _int(option.get("at_least"), "a band's lowest number", optional=True))
                              for option in item["options"]),
                required=bool(item.get("required", True)), kind=_text(item.get("kind", CHOICE), "a kind"),
                group=_text(item.get("group") or "", "a group"), unit=_text(item.get("unit") or "", "a unit"),
            ) for item in data["criteria"]),
            hot_from=_int(thresholds["hot"], "hot"), warm_from=_int(thresholds["warm"], "warm"),
            qualified_from=_int(thresholds["qualified"], "qualified"),
            version=version,
            caps=tuple(Cap(_text(cap["group"], "a group"), _text(cap["label"], "a label"),
                           _int(cap["max_points"], "a cap")) for cap in data.get("caps") or ()),
            engagement=Engagement(
                kinds=tuple(TouchPoints(_text(item["kind"], "a touch kind"), _text(item["label"], "a label"),
                                        _int(item["points"], "points")) for item in engagement.get("kinds") or ()),
                half_life_days=_int(engagement.get("half_life_days"), "a half-life", optional=True),
                cap=_int(engagement.get("cap"), "an engagement cap", optional=True)),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not a scoring model: {error!r}") from None


def key_from_label(label: str | None, fallback: str) -> str:
    """A stable key from a label ("Company size" → company_size), for a criterion or an answer typed without one."""
    key = re.sub(r"[^a-z0-9]+", "_", (label or "").lower()).strip("_")[:40]
    if not key or not key[0].isalpha():
        key = f"{fallback}_{key}".strip("_")[:40] if key else fallback
    return key if len(key) > 1 else fallback


def with_version(model: ScoringModel, version: int) -> ScoringModel:
    return replace(model, version=version)


# ---------------------------------------------------------------- the glossary

# The shared language's terms, in the order the definition page shows them. The stage terms are the codes of
# console.leads.rules.Stage (whose LABELS are the words every screen uses); "contact" comes before any stage.
GLOSSARY_TERMS = ("contact", "lead", "mql", "sal", "sql", "nurture", "disqualified")
CONTACT_WORD = "Contact"
SHIPPED_GLOSSARY = {
    "contact": "A person at an account we may call: a name, a number and a company, before anyone has worked them.",
    "lead": "A contact in a campaign's queue, worked by teleprospectors until they qualify, nurture or "
            "disqualify them.",
    "mql": "A lead the call qualified: every required criterion answered and a score at or above the qualified "
           "threshold of the definition in force. Handed to sales with the call record.",
    "sal": "A marketing-qualified lead a sales member accepted within the SLA: sales now owns the follow-up.",
    "sql": "A sales-accepted lead sales has qualified further: a meeting held and a real opportunity in the "
           "pipeline.",
    "nurture": "Not ready to buy now (no budget yet, a timeline beyond a year): back to marketing with a recall "
               "date, called again later.",
    "disqualified": "Not a fit, not interested, a wrong or bad number, or asked not to be called: never called "
                    "again for this campaign.",
}


# ---------------------------------------------------------------- comparing and merging versions

def definition_paths(model: Mapping, glossary: Mapping[str, str]) -> dict[tuple, object]:
    """A definition (a stored model dict and its glossary) as {path: value}: what diffs and merges compare.

    Paths are ("threshold", name), ("criterion", key), ("option", key, value), ("cap", group),
    ("engagement", setting), ("touch", kind) and ("glossary", term); a criterion's, option's or touch's
    value holds its settings and its position (so a move is a change too).
    """
    paths: dict[tuple, object] = {}
    for name, value in (model.get("thresholds") or {}).items():
        paths[("threshold", name)] = value
    for position, item in enumerate(model.get("criteria") or ()):
        key = item["key"]
        paths[("criterion", key)] = (position, item["label"], item.get("question", ""), item.get("kind", CHOICE),
                                     bool(item.get("required", True)), item.get("group") or "", item.get("unit") or "")
        for option_position, option in enumerate(item["options"]):
            paths[("option", key, option["value"])] = (option_position, option["label"], option["points"],
                                                       option.get("at_least"))
    for cap in model.get("caps") or ():
        paths[("cap", cap["group"])] = (cap["label"], cap["max_points"])
    engagement = model.get("engagement") or {}
    for setting in ("half_life_days", "cap"):
        paths[("engagement", setting)] = engagement.get(setting)
    for position, item in enumerate(engagement.get("kinds") or ()):
        paths[("touch", item["kind"])] = (position, item["label"], item["points"])
    for term, text in (glossary or {}).items():
        paths[("glossary", term)] = text
    return paths


def definition_from_paths(paths: Mapping[tuple, object]) -> tuple[dict, dict]:
    """definition_paths read back: (model dict, glossary). Options of a criterion no longer there are dropped."""
    criteria = sorted(((value, path[1]) for path, value in paths.items() if path[0] == "criterion"),
                      key=lambda item: (item[0][0], item[1]))
    model = {"criteria": [], "thresholds": {}, "caps": [], "engagement": {"half_life_days": None, "cap": None,
                                                                          "kinds": []}}
    for (_position, label, question, kind, required, group, unit), key in criteria:
        options = sorted(((value, path[2]) for path, value in paths.items() if path[0] == "option" and path[1] == key),
                         key=lambda item: (item[0][0], item[1]))
        model["criteria"].append({"key": key, "label": label, "question": question, "kind": kind,
                                  "required": required, "group": group, "unit": unit,
                                  "options": [{"value": value, "label": option_label, "points": points,
                                               "at_least": at_least}
                                              for (_p, option_label, points, at_least), value in options]})
    for path, value in paths.items():
        if path[0] == "threshold":
            model["thresholds"][path[1]] = value
        elif path[0] == "cap":
            model["caps"].append({"group": path[1], "label": value[0], "max_points": value[1]})
        elif path[0] == "engagement":
            model["engagement"][path[1]] = value
    model["caps"].sort(key=lambda cap: cap["group"])
    touches = sorted(((value, path[1]) for path, value in paths.items() if path[0] == "touch"),
                     key=lambda item: (item[0][0], item[1]))
    model["engagement"]["kinds"] = [{"kind": kind, "label": label, "points": points}
                                    for (_p, label, points), kind in touches]
    glossary = {path[1]: value for path, value in paths.items() if path[0] == "glossary"}
    return model, glossary


@dataclass(frozen=True)
class Change:
    """One difference between two versions of the definition, in words, side by side."""

    section: str  # Thresholds, Criteria, Caps, Engagement, Glossary
    what: str
    before: str  # "" when it was not there
    after: str  # "" when it is no longer there


_THRESHOLD_WORDS = {"hot": "Hot from", "warm": "Warm from", "qualified": "Qualified from"}


def _criterion_words(value) -> str:
    _position, _label, question, kind, required, group, unit = value
    parts = ["numeric" + (f" ({unit})" if unit else "") if kind == NUMBER else "choice",
             "required for qualified" if required else "optional"]
    if group:
        parts.append(f"group {group}")
    return ", ".join(parts) + (f"; asks “{question}”" if question else "")


def definition_changes(before: tuple[Mapping, Mapping], after: tuple[Mapping, Mapping]) -> tuple[Change, ...]:
    """What changed from one definition (model dict, glossary) to another, in the page's order and words."""
    old, new = definition_paths(*before), definition_paths(*after)
    labels = {path[1]: value[1] for source in (old, new) for path, value in source.items() if path[0] == "criterion"}
    changes: list[Change] = []
    order = {"threshold": 0, "criterion": 1, "option": 1, "cap": 2, "engagement": 3, "touch": 3, "glossary": 4}
    criterion_order = {key: index for index, key in enumerate(dict.fromkeys(
        [path[1] for path in new if path[0] == "criterion"] + [path[1] for path in old if path[0] == "criterion"]))}

    def sort_key(path):
        if path[0] in ("criterion", "option"):
            return (1, criterion_order.get(path[1], 99), 0 if path[0] == "criterion" else 1, str(path[2:]))
        return (order[path[0]], 0, 0, str(path[1:]))

    for path in sorted(set(old) | set(new), key=sort_key):
        a, b = old.get(path), new.get(path)
        if a == b:
            continue
        kind = path[0]
        if kind == "threshold":
            changes.append(Change("Thresholds", _THRESHOLD_WORDS.get(path[1], path[1]),
                                  "" if a is None else str(a), "" if b is None else str(b)))
        elif kind == "criterion":
            label = labels.get(path[1], path[1])
            if a is not None and b is not None and a[1:] == b[1:]:
                changes.append(Change("Criteria", f"{label}: position", f"{a[0] + 1}", f"{b[0] + 1}"))
                continue
            name = label if a is None or b is None or a[1] == b[1] else f"{a[1]} → {b[1]}"
            changes.append(Change("Criteria", name, "" if a is None else _criterion_words(a),
                                  "" if b is None else _criterion_words(b)))
        elif kind == "option":
            def words(value):
                if value is None:
                    return ""
                _position, label, points, at_least = value
                band = f" (from {at_least:,})" if at_least is not None else ""
                return f"{label}{band} {points:+d}"
            changes.append(Change("Criteria", f"{labels.get(path[1], path[1])}: {path[2]}", words(a), words(b)))
        elif kind == "cap":
            changes.append(Change("Caps", f"Group {path[1]}", f"{a[0]}: at most {a[1]}" if a else "",
                                  f"{b[0]}: at most {b[1]}" if b else ""))
        elif kind == "engagement":
            name = "Half-life (days)" if path[1] == "half_life_days" else "Engagement cap"
            changes.append(Change("Engagement", name, "none" if a is None else str(a), "none" if b is None else str(b)))
        elif kind == "touch":
            changes.append(Change("Engagement", f"Touch {path[1]}", f"{a[1]} {a[2]:+d}" if a else "",
                                  f"{b[1]} {b[2]:+d}" if b else ""))
        else:
            changes.append(Change("Glossary", path[1], a or "", b or ""))
    return tuple(changes)


@dataclass(frozen=True)
class Rebased:
    model: dict
    glossary: dict
    conflicts: tuple[str, ...]  # paths both sides changed differently: the proposal's value was kept


def rebase(base: tuple[Mapping, Mapping], ours: tuple[Mapping, Mapping], theirs: tuple[Mapping, Mapping]) -> Rebased:
    """A proposal made against `base` moved onto `theirs` (the version that became active meanwhile): what
    the proposal changed is applied to theirs, path by path; where both changed one thing differently the
    proposal's value is kept and the path named, for its proposer to check."""
    b, o, t = definition_paths(*base), definition_paths(*ours), definition_paths(*theirs)
    merged: dict[tuple, object] = {}
    conflicts: list[str] = []
    for path in sorted(set(b) | set(o) | set(t), key=str):
        before, mine, active = b.get(path), o.get(path), t.get(path)
        if mine == before:
            value = active
        elif active == before or active == mine:
            value = mine
        else:
            value = mine
            conflicts.append(" · ".join(str(part) for part in path))
        if value is not None:
            merged[path] = value
    model, glossary = definition_from_paths(merged)
    return Rebased(model, glossary, tuple(conflicts))


# ---------------------------------------------------------------- versions and the joint approval

class VersionStatus:
    """Where a version of the definition stands. Draft → proposed → active → superseded; a proposal may be
    rejected, or go stale when another version of its scope takes effect (rebased, it is a draft again)."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"
    STALE = "stale"
    OPEN = (DRAFT, PROPOSED, STALE)
    LABELS = {DRAFT: "Draft", PROPOSED: "Proposed: open for votes", ACTIVE: "In force", SUPERSEDED: "Replaced",
              REJECTED: "Rejected", STALE: "Stale: rebase to continue"}


SALES, MARKETING = "sales", "marketing"
SIDES = (SALES, MARKETING)
SIDE_LABELS = {SALES: "Sales", MARKETING: "Marketing"}
APPROVE, REJECT = "approve", "reject"
DEFAULT_APPROVALS = {SALES: 2, MARKETING: 1}  # seed 004: "sales gets 2 votes, marketing gets maybe one"
MAX_APPROVALS = 10


@dataclass(frozen=True)
class Ballot:
    side: str
    decision: str
    by_member: bool  # cast by a member of that side, not by an admin voting on it


@dataclass(frozen=True)
class Tally:
    """The votes on one revision of a proposal against the approvals each side must give.

    Admins may vote on either side (one vote, on the side they choose), so a small team is never stuck; but a
    side's approvals count only once at least one of its own members approved: no change takes effect without
    both sides agreeing. One rejection ends the proposal."""

    needed: Mapping[str, int]
    approvals: Mapping[str, int]
    members: Mapping[str, int]
    rejected: bool

    @property
    def complete(self) -> bool:
        return not self.rejected and all(self.approvals.get(side, 0) >= self.needed.get(side, 1)
                                         and self.members.get(side, 0) >= 1 for side in SIDES)

    def still_needed(self) -> tuple[str, ...]:
        """What each side still has to give, in words ("1 more approval from sales")."""
        needed = []
        for side in SIDES:
            more = self.needed.get(side, 1) - self.approvals.get(side, 0)
            if more > 0:
                needed.append(f"{more} more approval{'s' if more > 1 else ''} from {side}")
            elif self.members.get(side, 0) < 1:
                needed.append(f"an approval from a {side} member (admins' votes count only beside one)")
        return tuple(needed)


def tally(ballots: Iterable[Ballot], needed: Mapping[str, int]) -> Tally:
    approvals = {side: 0 for side in SIDES}
    members = {side: 0 for side in SIDES}
    rejected = False
    for ballot in ballots:
        if ballot.decision == REJECT:
            rejected = True
        elif ballot.decision == APPROVE and ballot.side in approvals:
            approvals[ballot.side] += 1
            members[ballot.side] += ballot.by_member
    return Tally(dict(needed), approvals, members, rejected)


def approvals_problem(sales: int | None, marketing: int | None) -> dict[str, str]:
    """What is wrong with the approval counts an admin typed, by side."""
    problems = {}
    for side, count in ((SALES, sales), (MARKETING, marketing)):
        if count is None or not 1 <= count <= MAX_APPROVALS:
            problems[side] = f"Enter a number from 1 to {MAX_APPROVALS}: each side approves every change."
    return problems


# ---------------------------------------------------------------- the shipped model

# The model the console ships with: version 1 of the lead definition (migration 0013 stores it).
SHIPPED_MODEL = ScoringModel(
    criteria=(
        Criterion(
            "budget",
            "Budget",
            "Is there budget set aside for this?",
            (
                Option("confirmed", "Budget confirmed", 25),
                Option("planned", "Budget planned for next cycle", 15),
                Option("unknown", "Budget not known yet", 0),
                Option("none", "No budget", -10),
            ),
        ),
        Criterion(
            "authority",
            "Authority",
            "Who signs off on a purchase like this?",
            (
                Option("decision_maker", "Speaking to the decision maker", 25),
                Option("influencer", "Speaking to an influencer", 10),
                Option("no_authority", "No buying authority", 0),
            ),
        ),
        Criterion(
            "need",
            "Need",
            "What problem would this solve for you?",
            (
                Option("urgent", "Urgent, stated need", 30),
                Option("some", "Some need", 10),
                Option("none", "No need", -20),
            ),
        ),
        Criterion(
            "timeline",
            "Timeline",
            "When do you expect to have a solution in place?",
            (
                Option("under_3_months", "Buying within 3 months", 20),
                Option("3_to_6_months", "Buying in 3–6 months", 10),
                Option("6_to_12_months", "Buying in 6–12 months", 5),
                Option("no_timeline", "No timeline", 0),
            ),
        ),
    ),
    hot_from=70,
    warm_from=40,
    qualified_from=50,
)
