"""Marketing creates a campaign in the browser, runs its life (pause, resume, end, archive, unarchive) and finds it in
the campaign list; every step audited, every refusal said in words, what was typed kept."""
import re

import pytest
from sqlalchemy import select

from console.audit.models import AuditEvent
from console.campaigns.models import Campaign
from console.extensions import db
from tests.functional.test_campaigns_settings import fresh, post

NEW = {"name": "Spring webinar follow-up", "source": "webinar", "message": "Offer the recording and a demo.",
       "start_date": "2026-12-01", "end_date": "2027-01-31", "priority": "4", "expected_leads": "1200",
       "call_guide_id": "0", "caller_id": "(212) 555-0100", "calling_start": "09:00", "calling_end": "18:00",
       "calling_days": ["1", "2", "3", "4", "5"], "holidays": "2026-12-25", "excluded_states": "TX",
       "max_attempts": "5", "min_retry_minutes": "90", "start_as": "running",
       "custom_fields-0-key": "", "custom_fields-0-label": "Fleet size",
       "custom_fields-1-key": "", "custom_fields-1-label": "Current vendor",
       "custom_fields-2-key": "", "custom_fields-2-label": ""}


@pytest.fixture
def marketing(client, auth, users):
    auth.login("marketing@example.com")
    return client


def named(name: str) -> Campaign | None:
    db.session.rollback()
    return db.session.scalar(select(Campaign).where(Campaign.name == name))


def audit_actions(campaign_id: int) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "Campaign",
                                                                   AuditEvent.subject_id == campaign_id)
                                   .order_by(AuditEvent.id)))


# ---------------------------------------------------------------- creating a campaign

def test_the_new_campaign_form_proposes_weekday_calling_and_blank_lead_fields(marketing):
    page = marketing.get("/campaigns/new").get_data(as_text=True)
    assert re.search(r'<input checked id="calling_days-0" name="calling_days" type="checkbox" value="1">', page)
    assert re.search(r'<input id="calling_days-5" name="calling_days" type="checkbox" value="6">', page)
    assert re.search(r'<input id="calling_start" name="calling_start" [^>]*value="09:00">', page)
    assert 'name="custom_fields-2-label"' in page and 'name="custom_fields-3-label"' not in page
    assert re.search(r'<input checked id="start_as-0" name="start_as" [^>]*value="running">', page)


def test_marketing_creates_a_campaign_and_lands_on_its_settings(marketing, auth):
    response = post(marketing, auth, "/campaigns/new", NEW)
    campaign = named("Spring webinar follow-up")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/campaigns/{campaign.id}/settings"
    assert (campaign.source, campaign.message, campaign.priority, campaign.expected_leads) == (
        "webinar", "Offer the recording and a demo.", 4, 1200)
    assert (campaign.start_date.isoformat(), campaign.end_date.isoformat()) == ("2026-12-01", "2027-01-31")
    assert campaign.caller_id == "+12125550100"  # normalised to E.164
    assert (campaign.calling_days, campaign.holidays, campaign.excluded_states) == ("12345", ["2026-12-25"], ["TX"])
    assert (campaign.max_attempts, campaign.min_retry_minutes, campaign.call_guide_id) == (5, 90, None)
    assert campaign.custom_fields == [{"key": "fleet_size", "label": "Fleet size"},
                                      {"key": "current_vendor", "label": "Current vendor"}]
    assert campaign.active and campaign.ended_at is None and campaign.archived_at is None
    page = marketing.get(response.headers["Location"]).get_data(as_text=True)
    assert "Spring webinar follow-up: campaign created, scheduled." in page  # it starts on Dec 1
    assert '<code>fleet_size</code>' in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "campaign.created")).one()
    assert event.subject_id == campaign.id and event.detail["running"] is True
    assert event.detail["settings"]["caller_id"] == "+12125550100"


def test_a_campaign_created_paused_serves_no_lead_until_resumed(marketing, auth):
    post(marketing, auth, "/campaigns/new", {**NEW, "start_date": "", "start_as": "paused"})
    campaign = named("Spring webinar follow-up")
    assert not campaign.active and campaign.status() == "paused"


@pytest.mark.parametrize("changes, field, message", [
    ({"name": ""}, "name", "Give the campaign a name."),
    ({"caller_id": "555"}, "caller_id", "The caller ID is not a valid number: &#39;555&#39;."),
    ({"caller_id": "call me"}, "caller_id", "The caller ID is not a phone number: &#39;call me&#39;."),
    ({"end_date": "2026-11-01"}, "end_date", "The campaign cannot end before it starts."),
    ({"expected_leads": "lots"}, "expected_leads", "Not a valid integer value."),
    ({"custom_fields-1-label": "fleet size"}, "custom_fields", "Two lead fields are called &#39;fleet size&#39;"),
    ({"custom_fields-0-label": "x" * 61}, None, "Field cannot be longer than 60 characters."),
    ({"start_as": "sometimes"}, None, "Not a valid choice."),
])
def test_a_new_campaign_with_bad_input_is_refused_beside_the_field_and_keeps_what_was_typed(
        marketing, auth, changes, field, message):
    data = {**NEW, **changes}
    response = post(marketing, auth, "/campaigns/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The campaign was not created" in page and message in page
    if field:
        assert re.search(rf'<p class="field-error" id="{field}-error">{re.escape(message)}', page)
    for kept in ("Offer the recording and a demo.", 'value="webinar"', "2026-12-25</textarea>"):
        assert kept in page
    assert named(data["name"] or "Spring webinar follow-up") is None


def test_a_name_another_campaign_has_is_refused_on_the_name_field(marketing, auth, campaign):
    response = post(marketing, auth, "/campaigns/new", {**NEW, "name": campaign.name})
    assert response.status_code == 422
    assert 'id="name-error">Another campaign already has this name.' in response.get_data(as_text=True)


def test_several_wrong_fields_are_all_reported_at_once(marketing, auth, campaign):
    response = post(marketing, auth, "/campaigns/new", {**NEW, "name": campaign.name, "caller_id": "555",
                                                        "custom_fields-1-label": "Fleet Size"})
    page = response.get_data(as_text=True)
    assert 'id="name-error"' in page and 'id="caller_id-error"' in page and 'id="custom_fields-error"' in page


# ---------------------------------------------------------------- the settings tab: the new fields

def test_the_settings_tab_edits_expected_leads_and_lead_fields_keeping_keys_on_rename(marketing, auth, campaign):
    campaign.custom_fields = [{"key": "fleet_size", "label": "Fleet size"}]
    db.session.commit()
    page = marketing.get(f"/campaigns/{campaign.id}/settings").get_data(as_text=True)
    assert 'name="custom_fields-0-key" type="hidden" value="fleet_size"' in page
    assert 'name="custom_fields-0-label" type="text" value="Fleet size"' in page
    assert 'name="custom_fields-1-label" type="text" value=""' in page  # a blank row for a new field
    form = {**{key: value for key, value in NEW.items() if not key.startswith("custom_fields")},
            "name": campaign.name, "expected_leads": "300",
            "custom_fields-0-key": "fleet_size", "custom_fields-0-label": "Trucks in the fleet",
            "custom_fields-1-key": "", "custom_fields-1-label": "Fleet size"}
    response = post(marketing, auth, f"/campaigns/{campaign.id}/settings", form)
    assert response.status_code == 303
    saved = fresh(Campaign, campaign.id)
    assert saved.expected_leads == 300
    assert saved.custom_fields == [{"key": "fleet_size", "label": "Trucks in the fleet"},
                                   {"key": "fleet_size_2", "label": "Fleet size"}]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "campaign.updated")).one()
    assert event.detail["changes"]["expected_leads"] == [None, 300]


def test_a_settings_post_without_lead_field_rows_leaves_the_lead_fields_alone(marketing, auth, campaign):
    campaign.custom_fields = [{"key": "fleet_size", "label": "Fleet size"}]
    db.session.commit()
    form = {key: value for key, value in NEW.items() if not key.startswith("custom_fields")}
    assert post(marketing, auth, f"/campaigns/{campaign.id}/settings", form).status_code == 303
    assert fresh(Campaign, campaign.id).custom_fields == [{"key": "fleet_size", "label": "Fleet size"}]
    # Every row posted with its label cleared: the fields are removed.
    form.update({"custom_fields-0-key": "fleet_size", "custom_fields-0-label": "", "custom_fields-1-label": ""})
    assert post(marketing, auth, f"/campaigns/{campaign.id}/settings", form).status_code == 303
    assert fresh(Campaign, campaign.id).custom_fields == []


def test_the_settings_tab_no_longer_pauses_a_campaign_its_life_actions_do(marketing, auth, campaign):
    page = marketing.get(f"/campaigns/{campaign.id}/settings").get_data(as_text=True)
    assert 'name="active"' not in page
    assert f'action="/campaigns/{campaign.id}/pause"' in page


# ---------------------------------------------------------------- its life

def test_pause_and_resume_come_back_to_the_page_they_were_pressed_on_and_are_audited(marketing, auth, campaign):
    response = post(marketing, auth, f"/campaigns/{campaign.id}/pause", {"next": f"/queue/campaigns/{campaign.id}"})
    assert response.status_code == 303 and response.headers["Location"] == f"/queue/campaigns/{campaign.id}"
    assert not fresh(Campaign, campaign.id).active
    page = marketing.get(response.headers["Location"]).get_data(as_text=True)
    assert "Main campaign: paused." in page
    assert "No lead of this campaign is called now: campaign Main campaign is paused." in page
    assert f'action="/campaigns/{campaign.id}/resume"' in page and f'/campaigns/{campaign.id}/pause"' not in page
    post(marketing, auth, f"/campaigns/{campaign.id}/resume", {})
    assert fresh(Campaign, campaign.id).active
    assert audit_actions(campaign.id) == ["campaign.paused", "campaign.resumed"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "campaign.paused")).one()
    assert (event.detail["status_before"], event.detail["status_after"]) == ("running", "paused")


def test_ending_asks_first_and_is_final(marketing, auth, campaign):
    page = marketing.get(f"/campaigns/{campaign.id}/settings").get_data(as_text=True)
    confirm = page.split('<details class="confirm-end">')[1].split("</details>")[0]
    assert "Ending is final." in confirm and "cannot be resumed" in confirm
    assert f'action="/campaigns/{campaign.id}/end"' in confirm and "End Main campaign for good" in confirm
    response = post(marketing, auth, f"/campaigns/{campaign.id}/end", {})
    assert response.headers["Location"] == f"/campaigns/{campaign.id}/settings"
    ended = fresh(Campaign, campaign.id)
    assert ended.ended_at is not None and not ended.active and ended.status() == "ended"
    page = marketing.get(response.headers["Location"]).get_data(as_text=True)
    assert "Main campaign: ended. Its leads are never called again." in page
    assert f'/campaigns/{campaign.id}/resume"' not in page and f'action="/campaigns/{campaign.id}/archive"' in page
    # A forged resume is refused, in words, and changes nothing.
    response = post(marketing, auth, f"/campaigns/{campaign.id}/resume", {})
    page = marketing.get(response.headers["Location"]).get_data(as_text=True)
    assert "an ended campaign cannot run again." in page
    assert not fresh(Campaign, campaign.id).active
    assert audit_actions(campaign.id) == ["campaign.ended"]


def test_an_archived_campaign_leaves_the_list_until_archived_ones_are_shown(marketing, auth, campaign, make_campaign):
    other = make_campaign("Still running")
    post(marketing, auth, f"/campaigns/{campaign.id}/pause", {})
    response = post(marketing, auth, f"/campaigns/{campaign.id}/archive", {"next": "/campaigns/"})
    assert response.headers["Location"] == "/campaigns/"
    page = marketing.get("/campaigns/").get_data(as_text=True)
    assert "Main campaign: archived." in page
    assert f'data-campaign="{campaign.id}"' not in page and f'data-campaign="{other.id}"' in page
    assert '<a href="/campaigns/?archived=1">Show archived campaigns (1)</a>' in page
    shown = marketing.get("/campaigns/?archived=1").get_data(as_text=True)
    assert f'data-campaign="{campaign.id}"' in shown and 'data-status="archived"' in shown
    assert "Hide archived campaigns" in shown
    response = post(marketing, auth, f"/campaigns/{campaign.id}/unarchive", {"next": "/campaigns/?archived=1"})
    assert response.headers["Location"] == "/campaigns/?archived=1"
    assert fresh(Campaign, campaign.id).status() == "paused"  # back as it was before
    assert audit_actions(campaign.id) == ["campaign.paused", "campaign.archived", "campaign.unarchived"]


def test_a_running_campaign_cannot_be_archived(marketing, auth, campaign):
    response = post(marketing, auth, f"/campaigns/{campaign.id}/archive", {})
    page = marketing.get(response.headers["Location"]).get_data(as_text=True)
    assert "Main campaign is running: pause or end it before archiving it." in page
    assert fresh(Campaign, campaign.id).archived_at is None


def test_a_life_action_never_goes_back_to_another_site(marketing, auth, campaign):
    for next_url in ("https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com"):
        response = post(marketing, auth, f"/campaigns/{campaign.id}/pause", {"next": next_url})
        assert response.headers["Location"] == f"/campaigns/{campaign.id}/settings"
        post(marketing, auth, f"/campaigns/{campaign.id}/resume", {})


def test_agents_and_sales_cannot_change_a_campaigns_life_nor_see_its_buttons(client, auth, users, campaign):
    for role in ("teleprospector", "sales"):
        auth.login(f"{role}@example.com")
        assert post(client, auth, f"/campaigns/{campaign.id}/pause", {}).status_code == 403
        auth.logout()
    auth.login("teleprospector@example.com")
    page = client.get(f"/queue/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'id="campaign-life"' in page and "/pause" not in page  # the status, no buttons
    assert fresh(Campaign, campaign.id).active


# ---------------------------------------------------------------- the list

def test_the_list_shows_status_dates_priority_leads_expected_leads_and_a_new_campaign_button(
        marketing, campaign, make_campaign, make_lead):
    from datetime import date

    make_lead(campaign)
    make_campaign("Q1 launch", start_date=date(2030, 1, 6), end_date=date(2030, 2, 28), priority=7, expected_leads=900)
    page = marketing.get("/campaigns/").get_data(as_text=True)
    assert '<a class="button primary" href="/campaigns/new">New campaign</a>' in page
    assert 'href="/campaigns/calendar"' in page
    row = page.split('data-campaign="')[1:]
    q1 = next(part for part in row if "Q1 launch" in part).split("</tr>")[0]
    assert 'data-status="scheduled">Scheduled · starts 2030-01-06</span>' in q1
    assert "2030-01-06 – 2030-02-28" in q1 and '<td class="num">7</td>' in q1 and '<td class="num">900</td>' in q1
    main = next(part for part in row if "Main campaign" in part).split("</tr>")[0]
    assert 'data-status="running">Running</span>' in main and '<td class="num">1</td>' in main
    assert "Dialable now" in main
