"""Call guides in a real browser: a sales member rewrites an objection response and publishes it; the agent,
already on a call, keeps the version that call started with, and finds the new text with the quick-find
on the next call. Along the way: the live preview, history and diff, branches on the call screen, and
marking whether the response worked.

Screenshots of the editor, history, diff and the call-screen guide land in test-artifacts/screenshots/.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import VIEWPORT
from tests.browser.test_thin_path import screenshot, sign_in

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)

OLD_WORDS = "4–6 hours per manager per week"
NEW_RESPONSE = ("What does it cost you to keep doing this by hand? Teams like {{ account.name }} "
                "spend **a day a week** on forecasts. Worth 20 minutes to compare?")
NEW_WORDS = "spend a day a week on forecasts"
CHANGE_NOTE = "Lead with the cost of doing nothing"


def open_section(page: Page, title: str):
    """Open one of the editor's sections (they open one at a time) by its heading, as an author clicks it."""
    summary = page.locator("#guide-form details.editor-section > summary").filter(has_text=title)
    if summary.locator("xpath=..").get_attribute("open") is None:
        summary.click()
    section = page.locator("#guide-form details.editor-section[open]")
    expect(section).to_have_count(1)
    expect(section.locator("> summary")).to_contain_text(title)
    return section


def quick_find(page: Page, words: str):
    """`/`, type, Enter: the way an agent finds a response mid-sentence. Returns the opened objection."""
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    search = page.locator("#objection-search")
    expect(search).to_be_focused()
    search.press("Control+a")
    page.keyboard.type(words)
    page.keyboard.press("Enter")
    opened = page.locator("#objection-results details.objection[open]").first
    expect(opened.locator("summary")).to_be_focused()
    return opened


def test_a_sales_member_edits_a_response_and_agents_find_it_on_their_next_call(
        browser, page: Page, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics", phone="+12125550101")
    make_lead(campaign, first_name="Morgan", last_name="Lee", company="Initech", phone="+12125550102")

    # 1. The agent is on a call; the guide follows the conversation and the quick-find shows today's answer.
    agent = page
    sign_in(agent, live_server, "teleprospector@example.com")
    agent.keyboard.press("n")
    expect(agent).to_have_url(re.compile(r"/calls/\d+$"))
    first_call = agent.url
    guide = agent.locator(".guide")
    expect(guide.locator("#guide-heading")).to_contain_text("v1")
    current = guide.locator(".guide-step.is-current")
    expect(current).to_contain_text("Right person?")
    current.get_by_role("button", name=re.compile("^Yes, that's me")).click()
    expect(current).to_contain_text("Need: pain today")
    guide.locator(".guide-step.is-current").get_by_role("button", name=re.compile("^Clear, urgent pain")).click()
    expect(guide.locator(".guide-step.is-current")).to_contain_text("Authority: who decides")
    expect(agent.locator("#question-need input:checked")).to_have_value("urgent")  # the branch answer filled in the qualification
    expect(quick_find(agent, "expensive")).to_contain_text(OLD_WORDS)

    # 2. Sales rewrites the response; the live preview shows what agents will see; save, then publish.
    context = browser.new_context(viewport=VIEWPORT)
    sales = context.new_page()
    try:
        sign_in(sales, live_server, "sales@example.com")
        sales.get_by_role("navigation", name="Main").get_by_role("link", name="Call guides").click()
        sales.get_by_role("link", name="Northwind Revenue Cloud: B2B qualification").click()
        expect(sales.get_by_role("heading", name="Live preview")).to_be_visible()
        open_section(sales, "Objections")
        card = sales.locator("fieldset.objection-card").filter(has=sales.locator("legend", has_text="It's too expensive."))
        card.get_by_label("Response").fill(NEW_RESPONSE)
        preview = sales.locator("#guide-preview")
        expect(preview).to_contain_text("Teams like Example Corp spend a day a week on forecasts")
        sales.get_by_label("Change note").fill(CHANGE_NOTE)
        card.scroll_into_view_if_needed()
        screenshot(sales, "guide-01-editor", full_page=False)
        sales.get_by_role("button", name="Save draft").click()
        expect(sales.locator(".flash-success")).to_contain_text("Draft version 2 saved. Agents still see version 1")
        sales.get_by_role("button", name="Publish v2").click()
        expect(sales.locator(".flash-success")).to_contain_text("Version 2 published")
        expect(sales.locator(".badge-published")).to_have_text("Published v2")

        # History says who changed what, when and why; the diff shows the old and new words side by side.
        sales.get_by_role("link", name="History").click()
        row = sales.locator("#version-2")
        expect(row).to_contain_text(CHANGE_NOTE)
        expect(row).to_contain_text("Sales Person")
        expect(row).to_contain_text("Published")
        screenshot(sales, "guide-02-history", full_page=False)
        sales.get_by_role("button", name="Compare side by side").click()
        expect(sales.locator(".diff-table ins").first).to_contain_text("What does it cost you")
        expect(sales.locator(".diff-table del").first).to_be_visible()
        sales.locator(".diff-changed").first.scroll_into_view_if_needed()
        sales.evaluate("window.scrollBy(0, -200)")
        screenshot(sales, "guide-03-diff", full_page=False)
    finally:
        context.close()

    # 3. The call in progress keeps the version it started with: every call records the text the agent saw.
    agent.reload()
    agent.wait_for_load_state("load")
    expect(agent.locator("#guide-heading")).to_contain_text("v1")
    expect(quick_find(agent, "expensive")).to_contain_text(OLD_WORDS)

    # 4. On the next call the agent finds the new response with the quick-find, and marks that it worked.
    agent.get_by_role("radio", name="Busy").check()
    agent.keyboard.press("Control+Enter")
    expect(agent).not_to_have_url(first_call)
    if agent.url.endswith("/queue"):  # auto-advance paused: the agent asks for the next lead
        agent.keyboard.press("n")
    expect(agent).to_have_url(re.compile(r"/calls/\d+$"))
    expect(agent.locator("#lead-heading")).to_have_text("Morgan Lee")
    expect(agent.locator("#guide-heading")).to_contain_text("v2")
    opened = quick_find(agent, "expensive")
    expect(opened).to_contain_text("Teams like Initech " + NEW_WORDS)
    expect(opened).not_to_contain_text(OLD_WORDS)
    opened.get_by_role("button", name="Response worked").click()
    expect(opened.locator(".mark-state")).to_have_text("Worked")
    expect(opened.get_by_role("button", name="Response worked")).to_have_attribute("aria-pressed", "true")
    screenshot(agent, "guide-04-call-screen-quick-find", full_page=False)


def test_a_sales_member_adds_an_objection_and_a_branch_and_the_preview_follows(page: Page, live_server, users,
                                                                               default_guide):
    sign_in(page, live_server, "sales@example.com")
    page.goto(f"{live_server}/guides/{default_guide.id}/edit")
    expect(page.get_by_role("heading", name="Live preview")).to_be_visible()

    open_section(page, "Objections")
    page.get_by_role("button", name="+ Add objection").click()
    card = page.locator("fieldset.objection-card").last
    expect(card.get_by_label("The prospect says")).to_be_focused()
    page.keyboard.type("We're locked into a three-year contract.")
    card.get_by_label("Response").fill("Good to know. When does it renew? Let's make sure you have options by then.")
    preview = page.locator("#guide-preview")
    expect(preview).to_contain_text("We're locked into a three-year contract.")

    # A new answer option on the first step that branches to the hand-off.
    open_section(page, "Discovery steps")
    first_step = page.locator("#edit-steps-0")
    first_step.get_by_role("button", name="+ Add answer option").click()
    new_answer = first_step.locator("tbody tr").last
    new_answer.get_by_label(re.compile("^Answer 4")).fill("They want a demo now")
    new_answer.get_by_label("Goes to").select_option("handoff")
    expect(preview.locator("#guide-step-right-person")).to_contain_text("They want a demo now")
    preview.get_by_role("button", name=re.compile("^They want a demo now")).click()
    expect(preview.locator("#guide-handoff")).to_have_attribute("open", "")

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash-success")).to_contain_text("Draft version 2 saved")
    expect(page.locator("fieldset.objection-card").last.get_by_label("The prospect says")).to_have_value(
        "We're locked into a three-year contract.")
    screenshot(page, "guide-05-editor-after-adding", full_page=False)
