"""The rest of the API: campaigns and their report, the do-not-call list (admins), the hello world, routes and
methods it does not have, and the rate limit with Retry-After."""
from datetime import date

from sqlalchemy import func, select

from console.api import services
from console.audit.models import AuditEvent
from console.auth.models import Role
from console.compliance.models import DoNotCallEntry
from console.extensions import db
from tests.functional.api_support import bearer  # noqa: F401  (a fixture)

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN


def test_campaigns_are_listed_with_their_status(client, users, campaign, bearer):
    response = client.get("/api/v1/campaigns", headers=bearer(M))
    assert response.status_code == 200
    assert response.get_json()["campaigns"] == [{
        "id": campaign.id, "name": "Main campaign", "status": campaign.status(), "source": "webinar",
        "start_date": None, "end_date": None, "budget_cents": None}]


def test_a_campaigns_report_takes_a_date_range_and_checks_it(client, users, campaign, bearer, make_lead):
    from console.reports import services as reports

    make_lead(campaign)
    headers = bearer(M)
    url = f"/api/v1/campaigns/{campaign.id}/report"
    report = client.get(url + "?from=2026-01-01&to=2026-12-31", headers=headers)
    assert report.status_code == 200
    figures = report.get_json()
    assert figures["from"] == "2026-01-01" and figures["to"] == "2026-12-31"
    # the page's figures, by the page's own service, in the token user's zone
    page = reports.campaign_report(campaign, date(2026, 1, 1), date(2026, 12, 31), figures["time_zone"])
    for name in ("dials", "connects", "conversations", "qualified", "handed_over", "accepted", "won", "won_cents"):
        assert figures[name] == getattr(page, name)
    assert [clock["clock"] for clock in figures["sla"]] == ["handover", "accept", "first_contact"]
    by_default = client.get(url, headers=headers).get_json()
    assert (date.fromisoformat(by_default["to"]) - date.fromisoformat(by_default["from"])).days == 29
    assert client.get(url + "?from=2026-01-01&to=2026-12-31&attribution=last",
                      headers=headers).get_json()["attribution"] == "last"
    backwards = client.get(url + "?from=2026-12-31&to=2026-01-01", headers=headers)
    assert backwards.status_code == 422 and "to" in backwards.get_json()["error"]["fields"]
    assert client.get(url + "?from=2020-01-01&to=2026-12-31", headers=headers).status_code == 422  # over 3 years
    assert client.get(url + "?from=2026-02-30", headers=headers).status_code == 422
    assert client.get(url + "?attribution=middle", headers=headers).status_code == 422
    assert client.get("/api/v1/campaigns/999999/report", headers=headers).status_code == 404
    assert client.get(url, headers=bearer(S)).status_code == 403


def test_an_admin_token_lists_and_unlists_a_number(client, users, campaign, bearer):
    headers = bearer(A, "Compliance bot")
    listed = client.post("/api/v1/do-not-call", json={"phone": "(212) 555-0100", "reason": "asked"}, headers=headers)
    assert listed.status_code == 201
    assert listed.get_json()["phone"] == "+12125550100" and listed.get_json()["already_listed"] is False
    again = client.post("/api/v1/do-not-call", json={"phone": "+12125550100"}, headers=headers)
    assert again.status_code == 200 and again.get_json()["already_listed"] is True
    assert client.post("/api/v1/do-not-call", json={"phone": "12"}, headers=headers).status_code == 422
    assert client.delete("/api/v1/do-not-call/+12125550100", headers=headers).status_code == 422  # no reason
    removed = client.delete("/api/v1/do-not-call/+12125550100?reason=listed+in+error", headers=headers)
    assert removed.status_code == 200 and removed.get_json() == {"removed": True, "phone": "+12125550100"}
    assert client.delete("/api/v1/do-not-call/+12125550100?reason=x", headers=headers).status_code == 404
    db.session.rollback()
    assert db.session.scalar(select(func.count(DoNotCallEntry.id))) == 0
    tokens = {event.detail.get("token") for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("api.do_not_call%")))}
    assert tokens == {"Compliance bot"}


def test_only_admin_tokens_change_the_do_not_call_list(client, users, bearer):
    response = client.post("/api/v1/do-not-call", json={"phone": "+12125550100"}, headers=bearer(M))
    assert response.status_code == 403
    assert client.delete("/api/v1/do-not-call/+12125550100?reason=x", headers=bearer(M)).status_code == 403


def test_the_hello_world_needs_no_token(client):
    response = client.get("/api/v1/ping")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_a_route_or_method_the_api_does_not_have_is_json(client, users, bearer):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong_method = client.put("/api/v1/leads", headers=bearer(M))
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in wrong_method.headers["Allow"]


def test_a_token_over_its_limit_is_told_when_to_come_back(app, client, users, bearer, monkeypatch):
    monkeypatch.setattr(services, "epoch_now", lambda: 1_800_000_030.0)  # half way through a window
    headers = bearer(M)
    app.config["API_RATE_LIMIT_PER_MINUTE"] = 3
    try:
        statuses = [client.get("/api/v1/campaigns", headers=headers).status_code for _ in range(5)]
        refused = client.get("/api/v1/campaigns", headers=headers)
    finally:
        app.config.pop("API_RATE_LIMIT_PER_MINUTE")
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert refused.headers["Retry-After"] == "30"
