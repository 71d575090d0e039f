"""The call screen's states in a real browser: answers that no shortcut can change, a top bar that follows
the line with the dialer's clock, the next lead opening in its final layout, and a closed call read-only."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from console.calls.models import QualificationAnswer
from console.extensions import db
from tests.browser.test_agent_keyboard import expect_lead, sign_in_with_keyboard
from tests.browser.test_thin_path import answer_value, choose_answer, screenshot

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)

ANSWERED = {"budget": ("Budget", "Budget confirmed +25", "confirmed"),
            "authority": ("Authority", "Speaking to an influencer +10", "influencer"),
            "need": ("Need", "Some need +10", "some")}
# Every single-key shortcut the call screen has (the help overlay lists them), and Esc. Ctrl+Enter and the
# disposition keys' effect on the disposition are covered elsewhere; here each is typed with an answer focused.
SHORTCUTS = ["n", "d", "a", "e", "/", "p", "?", "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "q",
             "b", "c", "u", "s", "t", "Escape", "Space", "Enter"]


def stored_answers() -> dict[str, str]:
    db.session.rollback()
    return {answer.criterion: answer.value for answer in db.session.scalars(db.select(QualificationAnswer))}


def test_no_shortcut_typed_after_answering_changes_an_answer(page: Page, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics")
    sign_in_with_keyboard(page, live_server, "teleprospector@example.com")
    page.keyboard.press("n")
    expect_lead(page, "Jordan Rivera")
    for criterion, (question, option, _value) in ANSWERED.items():
        choose_answer(page, question, option)  # a click: the focus stays in the answer, as after any answer
        expect(page.locator(f"#answer-status-{criterion}")).to_have_text("Saved")
    saved = stored_answers()
    assert saved == {criterion: value for criterion, (_q, _o, value) in ANSWERED.items()}

    for key in SHORTCUTS:
        for criterion in ANSWERED:
            # Put the focus back in an answered question, the way the agent left it, then type the shortcut.
            page.locator(f"#question-{criterion} input:checked").focus()
            page.keyboard.press(key)
            page.keyboard.press("Escape")  # leave whatever the shortcut opened (notes, search, help)
            if key == "?":
                page.locator("#shortcut-help").evaluate("help => { help.hidden = true; }")
            for other, (_question, _option, value) in ANSWERED.items():
                expect(answer_value(page, other)).to_have_value(value)
    expect(page.locator("#score-error")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    assert stored_answers() == saved  # nothing was saved behind the agent's back either
    expect(answer_value(page, "timeline")).to_have_value("")  # still not answered


def _call_layout_top(page: Page) -> float:
    return page.locator(".call-layout").evaluate("layout => layout.getBoundingClientRect().top")


def _dialer_box(page: Page) -> dict:
    return page.locator("#dialer").bounding_box()


def test_the_next_lead_opens_in_its_final_layout(page: Page, live_server, users, campaign, make_lead):
    page.add_init_script("""
        window.__placeholders = [];
        new MutationObserver(() => {
            if (document.body && /Loading the dialer/.test(document.body.textContent)) window.__placeholders.push(Date.now());
        }).observe(document, {childList: true, subtree: true, characterData: true});
    """)
    make_lead(campaign, first_name="Jordan", last_name="Rivera", phone="+12125550101")
    make_lead(campaign, first_name="Morgan", last_name="Lee", phone="+13125550102")
    sign_in_with_keyboard(page, live_server, "teleprospector@example.com")
    page.keyboard.press("n")
    expect_lead(page, "Jordan Rivera")
    expect(page.locator(".flashes")).to_have_count(0)
    top_without_message = _call_layout_top(page)
    dialer_at_first = _dialer_box(page)

    page.keyboard.press("2")
    page.keyboard.press("Control+Enter")
    expect_lead(page, "Morgan Lee")
    flash = page.locator(".flash-success")
    expect(flash).to_contain_text("Jordan Rivera: Busy recorded")
    # The previous lead's message floats over the screen: the columns start where they do without one.
    assert _call_layout_top(page) == top_without_message
    assert page.locator("#dialer").count() == 1 and _dialer_box(page) == dialer_at_first  # drawn with the page
    screenshot(page, "30-next-lead-with-message", full_page=False)
    expect(page.locator(".flashes")).to_be_hidden(timeout=10_000)  # and it goes away by itself
    assert _call_layout_top(page) == top_without_message
    page.wait_for_load_state("networkidle")
    assert _dialer_box(page) == dialer_at_first
    assert page.evaluate("window.__placeholders") == []


def test_the_top_bar_and_the_dialer_show_one_state_and_one_clock(page: Page, live_server, users, campaign,
                                                                  make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics")
    sign_in_with_keyboard(page, live_server, "teleprospector@example.com")
    page.keyboard.press("n")
    expect_lead(page, "Jordan Rivera")
    status = page.locator("#agent-status")
    expect(status).to_contain_text("Lead open, not dialled")
    expect(status.locator("time")).to_have_count(0)  # no clock before anything was dialled

    page.get_by_label("The simulated lead").select_option("answer")
    page.locator("#dial-button").click()
    expect(status).to_contain_text("Dialling")
    expect(page.locator("#call-status")).to_have_text("Connected")
    expect(status).to_contain_text("On a call")
    clock, timer = status.locator("#agent-clock"), page.locator("#call-timer")
    expect(clock).to_have_attribute("data-since", timer.get_attribute("data-since"))
    for _ in range(3):  # the two clocks tick together, from the same moment (a second apart at most: each
        expect(clock).to_have_text(re.compile(r"^0:0\d$"))  # is drawn by a request of its own)
        top_bar, dialer = (int(text.split(":")[1]) for text in page.evaluate(
            "() => [document.getElementById('agent-clock').textContent, document.getElementById('call-timer').textContent]"))
        assert abs(top_bar - dialer) <= 1
        page.wait_for_timeout(700)
    screenshot(page, "31-call-screen-live", full_page=False)

    page.get_by_role("button", name="Hang up").click()
    expect(page.locator("#call-status")).to_have_text("Completed")
    expect(status).to_contain_text("Wrap-up")


def test_a_closed_call_is_read_only_with_what_was_recorded(page: Page, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics")
    sign_in_with_keyboard(page, live_server, "teleprospector@example.com")
    page.keyboard.press("n")
    expect_lead(page, "Jordan Rivera")
    expect(page.locator("#attempt")).to_have_text("1 of 6")
    call_url = page.url
    choose_answer(page, "Budget", "Budget planned for next cycle +15")
    expect(page.locator("#answer-status-budget")).to_have_text("Saved")
    page.keyboard.press("e")
    page.keyboard.type("Call after the budget review.")
    page.keyboard.press("Escape")
    page.keyboard.press("7")
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(live_server + "/queue")

    page.goto(call_url)
    capture = page.locator(".capture")
    expect(capture.locator("#recorded-disposition")).to_contain_text("Not interested")
    expect(capture.locator("#recorded-budget")).to_have_text("Budget planned for next cycle +15")
    expect(capture.locator("#recorded-notes")).to_have_text("Call after the budget review.")
    expect(page.locator(".capture input, .capture textarea, .capture select, .capture button, #dialer form"))\
        .to_have_count(0)
    expect(page.locator("#attempt")).to_have_text("1 of 6")
    screenshot(page, "32-call-screen-closed", full_page=False)
