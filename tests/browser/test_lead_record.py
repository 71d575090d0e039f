"""The lead record and the do-not-call list in a real browser at 1366x768: a marketing manager finds a lead by
typing, opens it, corrects its phone and sees the change in its timeline; then puts a number on the do-not-call
list and finds it there. No console errors (the CSP would report one).

Screenshots land in test-artifacts/screenshots/lead-record-*.png.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_thin_path import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_marketing_finds_a_lead_edits_its_phone_and_lists_a_number(page: Page, live_server, users, campaign,
                                                                   make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", phone="+12125550101", company="Acme Corp")
    make_lead(campaign, first_name="Morgan", last_name="Lee", phone="+12125550102", company="Beta LLC")
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, live_server, "marketing@example.com")

    page.locator("nav[aria-label=Main] summary", has_text="Leads").click()  # the Leads menu of the top bar
    page.get_by_role("link", name="Find a lead").click()
    expect(page.get_by_role("heading", name="Find a lead")).to_be_visible()
    page.get_by_role("searchbox", name="Find").fill("rive")  # the results follow the typing, no button pressed
    results = page.locator("#lead-results")
    expect(results.get_by_role("link")).to_have_text(["Jordan Rivera"])
    expect(page).to_have_url(f"{live_server}/leads/?q=rive&campaign=&stage=&band=&list=")
    screenshot(page, "lead-record-search", full_page=False)

    results.get_by_role("link", name="Jordan Rivera").click()
    expect(page.get_by_role("heading", name="Jordan Rivera")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text(f"Added to {campaign.name}")
    screenshot(page, "lead-record-page", full_page=False)

    page.get_by_role("link", name="Edit contact").click()
    page.get_by_label("Phone", exact=True).fill("415 555 0150")
    page.get_by_label("State or province").select_option("CA")
    page.get_by_role("button", name="Save contact").click()
    expect(page.locator(".flash-success")).to_contain_text("Jordan Rivera: saved (phone, state or province, time zones)")
    expect(page.locator(".record-facts .phone")).to_have_text("(415) 555-0150")
    edit = page.locator('#timeline li[data-kind="contact"]').first
    expect(edit).to_contain_text("Phone: (212) 555-0101 → (415) 555-0150")
    expect(edit).to_contain_text("Marketing Person")
    screenshot(page, "lead-record-edited", full_page=False)

    page.locator("nav[aria-label=Main] summary", has_text="Leads").click()
    page.get_by_role("link", name="Do-not-call list").click()
    expect(page.get_by_role("heading", name="Do-not-call list")).to_be_visible()
    page.locator("#add-phone").fill("(415) 555-0150")
    page.locator("#add-reason").fill("Asked us by email not to call again")
    page.get_by_role("button", name="Add to the list").click()
    expect(page.locator(".flash-success")).to_contain_text("(415) 555-0150 is on the do-not-call list")
    row = page.locator("#dnc-entries tbody tr").first
    expect(row).to_contain_text("(415) 555-0150")
    expect(row).to_contain_text("Asked us by email not to call again")
    expect(row).to_contain_text("by Marketing Person")
    screenshot(page, "lead-record-do-not-call", full_page=False)

    row.get_by_role("link", name="Leads with this number").click()
    page.locator("#lead-results").get_by_role("link", name="Jordan Rivera").click()
    expect(page.locator(".stage-line")).to_contain_text("On the do-not-call list")
    expect(page.locator('#timeline li[data-kind="do_not_call"]')).to_contain_text("(manual)")
    assert problems == []
