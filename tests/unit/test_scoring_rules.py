"""The lead definition as pure rules: points, bands, reasons and what qualifying requires."""
from console.scoring.rules import DEFAULT_MODEL, band_for, score

ALL_STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


def test_every_answer_gives_its_points_and_says_why():
    result = score(ALL_STRONG)
    assert result.points == 25 + 25 + 30 + 20
    assert [str(reason) for reason in result.reasons] == [
        "Budget confirmed +25", "Speaking to the decision maker +25", "Urgent, stated need +30",
        "Buying within 3 months +20",
    ]


def test_negative_answers_are_explained_with_a_minus_sign():
    result = score({"need": "none"})
    assert result.points == -20
    assert str(result.reasons[0]) == "No need −20"


def test_bands_follow_the_thresholds():
    assert band_for(DEFAULT_MODEL.hot_from) == "hot"
    assert band_for(DEFAULT_MODEL.hot_from - 1) == "warm"
    assert band_for(DEFAULT_MODEL.warm_from) == "warm"
    assert band_for(DEFAULT_MODEL.warm_from - 1) == "cool"


def test_a_lead_cannot_qualify_while_required_criteria_are_unanswered():
    result = score({"budget": "confirmed", "need": "urgent"})
    assert result.missing_required == ("Authority", "Timeline")
    assert not result.can_qualify


def test_a_lead_below_the_qualified_threshold_cannot_qualify_even_when_complete():
    result = score({"budget": "none", "authority": "no_authority", "need": "some", "timeline": "no_timeline"})
    assert result.missing_required == ()
    assert not result.meets_threshold
    assert not result.can_qualify


def test_a_complete_strong_lead_can_qualify():
    assert score(ALL_STRONG).can_qualify


def test_unknown_criteria_and_values_score_nothing():
    assert score({"budget": "a lot", "colour": "blue"}).points == 0
