"""Every role's main pages, in a real browser, under the console's strict Content-Security-Policy: not one
CSP violation (htmx's swaps included: it is configured to need no inline styles) and not one console error.

A listener for `securitypolicyviolation`, installed by an init script before any page script runs, reports
each violation; console errors and uncaught page errors are collected too. The agent's part is a full
shift in miniature: dial, talk, answer, search, dispositions with auto-advance, the queue, callbacks.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_agent_keyboard import expect_lead
from tests.browser.test_thin_path import ANSWERS, choose_answer, sign_in, sign_out
from tests.builders import winter_day_ahead

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)

WATCH = """
window.__problems = [];
document.addEventListener("securitypolicyviolation", (event) => {
    const text = `CSP ${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`;
    window.__problems.push(text);
    if (window.reportProblem) window.reportProblem(text);
}, true);
"""


@pytest.fixture
def watched(page: Page):
    problems: list[str] = []

    def note(source, text):
        problems.append(f"{page.url}: {text}")

    page.context.expose_binding("reportProblem", note)
    page.add_init_script(WATCH)
    page.on("console", lambda message: message.type == "error" and problems.append(f"{page.url}: console error: "
                                                                                   f"{message.text}"))
    page.on("pageerror", lambda error: problems.append(f"{page.url}: page error: {error}"))
    page.problems = problems
    return page


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    assert page.problems == [], "\n".join(page.problems)


def visit(page: Page, url: str, heading: str | re.Pattern) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    settle(page)


def test_every_roles_main_pages_break_no_content_security_rule_and_log_no_error(
        watched: Page, live_server, users, campaign, default_guide, make_lead):
    page = watched
    jordan = make_lead(campaign, first_name="Jordan", last_name="Rivera", company="Globex Logistics",
                       phone="+12125550101")
    make_lead(campaign, first_name="Morgan", last_name="Lee", company="Initech", phone="+13125550102")
    make_lead(campaign, first_name="Casey", last_name="Nguyen", company="Umbrella Health", phone="+12125550103")

    # The agent: queue, a live call with answers, notes, a search and the help, then dispositions that advance.
    sign_in(page, live_server, "teleprospector@example.com")
    expect(page.locator("#dialable-count")).to_have_text("3")
    settle(page)
    page.keyboard.press("n")
    expect_lead(page, "Jordan Rivera")
    settle(page)
    page.get_by_label("The simulated lead").select_option("answer")
    page.locator("#dial-button").click()
    expect(page.locator("#call-status")).to_have_text("Connected")
    expect(page.locator("#agent-status")).to_contain_text("On a call")
    for label, (_value, reason) in ANSWERS.items():
        choose_answer(page, label, reason)
        expect(page.locator("#score .reasons")).to_contain_text(reason)
    page.get_by_label("Notes").fill("Wants a demo with the CRO.")
    page.get_by_label("Notes").press("Escape")
    expect(page.locator("#notes-status")).to_have_text("Notes saved")
    page.keyboard.press("/")
    page.keyboard.type("price")
    expect(page.locator("#objection-results")).to_contain_text(re.compile("expensive|budget", re.I))
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    settle(page)
    page.keyboard.press("q")
    expect(page.locator('input[name="next_step"]:focus')).to_have_count(1)
    page.keyboard.press("ArrowDown")  # the next step agreed: send information
    page.keyboard.press("Control+Enter")  # hangs up, hands off, and opens the next lead
    expect_lead(page, "Morgan Lee")
    settle(page)
    page.keyboard.press("2")
    page.keyboard.press("Control+Enter")
    expect_lead(page, "Casey Nguyen")
    settle(page)
    page.keyboard.press("8")
    # The time field takes the cursor on the next frame; typing before it would press shortcut keys.
    expect(page.locator("#callback_at")).to_be_focused()
    page.keyboard.type(f"{winter_day_ahead():%m%d%Y}")  # a callback is set within a year
    page.keyboard.press("Tab")
    page.keyboard.type("1030")
    page.keyboard.press("a")
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(live_server + "/queue")
    expect(page.locator(".flash-warning")).to_contain_text("No lead can be called right now")
    settle(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Callbacks").click()
    expect(page.get_by_role("heading", name="Your callbacks")).to_be_visible()
    settle(page)
    visit(page, live_server + "/telephony/settings", re.compile("Calling settings"))
    visit(page, live_server + "/notifications/", "Notifications")
    visit(page, live_server + "/handoffs/feedback", "Feedback from sales")
    sign_out(page)

    # Sales: the hand-offs inbox and packet, the call guides and the guide editor.
    sign_in(page, live_server, "sales@example.com")
    expect(page.get_by_role("row", name=re.compile("Jordan Rivera"))).to_be_visible()
    settle(page)
    page.get_by_role("row", name=re.compile("Jordan Rivera")).get_by_role("link", name="Jordan Rivera").click()
    expect(page).to_have_url(re.compile(r"/handoffs/\d+$"))
    settle(page)
    visit(page, live_server + "/guides/", re.compile("Call guides"))
    page.goto(f"{live_server}/guides/{default_guide.id}/edit")
    expect(page.locator("main form").first).to_be_visible()
    settle(page)
    visit(page, f"{live_server}/guides/{default_guide.id}/history", re.compile(".+"))
    sign_out(page)

    # Marketing: campaigns, a campaign's settings and dispositions, the reports, the lead record (the lead just
    # handed off, with its timeline), the do-not-call list, a campaign's SLA and sales feedback, the review before
    # sales, the routing rules, and the alignment pages (an agenda itself: tests/browser/test_alignment_agenda.py).
    sign_in(page, live_server, "marketing@example.com")
    settle(page)
    for path in ("/campaigns/", "/campaigns/new", "/campaigns/calendar", f"/campaigns/{campaign.id}/settings",
                 f"/campaigns/{campaign.id}/dispositions",
                 f"/telephony/campaigns/{campaign.id}", f"/queue/campaigns/{campaign.id}", "/reports/",
                 f"/reports/campaigns/{campaign.id}", f"/reports/campaigns/{campaign.id}?preset=last_90&grouping=week&by=persona",
                 "/reports/agents", "/leads/?q=riv", f"/leads/{jordan.id}", f"/leads/{jordan.id}/edit",
                 "/do-not-call", f"/sla/campaigns/{campaign.id}", f"/handoffs/campaigns/{campaign.id}/feedback",
                 "/handoffs/review/", "/routing/", "/alignment/", "/alignment/objections", "/alignment/evidence"):
        visit(page, live_server + path, re.compile(".+"))
    sign_out(page)

    # The admin: the outbox, its jobs, the webhook endpoints, notifications, the team, the audit log, the default
    # SLA and sales teams, the team view, the inbox of every hand-off, the API tokens and the API reference.
    sign_in(page, live_server, "admin@example.com")
    settle(page)
    for path in ("/admin/outbox", "/admin/outbox/jobs", "/admin/webhooks", "/notifications/", "/admin/users",
                 "/admin/users/new", f"/admin/users/{users['teleprospector'].id}", "/admin/audit", "/sla/",
                 "/handoffs/team", "/handoffs/", "/admin/api/tokens", "/admin/api/reference"):
        visit(page, live_server + path, re.compile(".+"))
    assert page.request.get(live_server + "/favicon.ico").status == 200
    assert page.problems == [], "\n".join(page.problems)


def test_the_watch_sees_an_inline_style_and_a_console_error(watched: Page, live_server):
    """The check above can fail: an inline style (what htmx's own indicator styles would be) is reported."""
    page = watched
    page.goto(live_server + "/login")
    page.wait_for_load_state("load")
    page.evaluate("""() => {
        document.head.insertAdjacentHTML("beforeend", "<style>.htmx-indicator{opacity:0}</style>");
        document.body.setAttribute("style", "color: red");
    }""")
    expect(page.locator("body")).to_have_attribute("style", "color: red")
    page.wait_for_function("window.__problems.length >= 2")
    assert any("style-src" in problem for problem in page.problems), page.problems
