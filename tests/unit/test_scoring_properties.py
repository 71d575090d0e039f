"""The scoring function's promises on models hypothesis makes up: points only ever follow the answers' points,
bands follow thresholds, required criteria hold qualified back, touches fade, caps hold, and a model survives
being stored."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from types import SimpleNamespace

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from console.scoring.rules import (BANDS, CAP, NUMBER, WITHHELD, Cap, Criterion, Engagement, Option, ScoringModel,
                                   TouchPoints, band_for, decayed, definition_changes, definition_paths,
                                   model_from_dict, model_problems, model_to_dict, reaches, rebase, score)

NOW = datetime(2026, 11, 18, 18, 30)
KINDS = ("email_click", "download", "webinar", "visit")

points = st.integers(min_value=-50, max_value=60)


@st.composite
def criteria(draw, key: str):
    numeric = draw(st.booleans())
    count = draw(st.integers(min_value=1, max_value=4))
    if numeric:
        starts = sorted(draw(st.sets(st.integers(min_value=0, max_value=10_000), min_size=count, max_size=count)))
        if draw(st.booleans()):
            starts[0] = None
        options = tuple(Option(f"band_{index}", f"Band {index}", draw(points), start)
                        for index, start in enumerate(starts))
    else:
        options = tuple(Option(f"v{index}", f"Answer {index}", draw(points)) for index in range(count))
    return Criterion(key, key.capitalize(), f"About {key}?", options, required=draw(st.booleans()),
                     kind=NUMBER if numeric else "choice", group=draw(st.sampled_from(["", "fit", "intent"])),
                     unit="USD" if numeric else "")


@st.composite
def models(draw, with_engagement: bool = True):
    keys = draw(st.lists(st.sampled_from(["budget", "authority", "need", "timeline", "source", "size"]),
                         min_size=1, max_size=5, unique=True))
    chosen = tuple(draw(criteria(key)) for key in keys)
    groups = sorted({criterion.group for criterion in chosen if criterion.group})
    caps = tuple(Cap(group, f"{group} cap", draw(st.integers(min_value=0, max_value=80)))
                 for group in groups if draw(st.booleans()))
    warm = draw(st.integers(min_value=-20, max_value=80))
    hot = warm + draw(st.integers(min_value=1, max_value=60))
    engagement = Engagement()
    if with_engagement and draw(st.booleans()):
        kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4, unique=True))
        engagement = Engagement(tuple(TouchPoints(kind, kind.replace("_", " ").capitalize(), draw(points))
                                      for kind in kinds),
                                draw(st.one_of(st.none(), st.integers(min_value=1, max_value=90))),
                                draw(st.one_of(st.none(), st.integers(min_value=0, max_value=60))))
    return ScoringModel(chosen, hot_from=hot, warm_from=warm, qualified_from=draw(st.integers(-20, 120)),
                        version=draw(st.integers(1, 50)), caps=caps, engagement=engagement)


def answer_for(criterion: Criterion, option: Option) -> str:
    """The answer an agent gives to pick this option (a number inside a band, for a numeric criterion)."""
    if criterion.kind == NUMBER:
        return str(option.at_least if option.at_least is not None else -5)
    return option.value


@st.composite
def model_and_answers(draw, with_engagement: bool = True):
    model = draw(models(with_engagement))
    answers = {}
    for criterion in model.criteria:
        if draw(st.booleans()):
            answers[criterion.key] = answer_for(criterion, draw(st.sampled_from(criterion.options)))
    return model, answers


touches = st.lists(st.builds(lambda kind, days: SimpleNamespace(kind=kind, occurred_at=NOW - timedelta(days=days)),
                             st.sampled_from(KINDS), st.floats(min_value=0, max_value=400)), max_size=6)


def with_points(model: ScoringModel, key: str, value: str, extra: int) -> ScoringModel:
    criterion = model.criterion(key)
    chosen = criterion.option(value)
    options = tuple(Option(option.value, option.label, option.points + extra, option.at_least)
                    if option == chosen else option for option in criterion.options)
    return ScoringModel(tuple(Criterion(c.key, c.label, c.question, options, c.required, c.kind, c.group, c.unit)
                              if c.key == key else c for c in model.criteria),
                        model.hot_from, model.warm_from, model.qualified_from, model.version, model.caps,
                        model.engagement)


@given(model_and_answers(), touches, st.integers(min_value=0, max_value=100), st.data())
def test_adding_points_to_an_answer_never_lowers_the_score(pair, lead_touches, extra, data):
    model, answers = pair
    assume(answers)
    key = data.draw(st.sampled_from(sorted(answers)))
    before = score(answers, model, lead_touches, NOW)
    after = score(answers, with_points(model, key, answers[key], extra), lead_touches, NOW)
    assert after.points >= before.points
    assert BANDS.index(after.band) <= BANDS.index(before.band)


@given(models(), st.integers(-200, 200), st.integers(0, 200))
def test_a_higher_score_never_falls_in_a_lower_band(model, low, more):
    assert BANDS.index(band_for(low + more, model)) <= BANDS.index(band_for(low, model))


@given(models(), st.integers(-200, 200), st.integers(0, 50))
def test_raising_a_threshold_never_raises_a_band(model, total, raise_by):
    stricter = ScoringModel(model.criteria, model.hot_from + raise_by, model.warm_from + raise_by,
                            model.qualified_from + raise_by)
    assert BANDS.index(band_for(total, stricter)) >= BANDS.index(band_for(total, model))


@given(model_and_answers(), touches)
def test_a_required_criterion_left_unanswered_blocks_qualified(pair, lead_touches):
    model, answers = pair
    required = [criterion for criterion in model.criteria if criterion.required]
    assume(required)
    answers = {key: value for key, value in answers.items() if key != required[0].key}
    result = score(answers, model, lead_touches, NOW)
    assert not result.can_qualify
    assert required[0].label in result.missing_required
    assert f"{required[0].label}: not answered, 0 (required)" in [str(line) for line in result.withheld]


@given(st.integers(-100, 100), st.floats(0, 1000), st.floats(0, 1000), st.one_of(st.none(), st.integers(1, 365)))
def test_a_touch_never_gains_points_as_it_ages(full, age, older_by, half_life):
    young, old = decayed(full, age, half_life), decayed(full, age + older_by, half_life)
    assert abs(old) <= abs(young) <= abs(full)
    assert old * full >= 0  # fading never turns a bonus into a penalty


@given(model_and_answers(), touches)
def test_caps_hold_and_every_line_adds_up_to_the_score(pair, lead_touches):
    model, answers = pair
    result = score(answers, model, lead_touches, NOW)
    assert result.points == sum(line.points for line in result.lines)
    for cap in model.caps:
        in_group = {criterion.key for criterion in model.criteria if criterion.group == cap.group}
        answered = [line.points for line in result.reasons if line.criterion in in_group]
        taken_back = [line.points for line in result.reasons if line.criterion == f"cap:{cap.group}"]
        if answered:
            assert sum(answered) + sum(taken_back) <= cap.max_points
    if model.engagement.cap is not None:
        assert result.engagement_points <= model.engagement.cap
    # One line for every criterion: its answer, or what it withheld.
    covered = [line.criterion for line in result.reasons + result.withheld if line.kind != CAP]
    assert sorted(covered) == sorted(criterion.key for criterion in model.criteria)
    assert all(line.points == 0 for line in result.withheld if line.kind == WITHHELD)


@given(models())
def test_a_model_reads_back_from_what_is_stored(model):
    assert model_from_dict(model_to_dict(model), version=model.version) == model


@settings(max_examples=60)
@given(models(with_engagement=False))
def test_what_the_model_says_about_its_thresholds_is_true(model):
    """Brute force over every way to answer: the best is what `reaches` says, and its answers get there."""
    choices = [[None] + list(criterion.options) for criterion in model.criteria]
    best = {"hot": None, "warm": None, "qualified": None}
    for combination in itertools.product(*choices):
        answers = {criterion.key: answer_for(criterion, option)
                   for criterion, option in zip(model.criteria, combination) if option is not None}
        result = score(answers, model)
        for name in ("hot", "warm"):
            best[name] = max(result.points, best[name] if best[name] is not None else result.points)
        if not result.missing_required:
            best["qualified"] = max(result.points, best["qualified"] if best["qualified"] is not None
                                    else result.points)
    problems = " ".join(model_problems(model))
    for reached in reaches(model):
        if reached.reachable:
            assert best[reached.name] >= reached.threshold
            assert f"{reached.name.capitalize()} (from" not in problems
        else:
            assert best[reached.name] == reached.best < reached.threshold
            assert f"{reached.name.capitalize()} (from {reached.threshold}) cannot be reached" in problems


@given(models(), models())
def test_rebasing_onto_an_unchanged_base_keeps_the_proposal_and_an_unchanged_proposal_takes_the_active(ours, theirs):
    base = (model_to_dict(ours), {"lead": "A lead."})
    proposal = (model_to_dict(ours), {"lead": "A lead, reworded."})
    moved = rebase(base, proposal, base)
    assert definition_paths(moved.model, moved.glossary) == definition_paths(*proposal)
    active = (model_to_dict(theirs), {"lead": "A lead."})
    untouched = rebase(base, base, active)
    assert definition_paths(untouched.model, untouched.glossary) == definition_paths(*active)
    assert untouched.conflicts == ()


@given(models(), models())
def test_two_definitions_differ_exactly_when_changes_are_listed(first, second):
    a, b = (model_to_dict(first), {}), (model_to_dict(second), {})
    assert (definition_changes(a, b) == ()) == (definition_paths(*a) == definition_paths(*b))
