"""Playwright fixtures for the browser tests: one headless Chromium per pytest worker, one fresh page per test.

Playwright's bundled browsers cannot be downloaded here; the tests drive the system Chromium
at /usr/bin/chromium and skip (a failure in CI, which sets STRICT_NO_SKIPS=1) when it is missing.
"""
from __future__ import annotations

import os
import threading

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def worker(app):
    """The background worker beside the served console, polling as `flask worker` does, for the test's length."""
    from console.outbox.worker import Worker

    runner = Worker(app, name="browser-test-worker", idle_seconds=0.2)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    yield runner
    runner.stop()
    thread.join(timeout=10)
