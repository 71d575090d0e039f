"""A marketing manager opens a campaign's report, changes the range and the breakdown, and exports a table as CSV."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from console.auth.models import Role
from console.clock import utcnow
from tests.browser.test_thin_path import sign_in
from tests.integration.report_world import add_call, add_handoff

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)


def test_marketing_opens_the_report_changes_the_range_and_exports_csv(page: Page, live_server, users, campaign,
                                                                       make_lead, tmp_path):
    now = utcnow()
    recent = make_lead(campaign, source="webinar")
    add_handoff(add_call(recent, users[Role.TELEPROSPECTOR], "qualified", now - timedelta(days=2)),
                users[Role.SALES], now - timedelta(days=2))
    old = make_lead(campaign, source="=HYPERLINK(\"x\")")
    add_call(old, users[Role.TELEPROSPECTOR], "busy", now - timedelta(days=60))

    sign_in(page, live_server, "marketing@example.com")
    nav = page.get_by_role("navigation", name="Main")
    nav.locator("summary", has_text="Reports").click()
    nav.get_by_role("link", name="Campaign reports").click()
    expect(page.get_by_role("heading", name="Campaign reports")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Main campaign"))).to_contain_text("1")
    page.get_by_role("link", name="Main campaign").click()

    expect(page.get_by_role("heading", name="Main campaign")).to_be_visible()
    expect(page.locator("#kpi-dials")).to_have_text("1")  # the last 30 days
    expect(page.locator("#kpi-handed-over")).to_have_text("1")

    page.get_by_role("link", name="Last 90 days").click()
    expect(page.locator("#kpi-dials")).to_have_text("2")
    page.get_by_label("Breakdown by").select_option("source")
    page.get_by_label("Trend by").select_option("week")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="By lead source")).to_be_visible()
    expect(page.locator("#breakdown-table")).to_contain_text("=HYPERLINK")

    with page.expect_download() as download_info:
        page.get_by_role("heading", name="By lead source").get_by_role("link", name="CSV").click()
    text = (download_info.value.path().read_text(encoding="utf-8-sig"))
    assert text.splitlines()[0].startswith("Lead source,Dials")
    assert "'=HYPERLINK" in text
