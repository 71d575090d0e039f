"""From an empty campaign list to a call, in a real browser: a marketing manager creates a campaign, imports a
file whose columns she maps, watches the progress bar, downloads the report of the rows not imported; an agent
then calls one of the imported leads. The background worker runs beside the served console, as ./scripts/start
runs it. Not one CSP violation or console error.

Screenshots land in test-artifacts/screenshots/lead-import-*.png.
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_no_csp_violations import settle, watched  # noqa: F401  (watched: a fixture)
from tests.browser.test_thin_path import screenshot, sign_in, sign_out

pytestmark = pytest.mark.browser

LIST = ("Contact,Société,Ligne directe,E-mail,State,Fleet size\n"
        "Avery Quinn,Harbor Freight Lines,(212) 555-0147,avery@harborfreight.example,NY,120\n"
        "Blake Moss,Harbor Freight Lines,212.555.0148,blake@harborfreight.example,NY,120\n"
        "Casey Doe,Cedar Logistics,12345,casey@cedar.example,IL,40\n"
        "Drew Park,Cedar Logistics,(212) 555-0147,drew@cedar.example,NY,40\n")


def test_marketing_loads_a_list_into_a_new_campaign_and_an_agent_calls_an_imported_lead(
        watched: Page, live_server, users, default_guide, worker, tmp_path):
    page = watched
    sign_in(page, live_server, "marketing@example.com")

    # A campaign from scratch, with a lead field of its own.
    page.goto(f"{live_server}/campaigns/new")
    page.get_by_label("Name").fill("Fleet safety webinar")
    page.get_by_label("Source / channel").fill("Webinar")
    page.get_by_label("Call guide").select_option(label=default_guide.name)
    page.get_by_label("Label of a new lead field").first.fill("Fleet size")
    page.get_by_label("Running: agents get its leads").check()
    page.get_by_role("button", name="Create campaign").click()
    expect(page.get_by_text("Fleet safety webinar: campaign created, running.")).to_be_visible()

    # Its Lists tab leads to the import.
    page.get_by_role("link", name="Lists", exact=True).click()
    expect(page.get_by_text("No list has been loaded into this campaign yet.")).to_be_visible()
    page.get_by_role("link", name="Import a list").click()
    expect(page.get_by_role("heading", name="Import a list of leads")).to_be_visible()
    expect(page.get_by_label("Campaign")).to_have_value(re.compile(r"\d+"))
    expect(page.get_by_label("Campaign").locator("option:checked")).to_have_text("Fleet safety webinar")
    upload = tmp_path / "webinar-attendees.csv"
    upload.write_text(LIST, encoding="cp1252")  # Société: saved by a spreadsheet in Windows-1252
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_label("Source").fill("Webinar attendees")
    settle(page)
    page.get_by_role("button", name="Upload and map columns").click()

    # The mapping: what the console could guess, the rest chosen by hand.
    expect(page.get_by_role("heading", name="Map the columns of webinar-attendees.csv")).to_be_visible()
    expect(page.get_by_text("read as Windows-1252, comma-separated")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_value("email")
    expect(page.get_by_label("State")).to_have_value("state")
    expect(page.get_by_label("Fleet size")).to_have_value("custom.fleet_size")
    page.get_by_label("Contact").select_option(label="Full name")
    page.get_by_label("Société").select_option(label="Company")
    screenshot(page, "lead-import-mapping")
    page.get_by_role("button", name="Import the list").click()

    # The phone column is not mapped yet: refused, the choices made kept.
    expect(page.get_by_text("Map a column to Phone")).to_be_visible()
    expect(page.get_by_label("Société")).to_have_value("company")
    assert [problem.split(": console error: ")[1] for problem in page.problems] == [
        "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"]
    page.problems.clear()
    page.get_by_label("Ligne directe").select_option(label="Phone")
    page.get_by_role("button", name="Import the list").click()

    # The worker imports it; the page follows the progress without a reload.
    expect(page.get_by_role("heading", name="webinar-attendees.csv")).to_be_visible()
    expect(page.locator("#import-progress .import-status")).to_have_text("Imported", timeout=20_000)
    expect(page.locator("#import-progress progress")).to_have_attribute("value", "100")
    outcome_table = page.locator(".outcome-table")
    expect(outcome_table.locator("tr", has_text="Imported").locator("td").first).to_have_text("2")
    expect(outcome_table.locator("tr", has_text="Duplicate").locator("td").first).to_have_text("1")
    expect(outcome_table.locator("tr", has_text="Rejected").locator("td").first).to_have_text("1")
    expect(page.get_by_text("phone '12345' is not a valid number")).to_be_visible()
    expect(page.get_by_text("same phone as line 2 of this file")).to_be_visible()
    settle(page)
    screenshot(page, "lead-import-done")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the row report (CSV)").click()
    report = download_info.value
    rows = list(csv.reader(io.StringIO(open(report.path(), encoding="utf-8-sig").read())))
    assert rows[0][:4] == ["line", "outcome", "reason", "lead id"]
    assert [row[:3] for row in rows[1:]] == [["4", "Rejected", "phone '12345' is not a valid number"],
                                            ["5", "Duplicate", "same phone as line 2 of this file"]]
    assert rows[1][4:6] == ["Casey Doe", "Cedar Logistics"]
    sign_out(page)

    # An agent's next lead is one of the imported ones, with its own field on the call screen.
    sign_in(page, live_server, "teleprospector@example.com")
    page.get_by_role("button", name=re.compile("Next lead")).click()
    expect(page).to_have_url(re.compile(r"/calls/\d+$"))
    expect(page.locator("#lead-heading")).to_have_text(re.compile(r"^(Avery Quinn|Blake Moss)$"))
    expect(page.get_by_text("Harbor Freight Lines").first).to_be_visible()
    expect(page.get_by_text("Fleet size")).to_be_visible()
    settle(page)
    screenshot(page, "lead-import-call-screen")
