"""Guide files: parsing, validation errors that say where, and rendering that can never run script."""
from pathlib import Path

import pytest

from console.guides.rules import GuideError, parse, render_authored, render_guide

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


@pytest.mark.parametrize("path", sorted(GUIDES.glob("*.yaml")), ids=lambda path: path.name)
def test_every_shipped_guide_is_valid(path):
    guide = parse(path.read_text(), path.name)
    fields = {step["field"] for step in guide["steps"]}
    assert {"budget", "authority", "need", "timeline"} <= fields
    assert guide["objections"] and guide["battlecards"]


def test_a_minimal_guide_parses_into_canonical_form():
    guide = parse(MINIMAL, "test.yaml")
    assert guide["steps"][0] == {"id": "step-1", "title": "Budget", "field": "budget",
                                 "question": "Is there budget?", "hint": ""}
    assert guide["objections"][0]["id"] == "objection-1"


def test_a_missing_required_key_is_named_with_the_file():
    with pytest.raises(GuideError, match=r"^broken.yaml: voicemail_script: required text is missing$"):
        parse(MINIMAL.replace("voicemail_script: Sorry I missed you.", ""), "broken.yaml")


def test_a_step_without_a_question_names_the_step():
    text = MINIMAL.replace("    question: Is there budget?\n", "")
    with pytest.raises(GuideError, match=r"steps\[0\]\.question: required text is missing"):
        parse(text, "g.yaml")


def test_invalid_yaml_names_the_line():
    with pytest.raises(GuideError, match=r"g.yaml: line \d+ is not valid YAML"):
        parse("name: [unclosed\nopening: x", "g.yaml")


def test_an_unknown_merge_field_is_refused():
    with pytest.raises(GuideError, match=r"unknown merge field \{\{ contact.shoe_size \}\}"):
        parse(MINIMAL.replace("{{ agent.first_name }}", "{{ contact.shoe_size }}"), "g.yaml")


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
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_authored_text_cannot_inject_script(payload):
    html = render_authored(payload).lower()
    for dangerous in ("<script", "onerror", "onload", "ontoggle", "javascript:", "<iframe", "<svg", "style="):
        assert dangerous not in html


def test_lead_data_in_merge_fields_is_escaped_not_executed():
    html = render_authored("Hi {{ contact.first_name }}", {"contact.first_name": "<img src=x onerror=alert(1)>"})
    assert "<img" not in html
    assert "&lt;img" in html


def test_a_rendered_guide_keeps_every_section():
    rendered = render_guide(parse(MINIMAL, "g.yaml"), {"contact.first_name": "Jordan", "agent.first_name": "Alex"})
    assert rendered["opening"] == "<p>Hi Jordan, this is Alex.</p>"
    assert rendered["objections"][0]["response_html"].startswith("<p><strong>Compare</strong>")
