"""The report pages over HTTP: a range from the query string (or its error, never a 5xx), the figures shown, every
table as CSV with would-be formulas written as text, and the campaign's budget typed in its settings."""
import csv
import io
from datetime import datetime

import pytest

from console.auth.models import Role
from console.campaigns.models import Campaign
from console.extensions import db
from tests.integration.report_world import add_call, add_handoff

NAUGHTY = ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.fixture
def marketing(client, auth, users):
    auth.login("marketing@example.com")
    return client


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_campaign_report_shows_the_figures_of_the_range(marketing, campaign, make_lead, users):
    lead = make_lead(campaign)
    call = add_call(lead, users[Role.TELEPROSPECTOR], "qualified", datetime(2026, 3, 3, 15))
    add_handoff(call, users[Role.SALES], datetime(2026, 3, 3, 16))
    page = marketing.get(f"/reports/campaigns/{campaign.id}?from=2026-03-01&to=2026-03-31")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="kpi-dials">1<' in html and 'id="kpi-qualified">1<' in html and 'id="kpi-handed-over">1<' in html
    assert "What the figures mean" in html and "<svg" in html
    assert 'aria-current="page">Report<' in html  # the campaign's Report tab


def test_a_range_outside_the_calls_shows_none(marketing, campaign, make_lead, users):
    add_call(make_lead(campaign), users[Role.TELEPROSPECTOR], "busy", datetime(2026, 3, 3, 15))
    html = marketing.get(f"/reports/campaigns/{campaign.id}?from=2026-04-01&to=2026-04-30").get_data(as_text=True)
    assert 'id="kpi-dials">0<' in html


@pytest.mark.parametrize("query, message", [
    ("from=garbage&to=2026-03-01", "Not a valid date"),
    ("from=2026-03-10&to=2026-03-01", "The range ends before it starts."),
    ("from=99999-01-01&to=2026-03-01", "Not a valid date"),
    ("from=2020-01-01&to=2026-03-01", "at most"),
    ("from=2026-03-01", "Give the first and the last day"),
    ("preset=forever", "Not a valid choice"),
    ("grouping=hour", "Not a valid choice"),
    ("attribution=middle", "Not a valid choice"),
])
def test_a_malformed_range_comes_back_on_the_form(marketing, campaign, query, message):
    for url in (f"/reports/campaigns/{campaign.id}?{query}", f"/reports/?{query}", f"/reports/agents?{query}"):
        response = marketing.get(url)
        assert response.status_code == 422, url
        assert message in response.get_data(as_text=True), url


def test_a_malformed_range_refuses_the_csv(marketing, campaign):
    assert marketing.get("/reports/campaigns.csv?from=garbage").status_code == 400
    assert marketing.get(f"/reports/campaigns/{campaign.id}/funnel.csv?to=99999-01-01").status_code == 400
    assert marketing.get(f"/reports/campaigns/{campaign.id}/nothing.csv").status_code == 404


def test_presets_cover_the_days_they_say(marketing, campaign):
    html = marketing.get("/reports/?preset=last_7").get_data(as_text=True)
    assert 'aria-current="true">Last 7 days<' in html


def test_every_report_table_writes_would_be_formulas_as_text(marketing, make_campaign, make_lead, make_user, users):
    for index, naughty in enumerate(NAUGHTY):
        campaign = make_campaign(naughty)
        agent = make_user(Role.TELEPROSPECTOR, email=f"agent{index}@example.com", full_name=naughty)
        lead = make_lead(campaign, source=naughty, buying_role=naughty)
        add_handoff(add_call(lead, agent, "qualified", datetime(2026, 3, 3, 15)), users[Role.SALES],
                    datetime(2026, 3, 3, 16))
    query = "from=2026-03-01&to=2026-03-31"
    campaigns = _csv(marketing.get(f"/reports/campaigns.csv?{query}"))
    agents = _csv(marketing.get(f"/reports/agents.csv?{query}"))
    names = {row[0] for row in campaigns[1:]} | {row[0] for row in agents[1:]}
    for naughty in NAUGHTY:
        assert "'" + naughty in names
    for by in ("source", "persona", "agent"):
        campaign = db.session.query(Campaign).filter_by(name="=1+1").one()
        rows = _csv(marketing.get(f"/reports/campaigns/{campaign.id}/breakdown.csv?{query}&by={by}"))
        assert rows[1][0] == "'=1+1"


def test_each_campaign_table_exports_with_its_header(marketing, campaign, make_lead, users):
    add_call(make_lead(campaign), users[Role.TELEPROSPECTOR], "qualified", datetime(2026, 3, 3, 15))
    query = "from=2026-03-01&to=2026-03-31"
    funnel = _csv(marketing.get(f"/reports/campaigns/{campaign.id}/funnel.csv?{query}"))
    assert funnel[0] == ["Step", "Count", "Of the step before %"]
    assert funnel[1] == ["Dials", "1", ""] and funnel[4] == ["Qualified", "1", "100.0"]
    trend = _csv(marketing.get(f"/reports/campaigns/{campaign.id}/trend.csv?{query}&grouping=week"))
    assert sum(int(row[2]) for row in trend[1:]) == 1
    figures = _csv(marketing.get(f"/reports/campaigns/{campaign.id}/figures.csv?{query}"))
    assert figures[1][0] == "Main campaign" and figures[1][1] == "1"


def test_marketing_gives_a_campaign_a_budget_in_the_currency_unit(marketing, auth, campaign):
    form = marketing.get(f"/campaigns/{campaign.id}/settings").get_data(as_text=True)
    assert 'name="budget_cents"' in form
    data = {"name": campaign.name, "source": "webinar", "priority": "0", "calling_start": "08:00",
            "calling_end": "20:00", "calling_days": ["1", "2"], "max_attempts": "3", "min_retry_minutes": "60",
            "call_guide_id": "0", "budget_cents": "12,500.50", "csrf_token": auth.csrf_token()}
    assert marketing.post(f"/campaigns/{campaign.id}/settings", data=data).status_code == 303
    db.session.rollback()
    assert db.session.get(Campaign, campaign.id).budget_cents == 1_250_050
    refused = marketing.post(f"/campaigns/{campaign.id}/settings", data={**data, "budget_cents": "lots"})
    assert refused.status_code == 422 and "Write an amount" in refused.get_data(as_text=True)


def test_a_range_error_is_said_once_beside_its_field(marketing, campaign):
    html = marketing.get(f"/reports/campaigns/{campaign.id}?from=2026-03-10&to=2026-03-01").get_data(as_text=True)
    assert html.count("The range ends before it starts.") == 1
    assert 'id="to-error"' in html
