"""The guide editor's sections over HTTP: one open at a time, the one the author needs (where a problem is, the item
just added, the one they had open, the one they saved from), and nothing inline for the strict CSP."""
import re

import pytest

from tests.functional.test_guide_editor import change_response, editor_form, editor_url, open_editor, sales  # noqa: F401 (fixtures)

SECTIONS = ["opening", "steps", "objections", "battlecards", "scripts"]


def sections(page: str) -> dict[str, bool]:
    """Each section of the editor and whether it is open."""
    found = re.findall(r'<details class="editor-section panel" name="guide-editor-section" id="section-(\w+)" '
                       r'data-section="\1"( open)?>', page)
    return {key: bool(is_open) for key, is_open in found}


def open_sections(page: str) -> list[str]:
    return [key for key, is_open in sections(page).items() if is_open]


def test_the_editor_has_five_sections_with_the_opening_open(sales, editor_url):
    page = sales.get(editor_url).get_data(as_text=True)
    assert list(sections(page)) == SECTIONS and open_sections(page) == ["opening"]
    assert editor_form(page)["section"] == "opening"
    assert re.search(r'<h2 id="edit-objections-heading">Objections <span class="count">10</span></h2>', page)
    assert "We don&#39;t have budget for this. · Just send me an email." in page  # a closed section says what it holds
    # Strict CSP: no inline script or style anywhere on the page.
    assert not re.search(r"\sstyle=", page) and not re.search(r"<script(?![^>]*\ssrc=)", page)
    assert not re.search(r"\son[a-z]+=", page)


def test_a_refreshed_form_keeps_the_section_the_author_had_open(sales, editor_url, default_guide):
    values = dict(open_editor(sales, editor_url), section="battlecards", change="refresh")
    fragment = sales.post(f"/guides/{default_guide.id}/edit/form", data=values, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert open_sections(fragment.get_data(as_text=True)) == ["battlecards"]
    assert 'name="section" type="hidden" value="battlecards"' in fragment.get_data(as_text=True)


def test_adding_an_item_opens_its_section(sales, editor_url, default_guide):
    values = dict(open_editor(sales, editor_url), section="opening", change="add:objections")
    fragment = sales.post(f"/guides/{default_guide.id}/edit/form", data=values,
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert open_sections(fragment) == ["objections"] and 'id="edit-objections-10" data-focus' in fragment


def test_a_refused_save_opens_the_section_with_the_problem(sales, editor_url):
    values = change_response(open_editor(sales, editor_url), "It's too expensive.", "Ask {{ contact.shoe_size }}")
    response = sales.post(editor_url, data=dict(values, section="scripts"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert open_sections(page) == ["objections"] and '<a href="#objections-3-response">' in page


def test_after_a_save_the_editor_reopens_the_section_saved_from_once(sales, editor_url):
    values = change_response(open_editor(sales, editor_url), "It's too expensive.", "Cheaper than guessing.")
    response = sales.post(editor_url, data=dict(values, section="objections"))
    assert response.status_code == 303 and response.headers["Location"] == editor_url
    assert open_sections(sales.get(editor_url).get_data(as_text=True)) == ["objections"]
    assert open_sections(sales.get(editor_url).get_data(as_text=True)) == ["opening"]  # once, not for ever


def test_another_guide_does_not_reopen_the_section_saved_from(sales, editor_url, default_guide, auth):
    response = auth.post("/guides/new", {"name": "Champions", "slug": "champions", "copy_from": str(default_guide.id)})
    other_url = response.headers["Location"]
    values = change_response(open_editor(sales, editor_url), "It's too expensive.", "Cheaper than guessing.")
    sales.post(editor_url, data=dict(values, section="steps"))
    assert open_sections(sales.get(other_url).get_data(as_text=True)) == ["opening"]


@pytest.mark.parametrize("section", ["", "nonsense", "guide", "x" * 10_000, "step\x00s\x00x"])
def test_an_unknown_section_opens_the_first(sales, editor_url, default_guide, section):
    values = dict(open_editor(sales, editor_url), section=section, change="refresh")
    fragment = sales.post(f"/guides/{default_guide.id}/edit/form", data=values, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and open_sections(fragment.get_data(as_text=True)) == ["opening"]


def test_a_section_name_with_nul_bytes_is_read_without_them(sales, editor_url, default_guide):
    """Every form drops NULs from what was submitted (console.forms.ConsoleForm): "steps\\x00" is "steps"."""
    values = dict(open_editor(sales, editor_url), section="st\x00eps\x00", change="refresh")
    fragment = sales.post(f"/guides/{default_guide.id}/edit/form", data=values, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and open_sections(fragment.get_data(as_text=True)) == ["steps"]
