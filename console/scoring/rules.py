"""Scoring a lead from its qualification answers: pure functions, no Flask, no database.

The model is data (criteria → options → points) so that the published lead
definition page, the call screen and the hand-off all explain a score the same way.
Every caller passes the model it means (console.scoring.services.current_model()
for a new score); a score keeps the model's version, so that a stored score is
explained with the model that made it.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    points: int


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    question: str
    options: tuple[Option, ...]
    required: bool = True

    def option(self, value: str) -> Option | None:
        return next((option for option in self.options if option.value == value), None)


@dataclass(frozen=True)
class ScoringModel:
    criteria: tuple[Criterion, ...]
    hot_from: int
    warm_from: int
    qualified_from: int
    version: int = 1

    def criterion(self, key: str) -> Criterion | None:
        return next((criterion for criterion in self.criteria if criterion.key == key), None)


@dataclass(frozen=True)
class Reason:
    criterion: str
    text: str
    points: int

    def __str__(self) -> str:
        sign = "+" if self.points >= 0 else "−"
        return f"{self.text} {sign}{abs(self.points)}"


@dataclass(frozen=True)
class Score:
    points: int
    band: str
    reasons: tuple[Reason, ...]
    missing_required: tuple[str, ...] = field(default=())
    meets_threshold: bool = False
    model_version: int = 1

    @property
    def can_qualify(self) -> bool:
        return not self.missing_required and self.meets_threshold


# The model the console ships with: version 1 of the lead definition.
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


def band_for(points: int, model: ScoringModel) -> str:
    if points >= model.hot_from:
        return "hot"
    if points >= model.warm_from:
        return "warm"
    return "cool"


def score(answers: dict[str, str], model: ScoringModel) -> Score:
    """Score answers ({criterion key: option value}); unknown keys and values are ignored."""
    reasons: list[Reason] = []
    missing: list[str] = []
    for criterion in model.criteria:
        option = criterion.option(answers.get(criterion.key, ""))
        if option is None:
            if criterion.required:
                missing.append(criterion.label)
            continue
        reasons.append(Reason(criterion.key, option.label, option.points))
    points = sum(reason.points for reason in reasons)
    return Score(
        points=points,
        band=band_for(points, model),
        reasons=tuple(reasons),
        missing_required=tuple(missing),
        meets_threshold=points >= model.qualified_from,
        model_version=model.version,
    )


@dataclass(frozen=True)
class AnswerExplained:
    """One criterion as a score saw it: the answer given (or none) and what it was worth."""

    criterion: str
    label: str
    value: str | None
    answer: str | None  # the option's label
    points: int


def explain_answers(answers: dict[str, str], model: ScoringModel) -> tuple[AnswerExplained, ...]:
    """Every criterion of the model with the answer given and its points: what a hand-off keeps."""
    explained = []
    for criterion in model.criteria:
        option = criterion.option(answers.get(criterion.key, ""))
        explained.append(AnswerExplained(criterion.key, criterion.label, option.value if option else None,
                                         option.label if option else None, option.points if option else 0))
    return tuple(explained)
