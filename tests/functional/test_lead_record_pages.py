"""The lead record's pages: finding a lead, its page with its timeline, and its contact form (errors keep what was
typed, a save from an old page is refused with 409). Agents reach leads only through their call screen."""
import re

import pytest
from sqlalchemy import select

from console.audit.models import AuditEvent
from console.extensions import db
from console.leads.models import Lead


@pytest.fixture
def jordan(campaign, make_lead):
    return make_lead(campaign, first_name="Jordan", last_name="Rivera", phone="+12125550101", company="Acme Corp",
                     email="jordan@acme.example", title="VP Sales")


def _sign_in(client, auth, role):
    auth.login(f"{role}@example.com")
    return client


def test_the_search_page_says_how_it_matches_and_lists_the_newest_leads(client, auth, users, jordan):
    page = _sign_in(client, auth, "marketing").get("/leads/").get_data(as_text=True)
    assert "begin with them" in page and "external id exactly" in page
    assert f'href="/leads/{jordan.id}">Jordan Rivera</a>' in page and "Acme Corp" in page and "(212) 555-0101" in page


@pytest.mark.parametrize("typed", ["riv", "Acme", "212-555-0101", "jordan@acme.example", "jordan riv"])
def test_each_way_of_naming_a_lead_finds_it(client, auth, users, jordan, campaign, make_lead, typed):
    make_lead(campaign, first_name="Sam", last_name="Other", company="Zeta", phone="+14155550102")
    page = _sign_in(client, auth, "sales").get("/leads/", query_string={"q": typed}).get_data(as_text=True)
    assert "Jordan Rivera" in page and "Sam Other" not in page


def test_filters_and_the_text_come_back_in_the_form_and_the_results_alone_to_htmx(client, auth, users, jordan):
    _sign_in(client, auth, "marketing")
    query = {"q": "riv", "campaign": str(jordan.campaign_id), "stage": "lead", "band": ""}
    page = client.get("/leads/", query_string=query).get_data(as_text=True)
    assert 'value="riv"' in page and f'<option selected value="{jordan.campaign_id}">' in page
    fragment = client.get("/leads/", query_string=query,
                          headers={"HX-Request": "true", "HX-Target": "search-results"}).get_data(as_text=True)
    assert 'id="search-results"' in fragment
    assert "<html" not in fragment and "Jordan Rivera" in fragment


def test_a_filter_value_that_does_not_exist_is_shown_as_wrong_not_a_failure(client, auth, users):
    response = _sign_in(client, auth, "marketing").get("/leads/", query_string={"campaign": "999", "band": "tepid"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and page.count("Not a valid choice") == 2


def test_a_blank_filter_is_any_not_a_failure(client, auth, users, jordan):
    auth.login("marketing@example.com")
    response = client.get("/leads/?q=&list=+&campaign=%20&band=&stage=")
    assert response.status_code == 200 and "Jordan" in response.get_data(as_text=True)


def test_the_lead_page_shows_contact_campaign_fields_dialability_and_timeline(client, auth, users, make_campaign,
                                                                              make_lead):
    campaign = make_campaign(custom_fields=[{"key": "fleet_size", "label": "Fleet size"}])
    lead = make_lead(campaign, first_name="Ann", last_name="Lee", custom_fields={"fleet_size": "42"})
    page = _sign_in(client, auth, "marketing").get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Ann Lee" in page and "Fleet size" in page and "42" in page
    assert 'id="dialability-verdict"' in page and 'id="timeline"' in page
    assert f"Added to {campaign.name}" in page
    assert f'href="/leads/{lead.id}/edit"' in page


def test_sales_read_a_lead_but_are_not_offered_its_edit_form(client, auth, users, jordan):
    page = _sign_in(client, auth, "sales").get(f"/leads/{jordan.id}").get_data(as_text=True)
    assert "Jordan Rivera" in page and "/edit" not in page
    assert client.get(f"/leads/{jordan.id}/edit").status_code == 403


def test_agents_reach_leads_only_through_their_call_screen(client, auth, users, jordan):
    _sign_in(client, auth, "teleprospector")
    assert client.get("/leads/").status_code == 403
    assert client.get(f"/leads/{jordan.id}").status_code == 403
    assert auth.post(f"/leads/{jordan.id}/edit", data={"first_name": "x"}).status_code == 403


def _form(client, lead_id) -> dict:
    page = client.get(f"/leads/{lead_id}/edit").get_data(as_text=True)
    values = dict(re.findall(r'<input[^>]*?name="([\w-]+)"[^>]*?value="([^"]*)"', page))
    values["state"] = re.search(r'<select[^>]*name="state".*?<option selected value="([^"]*)"', page, re.S).group(1)
    values["buying_role"] = re.search(r'<select[^>]*name="buying_role".*?<option selected value="([^"]*)"', page,
                                      re.S).group(1)
    values.pop("csrf_token", None)
    return values


def test_a_saved_edit_is_normalised_audited_and_shown_in_the_timeline(client, auth, users, jordan):
    _sign_in(client, auth, "marketing")
    form = {**_form(client, jordan.id), "phone": "(415) 555-0150", "state": "CA", "email": "Jordan@New.Example"}
    response = auth.post(f"/leads/{jordan.id}/edit", data=form)
    assert response.status_code == 303 and response.headers["Location"] == f"/leads/{jordan.id}"
    db.session.rollback()
    lead = db.session.get(Lead, jordan.id)
    assert (lead.phone, lead.state, lead.time_zones, lead.email) == ("+14155550150", "CA", "America/Los_Angeles",
                                                                     "Jordan@new.example")
    page = client.get(f"/leads/{jordan.id}").get_data(as_text=True)
    assert "saved (email, phone, state or province, time zones)" in page
    assert "Contact data edited" in page and "Phone: (212) 555-0101 → (415) 555-0150" in page
    assert db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "lead.contact_updated")) == \
        users["marketing"].id


def test_a_wrong_value_is_shown_beside_its_field_and_what_was_typed_is_kept(client, auth, users, jordan):
    _sign_in(client, auth, "marketing")
    form = {**_form(client, jordan.id), "phone": "555-01", "email": "jordan@", "title": "Chief of Sales"}
    response = auth.post(f"/leads/{jordan.id}/edit", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "555-01 is not a valid phone number." in page and "Not an email address" in page
    assert 'value="555-01"' in page and 'value="Chief of Sales"' in page
    db.session.rollback()
    assert db.session.get(Lead, jordan.id).title == "VP Sales"


def test_a_save_from_a_page_drawn_before_another_save_is_refused_with_409(client, auth, users, jordan):
    _sign_in(client, auth, "marketing")
    old_page = _form(client, jordan.id)
    assert auth.post(f"/leads/{jordan.id}/edit", data={**old_page, "title": "CRO"}).status_code == 303
    response = auth.post(f"/leads/{jordan.id}/edit", data={**old_page, "email": "late@acme.example"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Not saved: this lead was changed by someone else" in page and 'value="late@acme.example"' in page
    db.session.rollback()
    lead = db.session.get(Lead, jordan.id)
    assert (lead.title, lead.email) == ("CRO", "jordan@acme.example")


def test_the_hand_off_packet_names_the_lead_with_a_link_to_its_page(client, auth, users, campaign, make_lead):
    from console.calls import services as calls
    from console.queue.services import claim_next_lead

    agent = users["teleprospector"]
    lead = make_lead(campaign, first_name="Jordan", last_name="Rivera")
    call = claim_next_lead(agent)
    for key, value in {"budget": "confirmed", "authority": "decision_maker", "need": "urgent",
                       "timeline": "under_3_months"}.items():
        calls.save_answer(call, agent, key, value)
    handoff = calls.record_disposition(call, agent, "qualified")
    page = _sign_in(client, auth, "sales").get(f"/handoffs/{handoff.id}").get_data(as_text=True)
    assert f'<a href="/leads/{lead.id}">Jordan Rivera</a>' in page
