"""A marketing manager creates a campaign in a real browser, pauses and resumes it, looks at what ending it would
mean, and opens the campaign calendar; sales then reads the calendar. Not one CSP violation or console error.

Screenshots land in test-artifacts/screenshots/campaign-lifecycle-*.png.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from console.clock import utcnow
from tests.browser.test_no_csp_violations import settle, watched  # noqa: F401  (watched: a fixture)
from tests.browser.test_thin_path import screenshot, sign_in, sign_out

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)


def test_marketing_creates_pauses_and_resumes_a_campaign_then_finds_it_on_the_calendar(
        watched: Page, live_server, users, default_guide):
    page = watched
    today = utcnow().date()
    sign_in(page, live_server, "marketing@example.com")
    page.goto(f"{live_server}/campaigns/")
    page.get_by_role("link", name="New campaign").click()
    expect(page.get_by_role("heading", name="New campaign")).to_be_visible()
    settle(page)

    page.get_by_label("Name").fill("Fleet webinar follow-up")
    page.get_by_label("Source / channel").fill("Webinar")
    page.get_by_label("Message").fill("Offer the fleet ROI study and a demo.")
    page.get_by_label("Starts").fill(today.isoformat())
    page.get_by_label("Ends").fill((today + timedelta(days=30)).isoformat())
    page.get_by_label("Priority").fill("7")
    page.get_by_label("Expected leads").fill("500")
    page.get_by_label("Call guide").select_option(label=default_guide.name)
    page.get_by_label("Caller ID").fill("555")
    page.get_by_label("Label of a new lead field").first.fill("Fleet size")
    page.get_by_label("Running: agents get its leads").check()
    page.get_by_role("button", name="Create campaign").click()

    # A wrong caller ID: said beside the field, everything typed still there.
    expect(page.get_by_text("The campaign was not created")).to_be_visible()
    expect(page.locator("#caller_id-error")).to_have_text(
        "The caller ID is not a valid number: '555'. Write it with its country code, as +12125550100.")
    expect(page.get_by_label("Message")).to_have_value("Offer the fleet ROI study and a demo.")
    expect(page.get_by_label("Label of a new lead field").first).to_have_value("Fleet size")
    screenshot(page, "campaign-lifecycle-new-refused")
    # Chromium logs every 4xx response as a console error; this one is the refusal just checked, nothing else.
    assert [problem.split(": console error: ")[1] for problem in page.problems] == [
        "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"]
    page.problems.clear()
    page.get_by_label("Caller ID").fill("212 555 0100")
    page.get_by_role("button", name="Create campaign").click()

    expect(page).to_have_url(re.compile(r"/campaigns/\d+/settings$"))
    expect(page.get_by_text("Fleet webinar follow-up: campaign created, running.")).to_be_visible()
    expect(page.locator("#campaign-heading")).to_have_text("Fleet webinar follow-up")
    expect(page.locator("#campaign-life .campaign-status")).to_have_text("Running")
    expect(page.get_by_label("Caller ID")).to_have_value("+12125550100")
    expect(page.locator("code", has_text="fleet_size")).to_be_visible()
    settle(page)

    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_text("Fleet webinar follow-up: paused.")).to_be_visible()
    expect(page.locator("#campaign-life .campaign-status")).to_have_text("Paused")
    page.get_by_role("button", name="Resume", exact=True).click()
    expect(page.get_by_text("Fleet webinar follow-up: resumed.")).to_be_visible()
    expect(page.locator("#campaign-life .campaign-status")).to_have_text("Running")
    settle(page)

    # Ending asks first, in words, and the question fits the screen; it is not confirmed here.
    page.get_by_text("End campaign…").click()
    confirm = page.locator(".confirm-panel")
    expect(confirm).to_contain_text("Ending is final.")
    box = confirm.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1366
    screenshot(page, "campaign-lifecycle-end-confirm", full_page=False)
    page.get_by_text("End campaign…").click()
    expect(confirm).to_be_hidden()

    page.locator("summary", has_text="Campaigns").click()
    page.get_by_role("link", name="Campaign calendar").click()
    expect(page.get_by_role("heading", name="Campaign calendar")).to_be_visible()
    row = page.locator("#calendar-table tr", has_text="Fleet webinar follow-up")
    expect(row).to_contain_text("Running")
    expect(row).to_contain_text("500")
    expect(page.locator("svg.calendar-chart .calendar-row")).to_have_count(1)
    settle(page)
    screenshot(page, "campaign-lifecycle-calendar", full_page=False)
    sign_out(page)

    sign_in(page, live_server, "sales@example.com")
    page.get_by_role("link", name="Campaign calendar").click()
    expect(page.locator("#calendar-table tr", has_text="Fleet webinar follow-up")).to_contain_text("7")
    settle(page)
    assert page.problems == [], "\n".join(page.problems)
