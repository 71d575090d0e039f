"""Autosave in the browser: fast keyboard answers all land, a reload loses nothing, and a second
window's stale answer is refused on screen instead of overwriting the first."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_agent_keyboard import expect_lead, sign_in_with_keyboard
from tests.browser.test_thin_path import answer_value, choose_answer, screenshot

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)


@pytest.fixture
def call_page(page: Page, live_server, users, campaign, make_lead) -> Page:
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics")
    sign_in_with_keyboard(page, live_server, "teleprospector@example.com")
    page.keyboard.press("n")
    expect_lead(page, "Jordan Rivera")
    return page


def test_answers_typed_faster_than_the_server_replies_are_all_saved_in_order(call_page: Page):
    page = call_page
    page.keyboard.press("a")
    for key in ("ArrowDown", "Tab", "ArrowDown", "Tab", "ArrowDown", "Tab", "ArrowDown"):
        page.keyboard.press(key)  # no waiting: each save queues behind the one before and sends the newest version
    for criterion in ("budget", "authority", "need", "timeline"):
        expect(page.locator(f"#answer-status-{criterion}")).to_have_text("Saved")
    expect(page.locator("#score .band")).to_have_text(re.compile(r"Hot\s*·\s*100"))
    expect(page.locator("#score-error")).to_have_count(0)

    page.reload()  # what a crash and a reopened browser would find
    for criterion, value in (("budget", "confirmed"), ("authority", "decision_maker"), ("need", "urgent"),
                             ("timeline", "under_3_months")):
        expect(answer_value(page, criterion)).to_have_value(value)


def test_an_answer_from_a_window_opened_before_another_change_is_refused_on_screen(call_page: Page):
    first = call_page
    second = first.context.new_page()
    second.goto(first.url)
    second.wait_for_load_state("load")

    choose_answer(first, "Budget", "Budget confirmed +25")
    expect(first.locator("#answer-status-budget")).to_have_text("Saved")

    choose_answer(second, "Budget", "No budget -10")
    error = second.locator("#score-error")
    expect(error).to_contain_text("Not saved: this lead changed since your page loaded")
    expect(second.locator("#answer-status-budget")).to_have_text("Not saved")
    expect(second.locator("#score .reasons")).to_contain_text("Budget confirmed +25")  # what is stored
    screenshot(second, "25-stale-answer-refused", full_page=False)

    second.get_by_role("link", name="Reload the call").click()
    expect(answer_value(second, "budget")).to_have_value("confirmed")
    second.close()
