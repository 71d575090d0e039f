"""Changing a lead's contact data through its one writer (console.leads.services.update_contact): numbers normalised,
zones re-inferred, the do-not-call list checked again, the queue columns right, a stale page refused, audited."""
import pytest
from sqlalchemy import select

from console.audit.models import AuditEvent
from console.extensions import db
from console.leads import services as leads
from console.leads.models import Lead


def _fresh(lead) -> Lead:
    db.session.expire_all()
    return db.session.get(Lead, lead.id)


def _changes(lead, **values):
    """Every field of the form as the page shows them, with these values typed."""
    changes = {name: getattr(lead, name) or "" for name in
               ("first_name", "last_name", "title", "buying_role", "email", "phone", "alternate_phone", "state",
                "country")}
    changes.update(values)
    return changes


@pytest.fixture
def lead(campaign, make_lead):
    return make_lead(campaign, phone="+12125550150", state="NY")


def test_a_new_number_is_stored_in_e164_and_the_zones_follow_it(users, lead):
    changed = leads.update_contact(lead, users["marketing"], _changes(lead, phone="(415) 555-0150", state="CA"),
                                   lead.version)
    lead = _fresh(lead)
    assert (lead.phone, lead.state, lead.time_zones) == ("+14155550150", "CA", "America/Los_Angeles")
    assert set(changed) == {"phone", "state", "time_zones"}
    assert lead.window_key.startswith("America/Los_Angeles")


def test_a_new_state_alone_re_infers_the_zones_of_a_number_that_says_nothing(users, campaign, make_lead):
    toll_free = make_lead(campaign, phone="+18005550199", state=None, time_zones="")
    leads.update_contact(toll_free, users["marketing"], _changes(toll_free, state="GA"), toll_free.version)
    assert _fresh(toll_free).time_zones == "America/New_York"


def test_a_number_on_the_do_not_call_list_takes_the_lead_out_of_the_queue(users, lead, list_number):
    list_number("+13125550160")
    leads.update_contact(lead, users["marketing"], _changes(lead, phone="312-555-0160"), lead.version)
    lead = _fresh(lead)
    assert lead.do_not_call and lead.queue_rank is None
    leads.update_contact(lead, users["marketing"], _changes(lead, phone="312-555-0161"), lead.version)
    lead = _fresh(lead)
    assert not lead.do_not_call and lead.queue_rank is not None


def test_only_what_changed_is_audited_before_and_after(users, lead):
    leads.update_contact(lead, users["marketing"], _changes(lead, email="NEW@Example.com", title="CFO"), lead.version)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lead.contact_updated")).one()
    assert (event.subject_type, event.subject_id, event.actor_id) == ("Lead", lead.id, users["marketing"].id)
    assert event.detail["after"] == {"email": "NEW@example.com", "title": "CFO"}
    assert set(event.detail["before"]) == {"email", "title"}


def test_a_save_that_changes_nothing_writes_nothing(users, lead):
    version = lead.version
    assert leads.update_contact(lead, users["marketing"], _changes(lead), version) == {}
    assert _fresh(lead).version == version
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "lead.contact_updated")) is None


def test_a_save_from_a_page_drawn_before_another_change_is_refused_and_writes_nothing(users, lead):
    seen = lead.version
    leads.update_contact(lead, users["admin"], _changes(lead, title="Head of Sales"), seen)
    stale = _fresh(lead)
    with pytest.raises(leads.StaleLead):
        leads.update_contact(stale, users["marketing"], _changes(stale, title="VP Sales", email="x@example.com"), seen)
    lead = _fresh(lead)
    assert (lead.title, lead.email) == ("Head of Sales", stale.email)
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lead.contact_updated")).all()) == 1


def test_wrong_data_is_refused_field_by_field_and_nothing_is_written(users, lead):
    before = (lead.phone, lead.email, lead.version)
    with pytest.raises(leads.ContactInvalid) as refused:
        leads.update_contact(lead, users["marketing"], _changes(lead, phone="555", email="nobody@", first_name=""),
                             lead.version)
    assert set(refused.value.field_errors) == {"phone", "email", "first_name"}
    lead = _fresh(lead)
    assert (lead.phone, lead.email, lead.version) == before


def test_a_number_another_lead_of_the_campaign_has_is_refused(users, campaign, make_lead, lead):
    other = make_lead(campaign, phone="+12125550151", first_name="Sam", last_name="Other")
    with pytest.raises(leads.ContactInvalid) as refused:
        leads.update_contact(lead, users["marketing"], _changes(lead, phone="212 555 0151"), lead.version)
    assert refused.value.field_errors == {"phone": f"{other.full_name} already has this number in this campaign."}


def test_the_campaigns_own_fields_are_kept_by_key(users, make_campaign, make_lead):
    campaign = make_campaign(custom_fields=[{"key": "fleet_size", "label": "Fleet size"},
                                            {"key": "crm", "label": "CRM in use"}])
    lead = make_lead(campaign, custom_fields={"fleet_size": "12", "retired_field": "kept"})
    leads.update_contact(lead, users["marketing"],
                         {**_changes(lead), "custom_fields": {"fleet_size": "40", "crm": "Salesforce"}}, lead.version)
    assert _fresh(lead).custom_fields == {"fleet_size": "40", "crm": "Salesforce", "retired_field": "kept"}
