"""The bell in a real browser: a notification delivered while a page is open shows up without a reload,
and opening it marks it read and goes to its page. No console error or CSP violation on the way."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from console.auth.models import Role
from console.database import writers
from console.extensions import db
from console.notifications import services as notifications
from console.outbox import services as outbox
from console.outbox.worker import Worker
from tests.browser.test_thin_path import screenshot, sign_in

pytestmark = pytest.mark.browser

expect.set_options(timeout=10_000)


def notify(app, user, title, *, body="", url=None) -> None:
    """As the console notifies: enqueued in a transaction, then delivered by the worker (this process,
    the live server's database)."""
    with writers.write_transaction(db.session):
        outbox.notify([user.id], title, body=body, url=url)
    Worker(app, name="browser-test-worker").run(once=True)


def watch_for_errors(page: Page) -> list[str]:
    """Every console error (a CSP violation is one) and uncaught exception on the page, as they happen."""
    problems: list[str] = []

    def on_console(message) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


def test_a_notification_delivered_while_the_page_is_open_rings_the_bell_without_a_reload(
        page: Page, live_server, app, users, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATIONS_POLL_SECONDS", 1)
    problems = watch_for_errors(page)
    sales = users[Role.SALES]
    notify(app, sales, "Weekly call guide review moved to Thursday",
           body="Marketing published version 3 of the default guide.")
    notifications.mark_all_read(sales)

    sign_in(page, live_server, "sales@example.com")
    expect(page).to_have_url(live_server + "/handoffs/")
    bell = page.get_by_role("link", name=re.compile(r"^Notifications,"))
    expect(bell).to_have_accessible_name("Notifications, none unread")
    page.evaluate("window.stillTheSamePage = true")  # a reload or navigation would forget it

    notify(app, sales, "Hand-off waiting: Jordan Rivera (Globex Logistics)",
           body="Score 100 (hot). Accept or reject it.", url="/handoffs/")

    expect(bell).to_have_accessible_name("Notifications, 1 unread")
    expect(page.locator("#notification-bell .count")).to_have_text("1")
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page).to_have_url(live_server + "/handoffs/")

    bell.click()
    expect(page).to_have_url(live_server + "/notifications/")
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    items = page.locator("li.notification")
    expect(items).to_have_count(2)
    expect(items.first).to_have_class(re.compile(r"\bis-unread\b"))
    expect(items.first).to_contain_text("Unread")
    expect(items.nth(1)).not_to_have_class(re.compile(r"\bis-unread\b"))
    expect(page.get_by_role("button", name="Mark all read")).to_be_visible()
    screenshot(page, "notifications", full_page=False)

    page.get_by_role("button", name="Hand-off waiting: Jordan Rivera (Globex Logistics)").click()
    expect(page).to_have_url(live_server + "/handoffs/")
    expect(bell).to_have_accessible_name("Notifications, none unread")
    expect(page.locator("#notification-bell .count")).to_have_count(0)

    assert problems == []
