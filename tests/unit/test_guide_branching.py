"""Branches between discovery steps: where an answer leads, the default path, and steps nothing leads to."""
import pytest

from console.scoring.rules import SHIPPED_MODEL
from console.guides.rules import GuideError, next_step, parse, render_guide, unreachable_steps

GUIDE = """
name: Branching guide
opening: Hello.
steps:
  - id: right-person
    title: Right person?
    question: Are you the one who decides?
    answers:
      - label: "Yes"
        next: need
      - label: "No"
        next: referral
      - label: Busy
        next: end
  - id: referral
    title: Referral
    field: referred_to
    question: Who should I call?
    answers:
      - label: Gave a name
        next: end
  - id: need
    title: Need
    field: need
    question: What hurts?
    answers:
      - label: Urgent
        value: urgent
      - label: No need
        value: none
        next: end
  - id: budget
    title: Budget
    field: budget
    question: Is there budget?
handoff_script: Let me introduce you.
voicemail_script: Sorry I missed you.
"""


@pytest.fixture
def guide():
    return parse(GUIDE, "branching.yaml", model=SHIPPED_MODEL)


def test_an_answer_with_a_branch_goes_where_it_says(guide):
    assert next_step(guide, "right-person", 0) == "need"
    assert next_step(guide, "right-person", 1) == "referral"


def test_an_answer_without_a_branch_goes_to_the_following_step(guide):
    assert next_step(guide, "need", 0) == "budget"


def test_a_branch_can_end_the_conversation(guide):
    assert next_step(guide, "right-person", 2) == "end"
    assert next_step(guide, "need", 1) == "end"


def test_the_last_step_leads_to_the_hand_off(guide):
    assert next_step(guide, "budget") == "handoff"


def test_without_an_answer_a_step_leads_to_the_following_one(guide):
    assert next_step(guide, "right-person") == "referral"


def test_an_unknown_step_is_an_error(guide):
    with pytest.raises(KeyError):
        next_step(guide, "nowhere")


def test_every_step_of_a_well_branched_guide_is_reachable(guide):
    assert unreachable_steps(guide) == []


def test_a_step_no_answer_leads_to_is_reported(guide):
    guide["steps"][0]["answers"][1]["next"] = "end"
    assert unreachable_steps(guide) == ["referral"]


def test_branches_are_resolved_for_the_agent_with_the_target_step_title(guide):
    steps = render_guide(guide, {}, model=SHIPPED_MODEL)["steps"]
    assert [(answer["label"], answer["next"], answer["next_label"]) for answer in steps[0]["answers"]] == [
        ("Yes", "need", "Need"), ("No", "referral", "Referral"), ("Busy", "end", "Wrap up the call")]
    assert steps[2]["answers"][0]["next"] == "budget"
    assert steps[2]["answers"][0]["records"] == "Urgent, stated need"


def test_a_step_id_reserved_for_branch_ends_is_refused():
    with pytest.raises(GuideError, match=r"line 5: steps\[0\]\.id: 'handoff' is reserved"):
        parse(GUIDE.replace("id: right-person", "id: handoff"), "branching.yaml", model=SHIPPED_MODEL)


def test_an_answer_cannot_record_a_value_on_a_step_that_records_nothing():
    with pytest.raises(GuideError, match=r"steps\[0\]\.answers\[0\]\.value: this step records no qualification field"):
        parse(GUIDE.replace('      - label: "Yes"\n', '      - label: "Yes"\n        value: confirmed\n'), "b.yaml", model=SHIPPED_MODEL)
