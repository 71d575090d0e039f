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
