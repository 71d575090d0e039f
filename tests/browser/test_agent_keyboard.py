"""A teleprospector's session from the keyboard alone, in a real browser.

No clicks and no fills: every step is a key press or typed text, the way an agent
works a campaign all day. After each disposition the next lead opens by itself
(auto-advance); pausing it lands the agent on the queue in wrap-up instead.
Screenshots land in test-artifacts/screenshots/ for a human to look at.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from console.extensions import db
from console.handoffs.models import Handoff
from console.leads.models import Lead
from console.leads.rules import QueueState
from tests.browser.test_thin_path import screenshot
from tests.builders import winter_day_ahead

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)

NOTES = "Runs sales ops. Demo with the CRO next Tuesday."


def focused(page: Page) -> str:
    return page.evaluate("document.activeElement && (document.activeElement.id || document.activeElement.tagName)")


def tab_to(page: Page, element_id: str, limit: int = 15) -> None:
    """Press Tab until the element has the focus, as a keyboard user would."""
    for _ in range(limit):
        if focused(page) == element_id:
            return
        page.keyboard.press("Tab")
    assert focused(page) == element_id, f"Tab never reached #{element_id}"


def sign_in_with_keyboard(page: Page, base_url: str, email: str) -> None:
    from tests.builders import TEST_PASSWORD

    page.goto(base_url + "/login")
    page.wait_for_load_state("load")
    tab_to(page, "email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(base_url + "/queue")
    page.wait_for_load_state("load")  # the shortcuts are a deferred script


def expect_lead(page: Page, name: str) -> None:
    expect(page).to_have_url(re.compile(r"/calls/\d+$"))
    expect(page.locator("#lead-heading")).to_have_text(name)
    expect(page.locator("#agent-status")).to_contain_text("Lead open, not dialled")


def test_an_agent_works_a_campaign_from_the_keyboard_alone(page: Page, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics", phone="+12125550101")
    make_lead(campaign, first_name="Morgan", last_name="Lee", company="Initech", phone="+13125550102")
    make_lead(campaign, first_name="Casey", last_name="Nguyen", company="Umbrella Health", phone="+12125550103")

    sign_in_with_keyboard(page, live_server, "teleprospector@example.com")
    expect(page.locator("#dialable-count")).to_have_text("3")

    # The help overlay lists every shortcut; Esc closes it.
    page.keyboard.press("?")
    help_overlay = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_overlay).to_be_visible()
    expect(help_overlay).to_contain_text("Pause or resume auto-advance")
    page.keyboard.press("Escape")
    expect(help_overlay).to_be_hidden()

    # 1. N: the first lead; D dials it (on the simulated line, which answers).
    page.keyboard.press("n")
    expect_lead(page, "Jordan Rivera")
    expect(page.locator("#dial-button")).to_be_enabled()
    page.wait_for_load_state("networkidle")  # the dialer arrives by htmx; let htmx finish wiring its form
    page.keyboard.press("d")
    expect(page.locator("#call-status")).to_have_text(re.compile("Ringing|Connected"))

    # A, arrow keys and Tab answer the qualification questions; each saves at once.
    page.keyboard.press("a")
    expect(page.locator("#question-budget input:focus")).to_have_value("")  # "not answered", in Budget's group
    for criterion, reason in (("budget", "Budget confirmed +25"), ("authority", "Speaking to the decision maker +25"),
                              ("need", "Urgent, stated need +30"), ("timeline", "Buying within 3 months +20")):
        expect(page.locator(f"#question-{criterion} input:focus")).to_have_count(1)
        page.keyboard.press("ArrowDown")
        expect(page.locator(f"#answer-status-{criterion}")).to_have_text("Saved")
        expect(page.locator("#score .reasons")).to_contain_text(reason)
        page.keyboard.press("Tab")
    expect(page.locator("#score .band")).to_have_text(re.compile(r"Hot\s*·\s*100"))

    # `/` searches the objections; Esc leaves the search box so shortcuts work again.
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    expect(page.locator("#objection-search")).to_be_focused()
    page.keyboard.press("Escape")

    # E: notes. Q: qualified. Ctrl+Enter saves, and the next lead opens by itself.
    page.keyboard.press("e")
    expect(page.get_by_label("Notes")).to_be_focused()
    page.keyboard.type(NOTES)
    page.keyboard.press("Escape")
    page.keyboard.press("q")
    expect(page.get_by_role("radio", name="Qualified")).to_be_checked()
    expect(page.locator("#disposition-next-action")).to_have_text("Next: Hand off to sales.")
    # Qualified asks for the next step agreed: the cursor is in its choices, an arrow key picks one.
    expect(page.locator('input[name="next_step"]:focus')).to_have_count(1)
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="Send information")).to_be_checked()
    screenshot(page, "20-keyboard-call-screen-qualified", full_page=False)
    page.keyboard.press("Control+Enter")

    expect_lead(page, "Morgan Lee")
    expect(page.locator(".flash-success")).to_contain_text("Jordan Rivera qualified and handed to Sales Person.")
    screenshot(page, "21-keyboard-auto-advanced", full_page=False)

    # 2. A digit is a disposition: 2 is Busy. P pauses auto-advance first: this time the queue comes back.
    page.keyboard.press("p")
    expect(page.locator("#agent-status")).to_contain_text("Auto-advance paused")
    expect(page.locator("#after-disposition")).to_have_text("Saving returns to the queue (auto-advance paused).")
    page.keyboard.press("2")
    expect(page.get_by_role("radio", name="Busy")).to_be_checked()
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(live_server + "/queue")
    expect(page.locator(".flash-success")).to_contain_text("Morgan Lee: Busy recorded; retry in 1 h.")
    expect(page.locator("#agent-status")).to_contain_text("Wrap-up")
    screenshot(page, "22-keyboard-wrap-up", full_page=False)

    # 3. N again, P resumes; 8 is a call back: the cursor lands in the time field, typed in the lead's time.
    page.keyboard.press("n")
    expect_lead(page, "Casey Nguyen")
    page.keyboard.press("p")
    expect(page.locator("#agent-status")).to_contain_text("Auto-advance on")
    page.keyboard.press("8")
    expect(page.get_by_role("radio", name="Call back at…")).to_be_checked()
    callback_at = page.locator("#callback_at")
    expect(callback_at).to_be_focused()
    day = winter_day_ahead()  # a callback is set within a year
    page.keyboard.type(f"{day:%m%d%Y}")  # month, day, year
    page.keyboard.press("Tab")  # on to the time (a year may have up to six digits, so it does not move by itself)
    page.keyboard.type("1030")
    page.keyboard.press("a")  # AM
    expect(callback_at).to_have_value(f"{day}T10:30")
    page.keyboard.press("Control+Enter")

    # Nothing else can be called now: auto-advance lands on the queue, which says so.
    expect(page).to_have_url(live_server + "/queue")
    expect(page.locator(".flash-success")).to_contain_text(f"Casey Nguyen: call back {day:%a %b %d}, 10:30 EST recorded.")
    expect(page.locator(".flash-warning")).to_contain_text("No lead can be called right now")

    db.session.rollback()  # read what the browser's requests committed
    jordan, morgan, casey = (db.session.scalar(db.select(Lead).where(Lead.first_name == name))
                             for name in ("Jordan", "Morgan", "Casey"))
    assert jordan.stage == "mql" and db.session.scalar(db.select(Handoff.lead_id)) == jordan.id
    assert morgan.queue_state == QueueState.RETRY
    assert casey.queue_state == QueueState.CALLBACK and casey.callback_owner_id == users["teleprospector"].id
    assert casey.next_call_at.isoformat() == f"{day}T15:30:00"

    # The callback is on the agent's callbacks page, with their pace.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Callbacks").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your callbacks")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Casey Nguyen"))).to_contain_text(f"{day:%a %b %d}, 10:30 EST")
    expect(page.locator("#pace-calls")).to_have_text("3")
    screenshot(page, "23-keyboard-callbacks", full_page=False)


def test_wrong_person_takes_the_referral_from_the_keyboard_and_a_bad_number_keeps_what_was_typed(
        page: Page, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics")
    sign_in_with_keyboard(page, live_server, "teleprospector@example.com")
    page.keyboard.press("n")
    expect_lead(page, "Jordan Rivera")

    page.keyboard.press("6")
    expect(page.get_by_role("radio", name="Wrong person")).to_be_checked()
    expect(page.get_by_label("First name", exact=True)).to_be_focused()
    page.keyboard.type("Dana")
    page.keyboard.press("Tab")
    page.keyboard.type("Whitfield")
    page.keyboard.press("Tab")
    page.keyboard.type("Head of RevOps")
    page.keyboard.press("Tab")
    page.keyboard.type("555-01")
    page.keyboard.press("Control+Enter")

    expect(page.locator("#disposition-error")).to_contain_text("Check the referred contact")
    expect(page.locator("#referral_phone-error")).to_have_text("555-01 is not a valid phone number.")
    expect(page.get_by_label("First name", exact=True)).to_have_value("Dana")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Head of RevOps")
    screenshot(page, "24-keyboard-referral-error", full_page=False)

    # The cursor is back in the field to fix, its text selected: typing replaces it.
    expect(page.get_by_label("Phone", exact=True)).to_be_focused()
    page.keyboard.type("312 555 0187")
    page.keyboard.press("Control+Enter")

    # The referred contact is a new lead, and the next one called.
    expect_lead(page, "Dana Whitfield")
    expect(page.locator(".flash-success")).to_contain_text("Dana Whitfield added as a new contact")
    expect(page.locator(".lead-context")).to_contain_text("Globex Logistics")
    expect(page.locator(".lead-context")).to_contain_text("Head of RevOps")


def test_d_presses_the_dialers_dial_button(page: Page, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera")
    sign_in_with_keyboard(page, live_server, "teleprospector@example.com")
    page.keyboard.press("n")
    expect_lead(page, "Jordan Rivera")
    # The dial button belongs to the telephony area (loaded into the page by htmx); what D promises is to
    # press it. The click is caught before it dials, and a stand-in is added where no dialer is installed.
    page.wait_for_load_state("networkidle")
    page.evaluate("""() => {
        if (!document.getElementById('dial-button')) {
            const stand_in = document.createElement('button');
            stand_in.id = 'dial-button';
            document.body.append(stand_in);
        }
        document.addEventListener('click', (event) => {
            if (!event.target.closest('#dial-button')) return;
            event.preventDefault();
            event.stopImmediatePropagation();
            document.body.dataset.dialed = 'yes';
        }, {capture: true});
    }""")
    page.keyboard.press("d")
    expect(page.locator("body")).to_have_attribute("data-dialed", "yes")
