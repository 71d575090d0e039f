"""Guide files: parsing, validation errors that say which file, line and key, and rendering that can never run script."""
from pathlib import Path

import pytest

from console.scoring.rules import SHIPPED_MODEL
from console.guides.rules import BUYING_ROLES, GuideError, canonical, parse, render_authored, render_guide, validate

GUIDES = Path(__file__).resolve().parents[2] / "call_guides"

MINIMAL = """
name: Test guide
opening: Hi {{ contact.first_name }}, this is {{ agent.first_name }}.
steps:
  - title: Budget
    field: budget
    question: Is there budget?
objections:
  - objection: Too expensive
    response: "**Compare** it to the cost of a lost deal."
handoff_script: I'll introduce you to a colleague.
voicemail_script: Sorry I missed you.
"""


def problems_of(text: str, source: str = "g.yaml") -> list[str]:
    with pytest.raises(GuideError) as raised:
        parse(text, source, model=SHIPPED_MODEL)
    return str(raised.value).splitlines()


@pytest.mark.parametrize("path", sorted(GUIDES.glob("*.yaml")), ids=lambda path: path.name)
def test_every_shipped_guide_is_valid_and_its_branches_lead_somewhere(path):
    guide = parse(path.read_text(), path.name, model=SHIPPED_MODEL)
    assert guide["steps"] and guide["objections"]
    ids = {step["id"] for step in guide["steps"]}
    for step in guide["steps"]:
        for answer in step["answers"]:
            assert answer["next"] in ids | {"", "handoff", "end"}


@pytest.mark.parametrize("path", [path for path in sorted(GUIDES.glob("*.yaml"))
                                  if not parse(path.read_text(), path.name, model=SHIPPED_MODEL)["persona"]], ids=lambda path: path.name)
def test_every_shipped_campaign_guide_covers_the_qualification_fields_and_competitors(path):
    guide = parse(path.read_text(), path.name, model=SHIPPED_MODEL)
    fields = {step["field"] for step in guide["steps"]}
    assert {"budget", "authority", "need", "timeline"} <= fields
    assert guide["battlecards"]
    assert any(answer["next"] for step in guide["steps"] for answer in step["answers"]), "no branches"


def test_the_shipped_persona_variant_is_for_a_buying_role():
    personas = {parse(path.read_text(), path.name, model=SHIPPED_MODEL)["persona"] for path in GUIDES.glob("*.yaml")}
    assert personas - {""} and personas - {""} <= set(BUYING_ROLES)


def test_a_minimal_guide_parses_into_canonical_form():
    guide = parse(MINIMAL, "test.yaml", model=SHIPPED_MODEL)
    assert guide["steps"][0] == {"id": "budget", "title": "Budget", "field": "budget",
                                 "question": "Is there budget?", "hint": "", "answers": []}
    assert guide["objections"][0] == {"id": "too-expensive", "objection": "Too expensive",
                                      "response": "**Compare** it to the cost of a lost deal.", "tags": [],
                                      "competitor": ""}
    assert guide["persona"] == "" and guide["campaign"] == "" and guide["battlecards"] == []


def test_answer_labels_yes_and_no_stay_text():
    guide = parse(MINIMAL.replace("    question: Is there budget?\n", """    question: Is there budget?
    answers:
      - label: Yes
        value: confirmed
      - label: No
        value: none
"""), "g.yaml", model=SHIPPED_MODEL)
    assert [answer["label"] for answer in guide["steps"][0]["answers"]] == ["Yes", "No"]


def test_text_from_a_browser_and_from_a_file_is_stored_the_same_way():
    from_file = validate({"name": "G", "opening": "Line one\nLine two", "steps": [{"title": "T", "question": "Q"}],
                          "handoff_script": "H", "voicemail_script": "V"}, model=SHIPPED_MODEL)
    from_browser = validate({"name": "G ", "opening": "Line one  \r\nLine two\r\n", "steps": [{"title": "T", "question": "Q"}],
                             "handoff_script": "H", "voicemail_script": "V"}, model=SHIPPED_MODEL)
    assert from_file == from_browser


def test_a_missing_required_key_is_named_with_the_file():
    assert problems_of(MINIMAL.replace("voicemail_script: Sorry I missed you.", ""), "broken.yaml") == [
        "broken.yaml: voicemail_script: required text is missing"]


def test_a_step_without_a_question_names_the_file_the_line_and_the_step():
    text = MINIMAL.replace("    question: Is there budget?\n", "")
    assert problems_of(text) == ["g.yaml: line 5: steps[0].question: required text is missing"]


def test_invalid_yaml_names_the_line():
    [problem] = problems_of("name: [unclosed\nopening: x")
    assert problem.startswith("g.yaml: line 2: not valid YAML")


def test_every_problem_in_a_file_is_reported_at_once_in_line_order():
    text = MINIMAL.replace("field: budget", "field: Budget Owner").replace("{{ agent.first_name }}", "{{ agent.nickname }}")
    problems = problems_of(text)
    assert problems == [
        "g.yaml: line 3: opening: unknown merge field {{ agent.nickname }}; known fields: contact.first_name, "
        "contact.last_name, contact.title, account.name, agent.first_name, agent.full_name, campaign.name, "
        "campaign.source, campaign.message",
        "g.yaml: line 6: steps[0].field: 'budget owner' is not a qualification field (budget, authority, need, timeline, "
        "source) or a valid custom criterion key (lower-case letters, digits and _, 2 to 40 characters, starting with a "
        "letter)",
    ]


def test_a_key_written_twice_is_refused_with_its_line():
    assert "g.yaml: line 3: name: this key appears twice; keep one" in problems_of(MINIMAL.replace(
        "opening:", "name: Again\nopening:"))


def test_an_unknown_merge_field_is_refused_wherever_it_is_written():
    text = MINIMAL.replace("I'll introduce you", "Thanks {{ Contact.First_Name }}, I'll introduce you")
    assert problems_of(text)[0].startswith("g.yaml: line 11: handoff_script: unknown merge field {{ Contact.First_Name }}")


def test_a_branch_to_a_step_that_does_not_exist_is_refused():
    text = MINIMAL.replace("    question: Is there budget?\n", """    question: Is there budget?
    answers:
      - label: Confirmed
        value: confirmed
        next: timing
""")
    assert problems_of(text) == ["g.yaml: line 11: steps[0].answers[0].next: 'timing' is not a step id; use one of: "
                                 "budget, or handoff / end"]


def test_an_answer_must_be_one_the_qualification_field_knows():
    text = MINIMAL.replace("    question: Is there budget?\n", """    question: Is there budget?
    answers:
      - label: Loads
        value: loads
""")
    assert problems_of(text) == ["g.yaml: line 10: steps[0].answers[0].value: 'loads' is not an answer to Budget; "
                                 "use one of: confirmed, planned, unknown, none"]


def test_a_persona_must_be_a_buying_role():
    assert problems_of(MINIMAL + "persona: IT director\n") == [
        "g.yaml: line 13: persona: 'it director' is not a buying role; use one of: decision maker, champion, "
        "influencer, user, gatekeeper, or leave it empty"]


def test_two_steps_with_the_same_id_are_refused():
    text = MINIMAL.replace("steps:\n", "steps:\n  - id: budget\n    title: Again\n    question: Again?\n")
    assert problems_of(text.replace("  - title: Budget", "  - id: budget\n    title: Budget")) == [
        "g.yaml: line 8: steps[1].id: 'budget' is used by another step; ids must be unique"]


def test_steps_and_objections_without_ids_get_unique_ones_from_their_text():
    text = MINIMAL.replace("steps:\n", "steps:\n  - title: Budget\n    question: Again?\n")
    assert [step["id"] for step in parse(text, "g.yaml", model=SHIPPED_MODEL)["steps"]] == ["budget", "budget-2"]


def test_the_editor_gets_the_content_and_the_problems_together():
    content, problems = canonical({"name": "", "steps": [{"title": "Need"}]}, model=SHIPPED_MODEL)
    assert content["steps"][0]["title"] == "Need"
    assert {problem.path for problem in problems} == {"name", "opening", "steps[0].question", "handoff_script",
                                                       "voicemail_script"}


def test_merge_fields_are_filled_and_formatting_kept():
    html = render_authored("Hi **{{ contact.first_name }}**", {"contact.first_name": "Jordan"})
    assert html == "<p>Hi <strong>Jordan</strong></p>"


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<details open ontoggle=alert(1)>",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]
DANGEROUS = ("<script", "onerror", "onload", "ontoggle", "javascript:", "<iframe", "<svg", "style=", "<form",
             "<img", "data:text")


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_authored_text_cannot_inject_script(payload):
    html = render_authored(payload).lower()
    for dangerous in DANGEROUS:
        assert dangerous not in html


def test_lead_data_in_merge_fields_is_escaped_not_executed():
    html = render_authored("Hi {{ contact.first_name }}", {"contact.first_name": "<img src=x onerror=alert(1)>"})
    assert "<img" not in html
    assert "&lt;img" in html


def test_a_rendered_guide_keeps_every_section_and_resolves_branches():
    rendered = render_guide(parse(MINIMAL, "g.yaml", model=SHIPPED_MODEL), {"contact.first_name": "Jordan", "agent.first_name": "Alex"}, model=SHIPPED_MODEL)
    assert rendered["opening"] == "<p>Hi Jordan, this is Alex.</p>"
    assert rendered["objections"][0]["response_html"].startswith("<p><strong>Compare</strong>")
    assert rendered["steps"][0]["next"] == "handoff" and rendered["steps"][0]["next_label"] == "Hand-off script"
    assert rendered["steps"][0]["field_label"] == "Budget"


def test_the_editor_names_a_problem_the_way_the_form_shows_it():
    from console.guides.rules import locate_for_people

    guide = parse(MINIMAL, "g.yaml", model=SHIPPED_MODEL)
    assert locate_for_people("objections[0].response", guide) == "Objection 1 “Too expensive”: response"
    assert locate_for_people("steps[0].answers[1].next", guide) == "Step 1 “Budget”, answer 2: where it goes"
    assert locate_for_people("voicemail_script", guide) == "Voicemail script"
