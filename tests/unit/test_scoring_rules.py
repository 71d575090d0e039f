"""The lead definition as pure rules: points, bands, reasons and what qualifying requires."""
from console.scoring.rules import SHIPPED_MODEL, band_for, explain_answers, score

ALL_STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


def test_every_answer_gives_its_points_and_says_why():
    result = score(ALL_STRONG, SHIPPED_MODEL)
    assert result.points == 25 + 25 + 30 + 20
    assert [str(reason) for reason in result.reasons] == [
        "Budget confirmed +25", "Speaking to the decision maker +25", "Urgent, stated need +30",
        "Buying within 3 months +20",
    ]


def test_negative_answers_are_explained_with_a_minus_sign():
    result = score({"need": "none"}, SHIPPED_MODEL)
    assert result.points == -20
    assert str(result.reasons[0]) == "No need −20"


def test_bands_follow_the_thresholds():
    assert band_for(SHIPPED_MODEL.hot_from, SHIPPED_MODEL) == "hot"
    assert band_for(SHIPPED_MODEL.hot_from - 1, SHIPPED_MODEL) == "warm"
    assert band_for(SHIPPED_MODEL.warm_from, SHIPPED_MODEL) == "warm"
    assert band_for(SHIPPED_MODEL.warm_from - 1, SHIPPED_MODEL) == "cool"


def test_a_lead_cannot_qualify_while_required_criteria_are_unanswered():
    result = score({"budget": "confirmed", "need": "urgent"}, SHIPPED_MODEL)
    assert result.missing_required == ("Authority", "Timeline")
    assert not result.can_qualify


def test_a_lead_below_the_qualified_threshold_cannot_qualify_even_when_complete():
    result = score({"budget": "none", "authority": "no_authority", "need": "some", "timeline": "no_timeline"}, SHIPPED_MODEL)
    assert result.missing_required == ()
    assert not result.meets_threshold
    assert not result.can_qualify


def test_a_complete_strong_lead_can_qualify():
    assert score(ALL_STRONG, SHIPPED_MODEL).can_qualify


def test_unknown_criteria_and_values_score_nothing():
    assert score({"budget": "a lot", "colour": "blue"}, SHIPPED_MODEL).points == 0


def test_a_score_says_which_version_of_the_model_made_it():
    assert score(ALL_STRONG, SHIPPED_MODEL).model_version == SHIPPED_MODEL.version


def test_the_explanation_of_answers_lists_every_criterion_answered_or_not():
    explained = explain_answers({"budget": "confirmed", "need": "nonsense"}, SHIPPED_MODEL)
    assert [(line.label, line.answer, line.points) for line in explained] == [
        ("Budget", "Budget confirmed", 25), ("Authority", None, 0), ("Need", None, 0), ("Timeline", None, 0)]


# ---------------------------------------------------------------- the model as data (issue 15)

from datetime import datetime, timedelta  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from console.scoring.rules import (Cap, Criterion, Engagement, Option, ScoringModel, TouchPoints,  # noqa: E402
                                   definition_changes, model_from_dict, model_problems, model_to_dict, rebase)

NOW = datetime(2026, 11, 18, 18, 30)
SIZE = Criterion("company_size", "Company size", "How many people work there?", (
    Option("small", "Small business", 0), Option("mid", "Mid-market", 15, 200), Option("large", "Enterprise", 25, 1000)),
    required=False, kind="number", group="fit", unit="employees")
WITH_EXTRAS = ScoringModel(
    criteria=SHIPPED_MODEL.criteria + (SIZE,), hot_from=70, warm_from=40, qualified_from=50, version=3,
    caps=(Cap("fit", "Company fit", 20),),
    engagement=Engagement((TouchPoints("webinar", "Webinar attended", 10),
                           TouchPoints("email_click", "Email clicked", 3)), half_life_days=16, cap=12))


def touch(kind: str, days: float) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, occurred_at=NOW - timedelta(days=days))


def test_a_criterion_not_answered_is_explained_as_withheld_and_says_when_it_is_required():
    result = score({"budget": "confirmed"}, SHIPPED_MODEL)
    assert [str(line) for line in result.withheld] == [
        "Authority: not answered, 0 (required)", "Need: not answered, 0 (required)",
        "Timeline: not answered, 0 (required)"]


def test_a_touch_gives_engagement_points_that_fade_with_its_age_on_a_line_of_its_own():
    result = score({}, WITH_EXTRAS, [touch("webinar", 12.2), touch("visit", 1)], NOW)
    assert [str(line) for line in result.engagement] == ["Webinar attended 12 days ago +6 (decayed from 10)"]
    assert result.points == 6 and result.engagement_points == 6 and result.reasons == ()
    assert result.is_scored


def test_engagement_points_stop_at_their_cap():
    result = score({}, WITH_EXTRAS, [touch("webinar", 0), touch("email_click", 0.5)], NOW)
    assert [str(line) for line in result.engagement] == [
        "Webinar attended today +10", "Email clicked today +3", "Engagement capped at 12 (13 earned) −1"]
    assert result.points == 12


def test_a_number_is_scored_by_the_band_it_falls_in():
    assert str(score({"company_size": "250"}, WITH_EXTRAS).reasons[0]) == "Company size 250 employees: Mid-market +15"
    assert score({"company_size": "1,200"}, WITH_EXTRAS).points == 20  # Enterprise +25, held to the fit cap
    assert score({"company_size": "12"}, WITH_EXTRAS).points == 0
    assert SIZE.answer_problem("lots") == "Company size: enter a whole number."
    assert SIZE.band_words(SIZE.options[0]) == "under 200 employees"
    assert SIZE.band_words(SIZE.options[1]) == "200 to 999 employees"


def test_a_group_over_its_cap_gives_back_the_excess_on_a_line_that_says_so():
    capped = ScoringModel(WITH_EXTRAS.criteria, 70, 40, 50, caps=(Cap("fit", "Company fit", 20),))
    result = score({"company_size": "5000"}, capped)
    assert [str(line) for line in result.reasons] == [
        "Company size 5,000 employees: Enterprise +25", "Company fit capped at 20 (25 earned) −5"]
    assert result.points == 20


def test_a_score_with_touches_needs_the_time_to_age_them():
    import pytest
    with pytest.raises(ValueError):
        score({}, WITH_EXTRAS, [touch("webinar", 1)])


def test_thresholds_out_of_order_or_out_of_reach_are_named_with_the_answers_that_reach_furthest():
    backwards = ScoringModel(SHIPPED_MODEL.criteria, hot_from=40, warm_from=70, qualified_from=50)
    assert "Warm (from 70) must start below hot (from 40)." in model_problems(backwards)
    unreachable = ScoringModel(SHIPPED_MODEL.criteria, hot_from=120, warm_from=40, qualified_from=50)
    assert model_problems(unreachable) == (
        "Hot (from 120) cannot be reached: the best answers score 100 (Budget: Budget confirmed (+25), "
        "Authority: Speaking to the decision maker (+25), Need: Urgent, stated need (+30), "
        "Timeline: Buying within 3 months (+20)).",)
    assert model_problems(SHIPPED_MODEL) == ()
    assert model_problems(WITH_EXTRAS) == ()


def test_the_shipped_model_survives_being_stored():
    assert model_from_dict(model_to_dict(WITH_EXTRAS), version=3) == WITH_EXTRAS
    assert model_from_dict(model_to_dict(SHIPPED_MODEL)) == SHIPPED_MODEL


def test_changes_between_two_definitions_are_listed_in_words_side_by_side():
    before = (model_to_dict(SHIPPED_MODEL), {"mql": "Qualified."})
    after_model = model_to_dict(SHIPPED_MODEL)
    after_model["criteria"][0]["options"][0]["points"] = 30
    after_model["thresholds"]["hot"] = 75
    changes = definition_changes(before, (after_model, {"mql": "Qualified by both sides."}))
    assert [(change.section, change.what, change.before, change.after) for change in changes] == [
        ("Thresholds", "Hot from", "70", "75"),
        ("Criteria", "Budget: confirmed", "Budget confirmed +25", "Budget confirmed +30"),
        ("Glossary", "mql", "Qualified.", "Qualified by both sides.")]


def test_rebasing_keeps_both_sides_changes_and_names_what_both_changed():
    base = (model_to_dict(SHIPPED_MODEL), {"lead": "A lead."})
    ours_model, theirs_model = model_to_dict(SHIPPED_MODEL), model_to_dict(SHIPPED_MODEL)
    ours_model["criteria"][0]["options"][0]["points"] = 30
    ours_model["thresholds"]["hot"] = 80
    theirs_model["thresholds"]["hot"] = 75
    theirs_model["thresholds"]["warm"] = 45
    moved = rebase(base, (ours_model, {"lead": "A lead."}), (theirs_model, {"lead": "A lead (v2)."}))
    merged = model_from_dict(moved.model)
    assert (merged.hot_from, merged.warm_from, merged.criteria[0].options[0].points) == (80, 45, 30)
    assert moved.glossary == {"lead": "A lead (v2)."}
    assert moved.conflicts == ("threshold · hot",)


def with_source_criterion(required: bool = False, value: str = "webinar attendees"):
    from console.scoring.rules import model_from_dict, model_to_dict

    model = model_to_dict(SHIPPED_MODEL)
    model["criteria"].append({"key": "lead_source", "label": "Source", "question": "", "kind": "source",
                              "required": required, "group": "", "unit": "", "options": [
                                  {"value": value, "label": "Attended a webinar", "points": 15, "at_least": None},
                                  {"value": "purchased list", "label": "Bought list", "points": -5, "at_least": None}]})
    return model_from_dict(model, version=2)


def test_a_source_criterion_scores_the_leads_source_as_marketing_wrote_it_and_is_never_asked():
    model = with_source_criterion()
    assert not model.criterion("lead_source").is_asked
    assert "Attended a webinar +15" in [str(line) for line in score(ALL_STRONG, model,
                                                                     source="  Webinar   Attendees ").reasons]
    assert score(ALL_STRONG, model, source="Purchased list").points == 100 - 5
    other = score(ALL_STRONG, model, source="Trade show")
    assert other.points == 100 and "Source: not one of its sources" in [str(line) for line in other.withheld][0]
    assert score(ALL_STRONG, model, source=None).points == 100
    # An agent cannot answer it, and an answer under its key changes nothing.
    assert model.criterion("lead_source").answer_problem("webinar attendees") == \
        "Source is not asked: it is the lead's source."
    assert score({**ALL_STRONG, "lead_source": "webinar attendees"}, model).points == 100


def test_a_source_criterion_cannot_be_required_and_its_sources_are_written_as_compared():
    from console.scoring.rules import model_problems

    assert any("cannot be required" in problem for problem in model_problems(with_source_criterion(required=True)))
    assert any("write the source 'Webinar Attendees' as 'webinar attendees'" in problem
               for problem in model_problems(with_source_criterion(value="Webinar Attendees")))
    assert not model_problems(with_source_criterion())


def test_a_hand_off_explains_a_source_criterion_with_the_leads_source_as_the_score_counted_it():
    from console.scoring.rules import explain_answers

    model = with_source_criterion()
    explained = {item.criterion: item for item in explain_answers(ALL_STRONG, model, "Webinar attendees")}
    assert (explained["lead_source"].value, explained["lead_source"].points) == ("webinar attendees", 15)
    assert sum(item.points for item in explained.values()) == score(ALL_STRONG, model, source="Webinar attendees").points
    assert explain_answers(ALL_STRONG, model)[-1].points == 0  # no source: nothing counted
