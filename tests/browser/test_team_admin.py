"""The admin adds a teammate in a real browser at 1366x768: the set-password link shown once, opened by the new user
in a browser of their own, a password chosen, a sign-in; then the admin deactivates them and the page they have
open is refused at its next request. No console errors (a CSP violation would be one) on the way.

Screenshots land in test-artifacts/screenshots/team-*.png.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import VIEWPORT
from tests.browser.test_thin_path import screenshot, sign_in

pytestmark = pytest.mark.browser


def _watch(page: Page, problems: list) -> None:
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))


def test_an_admin_adds_a_user_who_sets_a_password_signs_in_and_is_then_deactivated(
        page: Page, browser, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", phone="+12125550101")
    problems: list = []
    _watch(page, problems)
    sign_in(page, live_server, "admin@example.com")

    page.get_by_role("navigation", name="Main").locator("details.menu summary", has_text="Admin").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users", exact=True).click()
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    screenshot(page, "team-users", full_page=False)
    page.get_by_role("link", name="Add a user").click()
    page.get_by_label("Email").fill("robin.new@example.com")
    page.get_by_label("Full name").fill("Robin Newcomer")
    page.get_by_label("Role").select_option(label="Teleprospector")
    page.get_by_role("radio", name=re.compile("A set-password link")).check()
    screenshot(page, "team-new-user", full_page=False)
    page.get_by_role("button", name="Add the user").click()

    expect(page.get_by_text("Shown once.")).to_be_visible()
    link = page.locator("#credential").inner_text()
    assert re.fullmatch(rf"{re.escape(live_server)}/password/[A-Za-z0-9_-]{{40,}}", link), link
    screenshot(page, "team-credentials", full_page=False)

    newcomer_context = browser.new_context(viewport=VIEWPORT)
    newcomer = newcomer_context.new_page()
    _watch(newcomer, problems)
    try:
        newcomer.goto(link)
        expect(newcomer.get_by_role("heading", name="Choose your password")).to_be_visible()
        expect(newcomer.get_by_text("robin.new@example.com")).to_be_visible()
        newcomer.get_by_label("New password", exact=True).fill("bright harbour lights")
        newcomer.get_by_label("The same password again").fill("bright harbour lights")
        screenshot(newcomer, "team-set-password", full_page=False)
        newcomer.get_by_role("button", name="Set my password").click()
        expect(newcomer.get_by_text("Your password is set. Sign in with it.")).to_be_visible()
        sign_in(newcomer, live_server, "robin.new@example.com", "bright harbour lights")
        expect(newcomer).to_have_url(live_server + "/queue")
        expect(newcomer.get_by_role("heading", name="Your queue")).to_be_visible()
        newcomer.keyboard.press("n")
        expect(newcomer).to_have_url(re.compile(r"/calls/\d+$"))
        expect(newcomer.locator("#lead-heading")).to_have_text("Jordan Rivera")

        # The admin opens Robin's page from the list and deactivates them.
        page.goto(f"{live_server}/admin/users")
        page.get_by_role("link", name="Robin Newcomer").click()
        expect(page.get_by_role("link", name="Jordan Rivera", exact=True)).to_be_visible()  # the lead Robin holds
        page.get_by_text("Deactivate Robin Newcomer…").click()
        screenshot(page, "team-user", full_page=False)
        page.get_by_role("button", name="Deactivate Robin Newcomer").click()
        expect(page.get_by_text("Robin Newcomer is deactivated")).to_be_visible()
        expect(page.get_by_text("1 lead they held went back to the queue.")).to_be_visible()
        screenshot(page, "team-user-deactivated", full_page=False)

        # Robin's open call screen is refused at its next request: the sign-in page, and no way back in.
        newcomer.reload()
        expect(newcomer.get_by_role("heading", name="Sign in")).to_be_visible()
        newcomer.get_by_label("Email").fill("robin.new@example.com")
        newcomer.get_by_label("Password").fill("bright harbour lights")
        newcomer.get_by_role("button", name="Sign in").click()
        expect(newcomer.get_by_text("Email or password is not right.")).to_be_visible()
        # The link is used up, too.
        newcomer.goto(link)
        expect(newcomer.get_by_role("heading", name="This link does not work")).to_be_visible()
    finally:
        newcomer_context.close()

    page.get_by_role("navigation", name="Main").locator("details.menu summary", has_text="Admin").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name=re.compile("^deactivated a user")).first).to_be_visible()
    screenshot(page, "team-audit-log", full_page=False)
    # A failed sign-in (Robin's, after deactivation) and a page refused are the only errors the browser logged.
    assert [problem for problem in problems if "401" not in problem and "404" not in problem] == []
