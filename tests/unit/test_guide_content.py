"""Guide content as a thing that changes: export to YAML and back, editor changes, quick-find, diffs, statistics."""
from datetime import datetime
from pathlib import Path

import pytest

from console.scoring.rules import SHIPPED_MODEL
from console.guides.rules import (
    ResponseStats, apply_change, find_battlecards, find_objections, parse, period_start, side_by_side, to_yaml, validate,
)

GUIDES = Path(__file__).resolve().parents[2] / "call_guides"


@pytest.mark.parametrize("path", sorted(GUIDES.glob("*.yaml")), ids=lambda path: path.name)
def test_an_exported_guide_parses_back_to_the_same_content(path):
    content = parse(path.read_text(), path.name, model=SHIPPED_MODEL)
    exported = to_yaml(content)
    assert parse(exported, "exported.yaml", model=SHIPPED_MODEL) == content
    assert to_yaml(parse(exported, "exported.yaml", model=SHIPPED_MODEL)) == exported  # same content, same bytes


def test_text_that_looks_like_yaml_survives_the_round_trip():
    tricky = ["Yes", "No", "on", "null", "~", "123", "# not a comment", "key: value", "- not a list",
              "{{ contact.first_name }}, hi", "*emphasis* first", "'quoted'", '"double"', "[brackets]",
              "a line\nand **another**\n\n- a list", "ünïcödé — “quotes”", "tab\tinside", "@at", "%percent", "!bang"]
    content = validate({
        "name": "Tricky", "opening": "Hi", "handoff_script": "H", "voicemail_script": "V",
        "steps": [{"title": text, "question": text, "answers": [{"label": text}]} for text in tricky],
        "objections": [{"objection": text, "response": text, "tags": ["yes", "no"], "competitor": text} for text in tricky],
        "battlecards": [{"competitor": "X", "positioning": "P", "landmines": tricky, "proof_points": tricky}],
    }, model=SHIPPED_MODEL)
    assert parse(to_yaml(content), "tricky.yaml", model=SHIPPED_MODEL) == content


def test_an_export_leaves_out_empty_keys_and_keeps_ids():
    exported = to_yaml(validate({"name": "G", "opening": "Hi", "steps": [{"title": "Need", "question": "Why?"}],
                                 "objections": [{"objection": "No budget", "response": "R"}],
                                 "handoff_script": "H", "voicemail_script": "V"}, model=SHIPPED_MODEL))
    assert "persona" not in exported and "competitor" not in exported and "hint" not in exported
    assert "  - id: need\n" in exported and "  - id: no-budget\n" in exported


BASE = {"steps": [{"id": "a", "title": "A", "answers": []}, {"id": "b", "title": "B", "answers": [{"label": "x"}]}],
        "objections": [{"id": "one"}, {"id": "two"}, {"id": "three"}], "battlecards": []}


def test_adding_an_objection_appends_a_blank_one_and_says_where_it_is():
    content, focus = apply_change(BASE, "add:objections")
    assert content["objections"][-1]["objection"] == "" and focus == "objections[3]"
    assert len(BASE["objections"]) == 3  # the caller's copy is untouched


def test_a_new_step_gets_an_id_at_once_so_answers_can_branch_to_it():
    content, focus = apply_change(BASE, "add:steps")
    assert content["steps"][-1]["id"] == "step-3" and focus == "steps[2]"


def test_objections_move_up_and_down_and_stay_put_at_the_ends():
    content, focus = apply_change(BASE, "up:objections:2")
    assert [item["id"] for item in content["objections"]] == ["one", "three", "two"] and focus == "objections[1]"
    content, focus = apply_change(BASE, "up:objections:0")
    assert [item["id"] for item in content["objections"]] == ["one", "two", "three"] and focus is None


def test_removing_an_answer_option_keeps_the_others():
    content, _focus = apply_change(BASE, "add:answers:1")
    content, _focus = apply_change(content, "remove:answers:1:0")
    assert content["steps"][1]["answers"] == [{"label": "", "value": "", "next": ""}]


def test_an_unknown_change_is_refused():
    with pytest.raises(ValueError):
        apply_change(BASE, "explode:objections")


OBJECTIONS = [
    {"id": "price", "objection": "It's too expensive.", "response": "Compared with what?", "tags": ["price"], "competitor": ""},
    {"id": "budget", "objection": "We don't have budget.", "response": "Most didn't; it pays for itself.",
     "tags": ["budget", "price"], "competitor": ""},
    {"id": "acme", "objection": "We use Acme Dialer.", "response": "Great, keep the dialer; add the forecast.",
     "tags": ["competition"], "competitor": "Acme Dialer"},
]


def test_quick_find_matches_tags_and_ranks_the_objection_itself_first():
    assert [item["id"] for item in find_objections(OBJECTIONS, "price")] == ["price", "budget"]
    assert [item["id"] for item in find_objections(OBJECTIONS, "  ")] == ["price", "budget", "acme"]


def test_quick_find_needs_every_word_and_ignores_case_and_accents():
    assert [item["id"] for item in find_objections(OBJECTIONS, "ACME dïaler")] == ["acme"]
    assert find_objections(OBJECTIONS, "acme budget") == []


def test_quick_find_searches_battlecards_by_competitor_and_content():
    cards = [{"competitor": "PipeStar", "positioning": "Long implementation", "landmines": ["How long?"], "proof_points": []},
             {"competitor": "Acme Dialer", "positioning": "Dialer only", "landmines": [], "proof_points": ["11 days"]}]
    assert [card["competitor"] for card in find_battlecards(cards, "pipestar")] == ["PipeStar"]
    assert [card["competitor"] for card in find_battlecards(cards, "11 days")] == ["Acme Dialer"]


def test_a_side_by_side_diff_pairs_changed_lines_and_marks_the_changed_words():
    rows = side_by_side("a\nthe old response\nc", "a\nthe new response\nc\nd")
    assert [row.kind for row in rows] == ["equal", "changed", "equal", "added"]
    assert ("old", True) in rows[1].left and ("new", True) in rows[1].right
    assert rows[3].right_number == 4 and rows[3].left_number is None


def test_a_diff_folds_long_unchanged_runs():
    old = "\n".join(f"line {number}" for number in range(40))
    rows = side_by_side(old, old.replace("line 20", "line twenty"))
    assert [row.kind for row in rows].count("skipped") == 2
    assert len(rows) == 3 + 1 + 3 + 2  # context, change, context, two folds


def test_a_response_needs_enough_marked_calls_before_it_is_called_losing():
    assert ResponseStats(used=10, worked=1, failed=3).verdict == "too-few"
    assert ResponseStats(used=10, worked=1, failed=4).verdict == "losing"
    assert ResponseStats(used=10, worked=2, failed=3).verdict == "working"


def test_shares_count_worked_among_marked_calls_and_qualified_among_all_uses():
    stats = ResponseStats(used=10, worked=3, failed=1, qualified=2) + ResponseStats(used=2, worked=0, failed=0, qualified=1)
    assert stats.worked_share == 0.75 and stats.qualified_share == 0.25
    assert ResponseStats().worked_share is None and ResponseStats().qualified_share is None


def test_a_statistics_period_starts_the_right_number_of_days_ago():
    now = datetime(2026, 11, 30, 12, 0)
    assert period_start("7", now) == datetime(2026, 11, 23, 12, 0)
    assert period_start("all", now) is None
    assert period_start("nonsense", now) == datetime(2026, 10, 31, 12, 0)  # the default, 30 days


def test_the_changes_between_two_versions_are_described_in_the_guides_own_words():
    from console.guides.rules import describe_changes

    old = parse((GUIDES / "default-b2b.yaml").read_text(), "default-b2b.yaml", model=SHIPPED_MODEL)
    new = validate(dict(old, persona="champion",
                        steps=[old["steps"][0], old["steps"][2], old["steps"][1]] + old["steps"][3:],
                        objections=[dict(item, response="Shorter.") if item["id"] == "too-expensive" else item
                                    for item in old["objections"][1:]]
                        + [{"objection": "We're locked into a contract.", "response": "When does it renew?"}]), model=SHIPPED_MODEL)
    assert describe_changes(old, new) == [
        "Persona: “none” → “champion”",
        "Steps reordered",
        "Objection “It's too expensive.”: response changed",
        "Objection added: “We're locked into a contract.”",
        "Objection removed: “We don't have budget for this.”",
    ]
    assert describe_changes(old, old) == []


def test_the_most_specific_guide_wins_campaign_and_persona_then_persona_then_campaign():
    from console.guides.rules import GuideScope, choose_guide

    guides = [GuideScope(1), GuideScope(2, persona="gatekeeper"), GuideScope(3, "gatekeeper", "Spring push"),
              GuideScope(4, campaign_name="Autumn push")]

    def choose(campaign, role, campaign_guide_id=1):
        return choose_guide(guides, campaign_name=campaign, campaign_guide_id=campaign_guide_id, buying_role=role)

    assert choose("Spring push", "Gatekeeper") == 3
    assert choose("Autumn push", "gatekeeper") == 2
    assert choose("Autumn push", "champion") == 1  # the campaign's own choice wins the tie with a guide naming it
    assert choose("Autumn push", "champion", campaign_guide_id=None) == 4
    assert choose("Winter push", "champion", campaign_guide_id=None) is None
