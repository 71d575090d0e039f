"""The hand-off's loop in a real browser: sales rejects a lead as bad data, the agent reads why on their feedback
page (counted in the top bar until read) and qualifies it again; sales accepts, records the first contact and a
won deal; marketing sees the won amount on the campaign's sales feedback tab."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from console.calls import services as call_services
from console.extensions import db
from console.queue.services import claim_next_lead
from tests.browser.test_thin_path import screenshot, sign_in, sign_out

pytestmark = pytest.mark.browser

STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


def _qualify(agent):
    call = claim_next_lead(agent)
    for key, value in STRONG.items():
        call_services.save_answer(call, agent, key, value)
    return call_services.record_disposition(call, agent, "qualified")


def test_a_rejection_reaches_the_agent_and_a_won_deal_reaches_marketing(page: Page, live_server, users, campaign,
                                                                         make_lead):
    make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics")
    handoff = _qualify(users["teleprospector"])

    sign_in(page, live_server, "sales@example.com")
    page.goto(f"{live_server}/handoffs/{handoff.id}")
    page.get_by_text("Reject it").click()
    page.get_by_role("radio", name="Bad data").check()
    page.get_by_label("Comment (the agent and marketing read it)").fill("The number is the switchboard.")
    screenshot(page, "loop-01-reject-bad-data", full_page=False)
    page.get_by_role("button", name="Reject", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("rejected (bad data)")
    sign_out(page)

    sign_in(page, live_server, "teleprospector@example.com")
    feedback_link = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Feedback"))
    expect(feedback_link).to_contain_text("1 new")
    feedback_link.click()
    row = page.get_by_role("row", name=re.compile("Jordan Rivera"))
    expect(row).to_contain_text("Bad data")
    expect(row).to_contain_text("The number is the switchboard.")
    screenshot(page, "loop-02-agent-feedback", full_page=False)
    page.reload()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Feedback"))) \
        .not_to_contain_text("new")
    sign_out(page)

    db.session.rollback()  # read what the served console committed
    second = _qualify(users["teleprospector"])  # the agent's callback, the number corrected on the call
    assert second.lead_id == handoff.lead_id

    sign_in(page, live_server, "sales@example.com")
    page.goto(f"{live_server}/handoffs/{second.id}")
    page.get_by_role("button", name="Accept the lead").click()
    page.get_by_role("radio", name="Call").check()
    page.get_by_role("button", name="Record first contact").click()
    expect(page.locator("#progress")).to_contain_text("Call,")
    page.get_by_text("Won", exact=True).click()
    page.get_by_label("Amount won").fill("12,500.00")
    page.get_by_role("button", name="Record the win").click()
    expect(page.locator("#outcome")).to_contain_text("Won 12,500.00")
    screenshot(page, "loop-03-packet-won", full_page=False)
    sign_out(page)

    sign_in(page, live_server, "marketing@example.com")
    page.goto(f"{live_server}/campaigns/{campaign.id}/settings")
    page.get_by_role("navigation", name=f"Pages of {campaign.name}").get_by_role("link", name="Sales feedback").click()
    expect(page.locator("#kpi-won-amount")).to_have_text("12,500.00")
    expect(page.locator("#kpi-rejected-clerical")).to_have_text("1")
    expect(page.get_by_role("row", name=re.compile("The number is the switchboard"))).to_be_visible()
    screenshot(page, "loop-04-campaign-sales-feedback", full_page=False)
