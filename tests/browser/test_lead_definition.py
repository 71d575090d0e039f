"""The lead definition changed by both sides, in a real browser: a marketing manager proposes more points for an
urgent need and sees what it would do to the open leads, two sales members approve it, the background worker
rescores, the lead an agent holds on the call screen moves from warm to hot, and the definition page shows the new
version and who approved it. Not one CSP violation or console error.

Screenshots land in test-artifacts/screenshots/lead-definition-*.png.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from console.auth.models import Role
from tests.browser.test_no_csp_violations import settle, watched  # noqa: F401  (watched: a fixture)
from tests.browser.test_thin_path import screenshot, sign_in, sign_out

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)


def vote_approve(page: Page, live_server: str, email: str, proposal_url: str) -> None:
    sign_in(page, live_server, email)
    page.goto(proposal_url)
    settle(page)
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Vote", exact=True).click()


def test_marketing_proposes_sales_approve_and_the_lead_on_the_call_screen_changes_band(
        watched: Page, live_server, users, make_user, campaign, make_lead, answer_lead, worker):
    page = watched
    make_user(Role.SALES, email="sales.two@example.com", full_name="Robin Second")
    warm = make_lead(campaign, first_name="Avery", last_name="Quinn", company="Harbor Freight Lines")
    answer_lead(warm, budget="confirmed", need="urgent")  # 25 + 30 = 55: warm, qualified line reached
    cool = make_lead(campaign, first_name="Blake", last_name="Moss", company="Cedar Logistics")
    answer_lead(cool, need="some")  # 10: cool, and an urgent need's points do not move it

    # The agent takes the warm lead (the highest score comes first) and keeps it on the call screen.
    sign_in(page, live_server, "teleprospector@example.com")
    page.get_by_role("button", name=re.compile("Next lead")).click()
    expect(page).to_have_url(re.compile(r"/calls/\d+$"))
    call_url = page.url
    expect(page.locator("#lead-heading")).to_have_text("Avery Quinn")
    expect(page.locator("#score .band")).to_have_text("Warm · 55")
    sign_out(page)

    # Marketing proposes: an urgent need is worth 50 instead of 30.
    sign_in(page, live_server, "marketing@example.com")
    page.goto(f"{live_server}/definition")
    expect(page.locator("#definition-version")).to_contain_text("Version 1")
    page.get_by_role("link", name="Propose a change").click()
    expect(page.get_by_role("heading", name="Propose a change to the lead definition")).to_be_visible()
    settle(page)
    urgent = page.locator(".criterion-editor", has=page.locator("legend", has_text="Need")).locator(
        "tr", has=page.locator("input[value='urgent']"))
    urgent.get_by_label("Points").fill("50")
    page.get_by_label("Why this change").fill("Urgent needs close twice as often: worth 50.")
    page.get_by_role("button", name="Propose: ask both sides to vote").click()

    # The proposal: what changes, and (once the worker has worked it out) what it would do to the open leads.
    expect(page).to_have_url(re.compile(r"/definition/versions/\d+$"))
    proposal_url = page.url
    version_number = int(proposal_url.rsplit("/", 1)[1])
    expect(page.locator("#version-status")).to_have_text(re.compile("Proposed", re.I))
    expect(page.locator("#changes-heading")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Urgent, stated need")).first).to_be_visible()
    summary = page.locator("#impact-summary")
    expect(summary).to_contain_text("1 of 2 open leads would change band", timeout=20_000)
    expect(summary).to_contain_text("1 up a band, 0 down")
    moved = page.locator(".moved-leads tbody tr")
    expect(moved).to_have_count(1)
    expect(moved.first).to_contain_text("Avery Quinn")
    expect(moved.first.locator(".band").nth(0)).to_have_text("Warm · 55")
    expect(moved.first.locator(".band").nth(1)).to_have_text("Hot · 75")
    expect(page.locator("#tally")).to_contain_text("Marketing: 1 of 1 approval")
    expect(page.locator("#tally")).to_contain_text("Sales: 0 of 2 approvals")
    settle(page)
    screenshot(page, "lead-definition-proposal")
    sign_out(page)

    # Two sales members approve; the second approval puts it in force.
    vote_approve(page, live_server, "sales@example.com", proposal_url)
    expect(page.locator("#tally")).to_contain_text("Sales: 1 of 2 approvals")
    expect(page.locator("#version-status")).to_have_text(re.compile("Proposed", re.I))
    sign_out(page)
    vote_approve(page, live_server, "sales.two@example.com", proposal_url)
    expect(page.get_by_text(f"Version {version_number} is approved by both sides and now in force")).to_be_visible()
    expect(page.locator("#version-status")).to_have_text(re.compile("In force|Active", re.I))
    expect(page.locator("#rescore-state")).to_contain_text("2 open leads rescored", timeout=20_000)
    expect(page.locator("#rescore-state")).to_contain_text("1 changed score or band")
    settle(page)
    screenshot(page, "lead-definition-in-force")
    sign_out(page)

    # The agent's lead is hot now, explained with the new points.
    sign_in(page, live_server, "teleprospector@example.com")
    page.goto(call_url)
    expect(page.locator("#score .band")).to_have_text("Hot · 75")
    expect(page.locator("#score .reasons")).to_contain_text("+50")
    settle(page)
    screenshot(page, "lead-definition-call-screen")

    # The definition page: the new version, and who approved it.
    page.goto(f"{live_server}/definition")
    line = page.locator("#definition-version")
    expect(line).to_contain_text(f"Version {version_number}")
    expect(line.locator(".approver")).to_have_count(3)
    expect(line).to_contain_text("Marketing Person")
    expect(line).to_contain_text("Sales Person")
    expect(line).to_contain_text("Robin Second")
    expect(page.locator(".points-table, #points-heading + table").first).to_contain_text("50")
    settle(page)
    screenshot(page, "lead-definition-page")
    assert page.problems == []
