"""The guide editor at 1366x768: its parts are sections opened one at a time, so the page is a screen or two tall
instead of one 10,000 px form; the save bar stays in view; the live preview sits beside the section being edited.

Screenshots land in test-artifacts/screenshots/guide-editor-*.png.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import VIEWPORT
from tests.browser.test_guide_editing import open_section
from tests.browser.test_thin_path import screenshot, sign_in

pytestmark = pytest.mark.browser

SECTIONS = ["Opening", "Discovery steps", "Objections", "Battlecards", "Closing scripts"]


def page_height(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def in_viewport(box: dict) -> bool:
    return box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"]


def test_the_editor_opens_one_section_at_a_time_with_the_save_bar_and_preview_in_view(page: Page, live_server, users,
                                                                                      default_guide):
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, live_server, "sales@example.com")
    page.goto(f"{live_server}/guides/{default_guide.id}/edit")
    page.wait_for_load_state("load")
    expect(page.locator("#guide-preview .agent-guide")).to_be_visible()
    sections = page.locator("#guide-form details.editor-section")
    expect(sections).to_have_count(len(SECTIONS))
    open_now = page.locator("#guide-form details.editor-section[open]")
    expect(open_now).to_have_count(1)
    expect(open_now.locator("> summary")).to_contain_text("Opening")
    one_open = page_height(page)
    screenshot(page, "guide-editor-1-opening", full_page=False)

    # Each section opens alone (opening one closes the other); the tallest of them is still far below the whole.
    heights = {}
    for title in SECTIONS:
        open_section(page, title)
        heights[title] = page_height(page)

    # The same content as one form (every section open at once) is what the editor used to be.
    everything = page.evaluate("""() => {
        document.querySelectorAll('#guide-form details.editor-section').forEach(section => {
            section.removeAttribute('name'); section.open = true; });
        return document.documentElement.scrollHeight; }""")
    assert everything > 8000, everything  # the demo guide is long: the measure is of real content
    assert one_open <= 0.15 * everything, (one_open, everything)
    assert one_open <= 2 * VIEWPORT["height"], one_open
    assert max(heights.values()) <= 0.6 * everything, (heights, everything)
    page.reload()
    page.wait_for_load_state("load")

    # The save bar is in view at the bottom of a long open section, and half-way down it.
    steps = open_section(page, "Discovery steps")
    save = page.get_by_role("button", name="Save draft")
    steps.locator("fieldset.step-card").nth(3).scroll_into_view_if_needed()
    expect(save).to_be_in_viewport()
    steps.evaluate("section => section.scrollIntoView({block: 'end'})")
    expect(steps.get_by_role("button", name="+ Add step")).to_be_in_viewport()
    expect(save).to_be_in_viewport()
    assert in_viewport(page.locator(".save-bar").bounding_box())
    screenshot(page, "guide-editor-2-steps-bottom", full_page=False)

    # Editing an objection: the preview beside it shows the same objection with the new words.
    objections = open_section(page, "Objections")
    card = objections.locator("fieldset.objection-card").filter(
        has=page.locator("legend", has_text="It's too expensive."))
    card.scroll_into_view_if_needed()
    card.get_by_label("Response").fill("Compared with **a day a week** of forecasting by hand?")
    preview = page.locator("#guide-preview")
    shown = preview.locator("details.objection.is-previewed")
    expect(shown).to_contain_text("It's too expensive.")
    expect(shown).to_contain_text("Compared with a day a week of forecasting by hand?")
    expect(shown).to_be_in_viewport()
    expect(card.get_by_label("Response")).to_be_in_viewport()
    card_box, preview_box = card.bounding_box(), page.locator(".editor-preview").bounding_box()
    assert preview_box["x"] >= card_box["x"] + card_box["width"], (card_box, preview_box)  # beside, to the right
    assert preview_box["y"] < card_box["y"] + card_box["height"] and card_box["y"] < preview_box["y"] + preview_box["height"]
    expect(save).to_be_in_viewport()
    screenshot(page, "guide-editor-3-objection-and-preview", full_page=False)
    assert problems == []


def test_a_link_to_a_field_in_a_closed_section_opens_it(page: Page, live_server, users, default_guide):
    sign_in(page, live_server, "sales@example.com")
    # "Edit the response" on the objection performance page links into the editor.
    page.goto(f"{live_server}/guides/{default_guide.id}/performance")
    page.locator("a.edit-response").nth(3).click()
    card = page.locator("#edit-objections-3")
    expect(page.locator("#section-objections")).to_have_attribute("open", "")
    expect(card).to_be_in_viewport()
    expect(card.locator("legend")).to_have_text("It's too expensive.")

    # A problem in the live preview links to its field, in a section that is closed.
    open_section(page, "Opening")
    page.get_by_label("What the agent says first").fill("Hi {{ contact.shoe_size }}")
    problem = page.locator("#guide-preview .preview-problems a", has_text="Opening")
    expect(problem).to_be_visible()
    open_section(page, "Closing scripts")
    expect(page.get_by_label("What the agent says first")).to_be_hidden()
    problem.click()
    expect(page.locator("#section-opening")).to_have_attribute("open", "")
    expect(page.get_by_label("What the agent says first")).to_be_in_viewport()
