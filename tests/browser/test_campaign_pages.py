"""Every page about one campaign in a real browser at 1366x768: one tab bar, its tab current, one content width.

Screenshots of each page land in test-artifacts/screenshots/campaign-*.png.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_thin_path import screenshot, sign_in

pytestmark = pytest.mark.browser

TABS = ["Settings", "Dispositions", "Telephony", "Dialable now", "Lists", "Report", "Hand-off SLA", "Sales feedback"]


def test_every_campaign_page_has_the_same_tab_bar_and_width(page: Page, live_server, users, campaign, make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", phone="+12125550101")
    make_lead(campaign, first_name="Morgan", last_name="Lee", phone="+12125550102")
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, live_server, "marketing@example.com")

    page.goto(f"{live_server}/campaigns/")
    screenshot(page, "campaign-list", full_page=False)
    page.get_by_role("link", name=f"Leads of {campaign.name} dialable now").click()
    expect(page.locator("#dialable-now")).to_have_text("2")

    boxes = {}
    for tab in TABS:
        tabs = page.get_by_role("navigation", name=f"Pages of {campaign.name}")
        tabs.get_by_role("link", name=tab, exact=True).click()
        current = page.locator('nav.campaign-tabs a[aria-current="page"]')
        expect(current).to_have_count(1)
        expect(current).to_have_text(tab)
        expect(page.locator("nav.campaign-tabs")).to_have_count(1)
        expect(tabs.get_by_role("link")).to_have_text(TABS)
        container = page.locator("main > .campaign-page")
        expect(container).to_have_count(1)
        boxes[tab] = container.bounding_box()
        screenshot(page, "campaign-" + tab.lower().replace(" ", "-"), full_page=False)

    widths = {tab: round(box["width"]) for tab, box in boxes.items()}
    lefts = {tab: round(box["x"]) for tab, box in boxes.items()}
    assert len(set(widths.values())) == 1, widths
    assert len(set(lefts.values())) == 1, lefts
    assert 700 <= widths["Settings"] <= 1366 - 2 * lefts["Settings"], widths  # centred, not the whole screen
    assert problems == []
