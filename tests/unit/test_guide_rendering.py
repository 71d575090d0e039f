"""A guide's authored text is Markdown-rendered and sanitised once (prepare_*), each lead's merge fields filled in
afterwards (fill_*): the same HTML as rendering it for the lead, never a way in for script."""
from pathlib import Path

import pytest

from console.guides import rules
from console.guides.rules import Prepared, fill_authored, fill_guide, prepare_authored, prepare_guide, render_authored
from console.scoring.rules import SHIPPED_MODEL

GUIDES = sorted((Path(__file__).resolve().parents[2] / "call_guides").glob("*.yaml"))
VALUES = {"contact.first_name": "Jordan", "contact.last_name": "O'Neil", "contact.title": "VP Sales",
          "account.name": "Globex & Sons", "agent.first_name": "Alex", "agent.full_name": "Alex Agent",
          "campaign.name": "Spring webinar", "campaign.source": "webinar", "campaign.message": "A free assessment."}


@pytest.mark.parametrize("path", GUIDES, ids=lambda path: path.stem)
def test_a_prepared_guide_filled_in_is_the_guide_rendered_for_the_lead(path):
    content = rules.parse(path.read_text(encoding="utf-8"), path.name, model=SHIPPED_MODEL)
    for _where, text in rules._authored_texts(content):
        # Markdown first, then the values (escaped): the same page as values first, then Markdown.
        assert render_authored(text, VALUES) == rules._render_now(text, VALUES)
    assert "Hi Jordan, this is Alex" in fill_guide(prepare_guide(content, model=SHIPPED_MODEL), VALUES)["opening"]


def test_text_without_merge_fields_is_prepared_as_its_html():
    assert prepare_authored("Compare **total cost**.") == "<p>Compare <strong>total cost</strong>.</p>"


def test_filling_leaves_the_prepared_guide_as_it_was_for_the_next_lead():
    content = rules.parse(GUIDES[0].read_text(encoding="utf-8"), GUIDES[0].name, model=SHIPPED_MODEL)
    prepared = prepare_guide(content, model=SHIPPED_MODEL)
    first = fill_guide(prepared, dict(VALUES, **{"account.name": "Initech"}))
    second = fill_guide(prepared, VALUES)
    assert "Initech" in "".join(objection["response_html"] for objection in first["objections"])
    assert "Initech" not in "".join(objection["response_html"] for objection in second["objections"])
    assert all(isinstance(objection["response_html"], str) for objection in second["objections"])
    assert any(isinstance(objection["response_html"], Prepared) for objection in prepared["objections"])


def test_lead_data_is_text_even_when_it_looks_like_markdown_or_html():
    html = render_authored("Hi **{{ contact.first_name }}** at {{ account.name }}",
                           {"contact.first_name": "*Jo*", "account.name": '<img src=x onerror="alert(1)">'})
    assert html == '<p>Hi <strong>*Jo*</strong> at &lt;img src=x onerror="alert(1)"&gt;</p>'


@pytest.mark.parametrize(("text", "value"), [
    ("[our offer]({{ campaign.message }})", "javascript:alert(1)"),
    ("[our offer]({{ campaign.message }})", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
    ('[site](https://example.com/{{ contact.first_name }} "{{ contact.first_name }}")', '" onclick="alert(1)'),
    ('<a href="{{ contact.first_name }}">x</a>', "javascript:alert(1)"),
    ('<p title="{{ contact.first_name }}">x</p>', '"><script>alert(1)</script>'),
])
def test_a_merge_field_inside_a_link_or_an_attribute_cannot_run_script(text, value):
    prepared = prepare_authored(text)
    assert isinstance(prepared, Prepared) and prepared.in_attributes
    html = fill_authored(prepared, {"contact.first_name": value, "campaign.message": value})
    elements = _elements(html)
    assert {tag for tag, _attributes in elements} <= rules.ALLOWED_TAGS
    for _tag, attributes in elements:
        assert set(attributes) <= {"href", "title", "lang", "rel"}
        assert not attributes.get("href", "").lower().startswith(("javascript:", "data:"))


def _elements(html: str) -> list[tuple[str, dict[str, str]]]:
    """Every element of the HTML as a browser parses it: its tag and its attributes."""
    from html.parser import HTMLParser

    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, {name: value or "" for name, value in attrs}))

    Parser().feed(html)
    return found


def test_a_field_without_a_value_stays_as_written_and_text_holding_the_marker_still_renders():
    assert render_authored("Hi {{contact.first_name}}, {{ agent.first_name }} here", {"agent.first_name": "Alex"}) \
        == "<p>Hi {{contact.first_name}}, Alex here</p>"
    marker = "zqmergefieldq0q"
    assert render_authored(f"{marker} and {{{{ contact.first_name }}}}", {"contact.first_name": "Jordan"}) \
        == f"<p>{marker} and Jordan</p>"
    assert rules.render_inline(f"**{marker}** {{{{ contact.first_name }}}}", {"contact.first_name": "Jordan"}) \
        == f"<strong>{marker}</strong> Jordan"
    assert rules.render_inline("Beats **{{ account.name }}**", {"account.name": "Acme"}) == "Beats <strong>Acme</strong>"
