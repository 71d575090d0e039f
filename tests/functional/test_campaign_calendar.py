"""The campaign calendar: sales and marketing see the campaigns of the past and coming weeks with their dates,
priority, status and expected leads, drawn as an SVG with the same facts in a table; archived ones are left out."""
import re
from datetime import date, timedelta

import pytest

from console.clock import utcnow


@pytest.fixture
def sales(client, auth, users):
    auth.login("sales@example.com")
    return client


def table_row(page: str, campaign_id: int) -> str:
    table = page.split('id="calendar-table"')[1]
    return table.split(f'<tr data-campaign="{campaign_id}">')[1].split("</tr>")[0]


def test_sales_reads_the_calendar_with_every_fact_beside_the_chart(sales, make_campaign, make_lead):
    today = utcnow().date()
    q1 = make_campaign("Q1 launch", start_date=today + timedelta(days=10), end_date=today + timedelta(days=40),
                       priority=8, expected_leads=1200)
    running = make_campaign("Q4 push", start_date=today - timedelta(days=14), end_date=today + timedelta(days=3),
                            priority=10, expected_leads=250)
    make_lead(running)
    response = sales.get("/campaigns/calendar")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<svg class="calendar-chart"' in page and 'role="img"' in page
    assert page.count('<g class="calendar-row') == 2
    assert '<line class="today-line"' in page
    q1_row = table_row(page, q1.id)
    assert f"<td>{(today + timedelta(days=10)).isoformat()}</td>" in q1_row
    assert f"<td>{(today + timedelta(days=40)).isoformat()}</td>" in q1_row
    assert '<td class="num">8</td>' in q1_row and '<td class="num">1,200</td>' in q1_row
    assert 'status-scheduled">Scheduled</span>' in q1_row
    running_row = table_row(page, running.id)
    assert 'status-running">Running</span>' in running_row and '<td class="num">1</td>' in running_row
    # Sales reads; only marketing's rows link to the settings it may open.
    assert f'href="/campaigns/{q1.id}/settings"' not in page
    # In start order: the running campaign, then the one to come.
    assert page.index(f'data-campaign="{running.id}"') < page.index(f'data-campaign="{q1.id}"')


def test_marketing_reaches_each_campaigns_settings_from_the_calendar(client, auth, users, campaign):
    auth.login("marketing@example.com")
    page = client.get("/campaigns/calendar").get_data(as_text=True)
    assert f'<a href="/campaigns/{campaign.id}/settings">Main campaign</a>' in page


def test_a_campaign_without_dates_is_drawn_across_every_week_and_said_to_have_none(sales, campaign):
    page = sales.get("/campaigns/calendar").get_data(as_text=True)
    assert '<rect class="bar undated"' in page and page.count('<polygon class="bar-arrow"') == 2
    assert "<strong>Without dates:</strong>\n    Main campaign\n    has no start or end date" in page
    row = table_row(page, campaign.id)
    assert "<td>No start date</td>" in row and "<td>No end date</td>" in row


def test_archived_and_long_gone_campaigns_are_left_out_and_an_ended_one_shows_when_it_ended(
        sales, make_campaign):
    now = utcnow()
    today = now.date()
    make_campaign("Archived", start_date=today - timedelta(days=10), archived_at=now, ended_at=now, active=False)
    make_campaign("Last year", start_date=today - timedelta(days=400), end_date=today - timedelta(days=300))
    early = make_campaign("Ended early", start_date=today - timedelta(days=20), end_date=today + timedelta(days=20),
                          ended_at=now - timedelta(days=2), active=False)
    page = sales.get("/campaigns/calendar").get_data(as_text=True)
    assert "Archived" not in page and "Last year" not in page
    row = table_row(page, early.id)
    assert f"<td>{(today - timedelta(days=2)).isoformat()} <span class=\"muted\">(ended early)</span></td>" in row
    assert 'status-ended">Ended</span>' in row


def test_earlier_and_later_move_the_weeks_shown_from_a_monday(sales, make_campaign):
    today = utcnow().date()
    far = make_campaign("Next summer", start_date=today + timedelta(days=200), end_date=today + timedelta(days=230))
    page = sales.get("/campaigns/calendar").get_data(as_text=True)
    assert "Next summer" not in page
    later = re.search(r'href="/campaigns/calendar\?from=([0-9-]+)" rel="next"', page).group(1)
    earlier = re.search(r'href="/campaigns/calendar\?from=([0-9-]+)" rel="prev"', page).group(1)
    start = today + timedelta(days=190)
    moved = sales.get(f"/campaigns/calendar?from={start.isoformat()}").get_data(as_text=True)
    assert f'data-campaign="{far.id}"' in moved
    monday = start - timedelta(days=start.weekday())
    assert f"Weeks of {monday:%b} {monday.day}, {monday.year}" in moved
    assert date.fromisoformat(later).weekday() == 0 and date.fromisoformat(earlier).weekday() == 0
    assert date.fromisoformat(later) - date.fromisoformat(earlier) == timedelta(weeks=8)
    assert '<line class="today-line"' not in moved  # today is not in those weeks


@pytest.mark.parametrize("value, message", [
    ("2026-02-30", "Not a valid date value."),
    ("9999-12-31", "Choose a date within 20 years of today."),
    ("0001-01-01", "Choose a date within 20 years of today."),
])
def test_a_wrong_date_to_start_from_says_so_and_shows_the_weeks_around_today(sales, campaign, value, message):
    response = sales.get(f"/campaigns/calendar?from={value}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and '<line class="today-line"' in page


def test_sales_has_the_calendar_in_the_menu_as_a_plain_link_and_marketing_in_the_campaigns_menu(
        client, auth, users):
    auth.login("sales@example.com")
    nav = client.get("/campaigns/calendar").get_data(as_text=True).split('aria-label="Main"')[1].split("</nav>")[0]
    assert '<a href="/campaigns/calendar" aria-current="page">Campaign calendar</a>' in nav
    assert "<summary>Campaigns</summary>" not in nav
    auth.logout()
    auth.login("marketing@example.com")
    nav = client.get("/campaigns/calendar").get_data(as_text=True).split('aria-label="Main"')[1].split("</nav>")[0]
    menu = nav.split("<summary>Campaigns</summary>")[1].split("</details>")[0]
    assert '<a href="/campaigns/" >Campaigns</a>' in menu
    assert '<a href="/campaigns/calendar" aria-current="page">Campaign calendar</a>' in menu


def test_agents_cannot_open_the_calendar(client, auth, users):
    auth.login("teleprospector@example.com")
    assert client.get("/campaigns/calendar").status_code == 403


def test_the_calendar_prints_landscape_without_the_top_bar():
    from pathlib import Path

    css = (Path(__file__).parents[2] / "console" / "static" / "campaigns.css").read_text()
    assert "@page calendar { size: landscape;" in css
    assert "body:has(.calendar-page) .topbar" in css.split("@media print")[1]


def test_the_chart_has_no_inline_style(sales, campaign):
    page = sales.get("/campaigns/calendar").get_data(as_text=True)
    chart = page.split("<svg")[1].split("</svg>")[0]
    assert "style=" not in chart and "<script" not in chart
