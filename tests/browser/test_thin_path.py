"""The thin path through the console, in a real browser: an agent qualifies a lead on the call screen,
sales accepts the hand-off, marketing sees it in the campaign report.

Every step goes through the UI the way a user would (labels, buttons, keyboard shortcuts), and waits
with Playwright's auto-waiting `expect` assertions, never with sleeps. A full-page screenshot of each
major screen lands in test-artifacts/screenshots/ for a human to look at.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.builders import TEST_PASSWORD

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

ANSWERS = {
    # label on the call screen: (option value, reason shown in the score panel and the hand-off packet)
    "Budget": ("confirmed", "Budget confirmed +25"),
    "Authority": ("decision_maker", "Speaking to the decision maker +25"),
    "Need": ("urgent", "Urgent, stated need +30"),
    "Timeline": ("under_3_months", "Buying within 3 months +20"),
}
NOTES = "Jordan runs sales ops; forecasting lives in spreadsheets today. Wants a demo with the CRO next week."


def choose_answer(page: Page, question: str, option: str) -> None:
    """Answer a qualification question as a person does: click the option (a radio) in the question's group."""
    group = page.get_by_role("group", name=re.compile(rf"^{re.escape(question)}\b"))
    group.get_by_role("radio", name=option, exact=True).check()


def answer_value(page: Page, criterion: str):
    """The chosen option of a question on the call screen (a locator for to_have_value)."""
    return page.locator(f"#question-{criterion} input:checked")


def screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot of the current screen to test-artifacts/screenshots/<name>.png (full page by default;
    full_page=False keeps what a user sees in the 1366x768 viewport, scrolled panels included)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Page, base_url: str, email: str, password: str = TEST_PASSWORD) -> None:
    page.goto(base_url + "/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    # The keyboard shortcuts and htmx are deferred scripts: wait until they have run.
    page.wait_for_load_state("load")


def sign_out(page: Page) -> None:
    page.locator("details.user-menu > summary").click()  # Sign out is in the user's menu, at the top bar's right
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def open_next_lead_with_keyboard(page: Page, base_url: str) -> None:
    expect(page).to_have_url(base_url + "/queue")
    expect(page.get_by_role("heading", name="Your queue")).to_be_visible()
    expect(page.locator("#dialable-count")).to_have_text("1")
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(r"/calls/\d+$"))
    expect(page.locator("#lead-heading")).to_have_text("Jordan Rivera")


def test_a_lead_goes_from_the_agents_queue_to_the_sales_inbox_and_the_campaign_report(
        page: Page, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics")

    # 1. The teleprospector calls the lead and qualifies it.
    sign_in(page, live_server, "teleprospector@example.com")
    screenshot(page, "01-queue")
    open_next_lead_with_keyboard(page, live_server)

    lead_context = page.locator(".lead-context")
    expect(lead_context).to_contain_text("Globex Logistics")
    guide = page.locator(".guide")
    expect(guide.get_by_role("heading", name="Opening")).to_be_visible()
    expect(guide.locator(".script").first).to_contain_text("Hi Jordan")
    expect(guide.locator(".script").first).to_contain_text("Globex Logistics")
    score = page.locator("#score")
    expect(score).to_contain_text("No answers yet.")
    screenshot(page, "02-call-screen")

    for label, (value, reason) in ANSWERS.items():
        choose_answer(page, label, reason)
        # Wait for each answer's round trip before the next one, so the panel ends on the full score.
        expect(score.locator(".reasons")).to_contain_text(reason)
    expect(score.locator(".band")).to_have_text(re.compile(r"Hot\s*·\s*100"))
    expect(score.locator(".reasons li")).to_have_text([reason for _value, reason in ANSWERS.values()])
    expect(score).not_to_contain_text("Still needed to qualify")

    notes = page.get_by_label("Notes")
    notes.click()
    notes.press_sequentially(NOTES)
    notes.press("Escape")  # leave the field so single-key shortcuts work again
    expect(notes).not_to_be_focused()
    expect(page.locator("#notes-status")).to_have_text("Notes saved")
    page.keyboard.press("q")
    expect(page.get_by_role("radio", name="Qualified")).to_be_checked()
    page.keyboard.press("ArrowDown")  # the next step agreed: the cursor is in its choices
    expect(page.get_by_role("radio", name="Send information")).to_be_checked()
    # What the agent sees first (a full-page capture resets the panels' scroll positions).
    screenshot(page, "03b-call-screen-qualified-viewport", full_page=False)
    screenshot(page, "03-call-screen-qualified")
    page.keyboard.press("Control+Enter")

    expect(page).to_have_url(live_server + "/queue")
    flash = page.locator(".flash-success")
    expect(flash).to_contain_text("Jordan Rivera qualified")
    expect(page.locator("#dialable-count")).to_have_text("0")
    screenshot(page, "04-queue-after-qualified")

    # 2. Sales finds the hand-off in the inbox, reads the packet and accepts it.
    sign_out(page)
    screenshot(page, "05-signed-out")
    sign_in(page, live_server, "sales@example.com")
    inbox_row = page.get_by_role("row", name=re.compile("Jordan Rivera"))
    expect(inbox_row).to_contain_text("Globex Logistics")
    expect(inbox_row).to_contain_text("Awaiting acceptance")
    screenshot(page, "06-sales-inbox")
    inbox_row.get_by_role("link", name="Jordan Rivera").click()

    expect(page).to_have_url(re.compile(r"/handoffs/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("Jordan Rivera"))).to_be_visible()
    answers = page.get_by_role("table").filter(has_text="Criterion")
    for label, (_value, reason) in ANSWERS.items():
        answer_label = reason.rsplit(" ", 1)[0]
        expect(answers.get_by_role("row", name=re.compile(f"^{label}"))).to_contain_text(answer_label)
    expect(page.locator(".band").first).to_have_text(re.compile(r"Hot\s*·\s*100"))
    expect(page.locator("ul.reasons li")).to_have_text([reason for _value, reason in ANSWERS.values()])
    expect(page.locator("#packet-calls .notes")).to_have_text(NOTES)
    screenshot(page, "07-handoff-packet")

    page.get_by_role("button", name="Accept the lead").click()
    expect(page).to_have_url(re.compile(r"/handoffs/\d+$"))  # the packet again, to record the first contact
    expect(page.locator(".flash-success")).to_contain_text("accepted")
    expect(page.get_by_role("button", name="Record first contact")).to_be_visible()
    page.goto(live_server + "/handoffs/")
    expect(page.get_by_role("row", name=re.compile("Jordan Rivera"))).to_contain_text("Accepted")
    screenshot(page, "08-sales-inbox-accepted")

    # 3. Marketing sees the call and the hand-off in the campaign report.
    sign_out(page)
    sign_in(page, live_server, "marketing@example.com")
    nav = page.get_by_role("navigation", name="Main")
    nav.locator("summary", has_text="Reports").click()
    nav.get_by_role("link", name="Campaign reports").click()
    expect(page.get_by_role("heading", name="Campaign reports")).to_be_visible()
    screenshot(page, "09-reports")
    page.get_by_role("link", name="Main campaign").click()

    expect(page.get_by_role("heading", name="Main campaign")).to_be_visible()
    expect(page.locator("#kpi-handed-over")).to_have_text("1")
    expect(page.locator("#kpi-dials")).to_have_text("1")
    expect(page.locator("#kpi-qualified")).to_have_text("1")
    expect(page.locator("#kpi-conversations")).to_have_text("1")
    screenshot(page, "10-campaign-report")


def test_the_call_screen_explains_why_a_lead_cannot_be_qualified_yet_and_keeps_the_notes(
        page: Page, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics")
    sign_in(page, live_server, "teleprospector@example.com")
    open_next_lead_with_keyboard(page, live_server)

    notes_text = "Interested, but we did not get to the qualification questions."
    notes = page.get_by_label("Notes")
    notes.fill(notes_text)
    notes.press("Escape")
    expect(notes).not_to_be_focused()
    page.keyboard.press("q")
    expect(page.get_by_role("radio", name="Qualified")).to_be_checked()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Control+Enter")

    error = page.locator("#disposition-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Cannot qualify yet")
    expect(error).to_contain_text("answer Budget, Authority, Need, Timeline")
    expect(page.get_by_label("Notes")).to_have_value(notes_text)
    expect(page.get_by_role("radio", name="Qualified")).to_be_checked()
    expect(page.get_by_role("radio", name="Send information")).to_be_checked()
    expect(page.locator("#lead-heading")).to_have_text("Jordan Rivera")
    screenshot(page, "11b-call-screen-disposition-error-viewport", full_page=False)
    screenshot(page, "11-call-screen-disposition-error")

    # The lead is still held by the agent: the queue offers to go back to the call.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Queue").click()
    expect(page.locator("#resume-call")).to_be_visible()
