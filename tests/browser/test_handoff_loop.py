"""The hand-off loop of issue 16, every step clicked through in a real browser: an agent qualifies a lead on the
call screen; the sales member hears of it (the bell, through the outbox and the worker) and rejects it as bad data;
the agent reads why (feedback, and on the call screen when the lead comes back as their callback), corrects the
contact details on the call and qualifies it again; sales accepts, records the first contact and a won deal; the
campaign shows the won amount to marketing. No console error or CSP violation on the way."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from console.outbox.worker import Worker
from tests.browser.test_notification_bell import watch_for_errors
from tests.browser.test_thin_path import ANSWERS, choose_answer, screenshot, sign_in, sign_out

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)

WHY = "The email bounces: ask Jordan for the right one."


def deliver(app) -> None:
    """What the worker sends next (notifications, emails): it runs beside the console in production."""
    Worker(app, name="browser-test-worker").run(once=True)


def qualify_on_the_call_screen(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/queue")
    expect(page.locator("#dialable-count")).to_have_text("1")
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(r"/calls/\d+$"))
    expect(page.locator("#lead-heading")).to_have_text("Jordan Rivera")
    score = page.locator("#score")
    for label, (_value, reason) in ANSWERS.items():
        if not page.get_by_role("group", name=re.compile(rf"^{label}\b")).get_by_role(
                "radio", name=reason, exact=True).is_checked():
            choose_answer(page, label, reason)
            expect(score.locator(".reasons")).to_contain_text(reason)
    page.keyboard.press("q")
    expect(page.get_by_role("radio", name="Qualified")).to_be_checked()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="Send information")).to_be_checked()
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(live_server + "/queue")
    expect(page.locator(".flash-success")).to_contain_text("Jordan Rivera qualified")


def test_a_rejected_lead_goes_back_to_its_agent_is_fixed_requalified_and_won(page: Page, live_server, app, users,
                                                                              campaign, make_lead):
    problems = watch_for_errors(page)
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics",
              email="jordan@globex.example")

    # 1. The agent qualifies the lead.
    sign_in(page, live_server, "teleprospector@example.com")
    qualify_on_the_call_screen(page, live_server)
    sign_out(page)
    deliver(app)

    # 2. The sales member hears of it, opens the packet from the notification, rejects it as bad data.
    sign_in(page, live_server, "sales@example.com")
    expect(page.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()
    page.get_by_role("link", name="Notifications, 1 unread").click()
    page.get_by_role("button", name="New hand-off: Jordan Rivera, Globex Logistics").click()
    expect(page).to_have_url(re.compile(r"/handoffs/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("Jordan Rivera"))).to_be_visible()
    page.emulate_media(media="print")  # printed: the record alone, no top bar, no decision to take
    expect(page.locator("#packet-record")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.locator("#actions-heading")).to_be_hidden()
    page.emulate_media(media="screen")
    page.get_by_text("Reject it").click()
    page.get_by_role("radio", name="Bad data").check()
    page.get_by_label("Comment (the agent and marketing read it)").fill(WHY)
    page.get_by_role("button", name="Reject", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("rejected (bad data)")
    sign_out(page)
    deliver(app)

    # 3. The agent reads why, gets the lead back as their callback, sees why on the call, corrects the email and
    #    qualifies it again.
    sign_in(page, live_server, "teleprospector@example.com")
    feedback = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Feedback"))
    expect(feedback).to_contain_text("1 new")
    feedback.click()
    expect(page.get_by_role("row", name=re.compile("Jordan Rivera"))).to_contain_text(WHY)
    page.reload()  # read now: the count goes
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Feedback"))) \
        .not_to_contain_text("new")
    page.goto(f"{live_server}/queue")
    expect(page.locator("#dialable-count")).to_have_text("1")
    page.keyboard.press("n")
    expect(page.locator("#lead-heading")).to_have_text("Jordan Rivera")
    expect(page.locator("#recall-note")).to_contain_text("Sent back by sales")
    expect(page.locator("#recall-note")).to_contain_text(WHY)
    page.get_by_text("Correct contact details").click()
    page.locator("#contact-fix").get_by_label("Email").fill("j.rivera@globex.example")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.locator(".flash-success")).to_contain_text("Contact details corrected.")
    expect(page.locator(".lead-context")).to_contain_text("j.rivera@globex.example")
    screenshot(page, "handoff-loop-01-corrected-on-the-call", full_page=False)
    page.wait_for_load_state("load")
    score = page.locator("#score")
    expect(score.locator(".band")).to_have_text(re.compile(r"Hot"))
    page.keyboard.press("q")
    expect(page.get_by_role("radio", name="Qualified")).to_be_checked()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(live_server + "/queue")
    expect(page.locator(".flash-success")).to_contain_text("Jordan Rivera qualified")
    sign_out(page)
    deliver(app)

    # 4. Sales accepts the new hand-off, records the first contact and the win.
    sign_in(page, live_server, "sales@example.com")
    new = page.get_by_role("region", name=re.compile("^New"))
    expect(page.get_by_role("region", name=re.compile("^Decided"))).to_contain_text("Rejected")
    new.get_by_role("link", name="Jordan Rivera").click()
    expect(page.locator("#packet-record")).to_contain_text("j.rivera@globex.example")
    page.get_by_role("button", name="Accept the lead").click()
    page.get_by_role("radio", name="Call").check()
    page.get_by_role("button", name="Record first contact").click()
    expect(page.locator("#progress")).to_contain_text("Call,")
    page.get_by_text("Won", exact=True).click()
    page.get_by_label("Amount won").fill("12,500.00")
    page.get_by_role("button", name="Record the win").click()
    expect(page.locator("#outcome")).to_contain_text("Won 12,500.00")
    screenshot(page, "handoff-loop-02-won", full_page=False)
    sign_out(page)

    # 5. Marketing sees the won amount on the campaign.
    sign_in(page, live_server, "marketing@example.com")
    page.goto(f"{live_server}/campaigns/{campaign.id}/settings")
    page.get_by_role("navigation", name=f"Pages of {campaign.name}").get_by_role("link", name="Sales feedback").click()
    expect(page.locator("#kpi-won-amount")).to_have_text("12,500.00")
    expect(page.locator("#kpi-rejected-clerical")).to_have_text("1")
    expect(page.get_by_role("row", name=re.compile(re.escape(WHY)))).to_be_visible()
    screenshot(page, "handoff-loop-03-campaign", full_page=False)
    assert problems == []
