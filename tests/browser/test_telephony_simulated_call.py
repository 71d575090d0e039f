"""A call on the simulated line, in a real browser: Dial, ringing, connected, hang up, completed; and a busy line.

The simulated line moves on the real clock (ringing after 1 s, answered after 3 s), driven by the
dialer's own one-second polling: the test waits on what the agent sees, never with sleeps.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.builders import TEST_PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def open_call_screen(page: Page, base_url: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill("teleprospector@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base_url + "/queue")
    page.wait_for_load_state("load")
    page.get_by_role("button", name=re.compile("Next lead")).click()
    expect(page).to_have_url(re.compile(r"/calls/\d+$"))
    expect(page.locator("#dial-button")).to_be_enabled()


def test_an_agent_places_and_ends_a_simulated_call(page: Page, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics")
    open_call_screen(page, live_server)

    dialer = page.locator("#dialer")
    expect(dialer.locator(".dialer-mode")).to_have_text("Simulated line")
    page.get_by_label("The simulated lead").select_option("answer")
    page.locator("#dial-button").click()

    status = page.locator("#call-status")
    expect(status).to_have_text("Ringing")
    expect(status).to_have_text("Connected")
    expect(page.locator("#call-timer")).to_have_text(re.compile(r"^0:0\d$"))
    page.get_by_role("group", name=re.compile("Keypad")).get_by_role("button", name="1").click()
    expect(page.locator("#sent-digits")).to_have_text("1")
    mute = page.get_by_role("button", name="Mute")
    mute.click()
    expect(page.locator("#mute-button")).to_have_attribute("aria-pressed", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "20-dialer-connected.png"), full_page=False)

    page.get_by_role("button", name="Hang up").click()
    expect(status).to_have_text("Completed")
    expect(page.locator("#dial-button")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "21-dialer-completed.png"), full_page=False)


def test_a_busy_line_ends_by_itself_and_the_agent_can_dial_again(page: Page, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Sam", last_name="Busy")
    open_call_screen(page, live_server)

    page.get_by_label("The simulated lead").select_option("busy")
    page.locator("#dial-button").click()

    expect(page.locator("#call-status")).to_have_text("Busy")
    expect(page.locator("#dial-button")).to_be_enabled()
