"""Wrong person: the contact the prospect points to becomes a new lead on the same account."""
import pytest
from sqlalchemy import func, select

from console.audit.models import AuditEvent
from console.calls import services
from console.calls.services import Referral
from console.extensions import db
from console.compliance.models import DoNotCallEntry
from console.leads.models import Lead
from console.leads.rules import QueueState
from console.queue.services import claim_next_lead


@pytest.fixture
def agent(users):
    return users["teleprospector"]


@pytest.fixture
def open_call(agent, campaign, make_lead):
    make_lead(campaign, phone="+12125550142", company="Globex Logistics")
    return claim_next_lead(agent)


def lead_count():
    return db.session.scalar(select(func.count(Lead.id)))


def test_a_referral_becomes_a_new_contact_on_the_same_account_in_the_same_campaign(agent, open_call):
    services.record_disposition(open_call, agent, "wrong_person", referral=Referral(
        "Dana", "Whitfield", "Head of Revenue Operations", "(312) 555-0187"))
    contact = open_call.referral_lead
    assert (contact.first_name, contact.last_name, contact.title) == ("Dana", "Whitfield", "Head of Revenue Operations")
    assert contact.account_id == open_call.lead.account_id and contact.campaign_id == open_call.campaign_id
    assert contact.phone == "+13125550187"  # E.164
    assert contact.zone_list == ["America/Chicago"]  # inferred from the number, so it can be called in its window
    assert contact.queue_state == QueueState.NEW and contact.source == "referral"
    assert open_call.lead.queue_state == QueueState.CLOSED
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "lead.referral_added"))
    assert event.subject_id == contact.id and event.detail["referred_by_lead_id"] == open_call.lead_id


def test_the_referred_contact_is_the_next_lead_an_agent_can_claim(agent, open_call):
    services.record_disposition(open_call, agent, "wrong_person", referral=Referral("Dana", "Whitfield", "", "3125550187"))
    assert claim_next_lead(agent).lead.full_name == "Dana Whitfield"


def test_wrong_person_without_a_referral_just_closes_the_lead(agent, open_call):
    before = lead_count()
    services.record_disposition(open_call, agent, "wrong_person", referral=Referral())
    assert lead_count() == before and open_call.referral_lead_id is None


@pytest.mark.parametrize("referral, field, message", [
    (Referral("", "Whitfield", "", "3125550187"), "referral_first_name", "first name"),
    (Referral("Dana", "", "", "3125550187"), "referral_last_name", "last name"),
    (Referral("Dana", "Whitfield", "CRO", ""), "referral_phone", "Give a phone number"),
    (Referral("Dana", "Whitfield", "CRO", "555-01"), "referral_phone", "555-01 is not a valid phone number"),
    (Referral("Dana", "Whitfield", "CRO", "+1 212 555 0142"), "referral_phone", "already has this number"),
])
def test_an_incomplete_referral_is_refused_field_by_field_and_nothing_is_saved(agent, open_call, referral, field, message):
    before = lead_count()
    with pytest.raises(services.ReferralInvalid) as refused:
        services.record_disposition(open_call, agent, "wrong_person", referral=referral)
    assert message in refused.value.field_errors[field]
    db.session.rollback()
    assert lead_count() == before
    assert db.session.get(type(open_call), open_call.id).status == "open"  # the call is still the agent's to finish


def test_a_referral_to_a_do_not_call_number_is_refused(agent, open_call, list_number):
    list_number("+13125550187")
    with pytest.raises(services.ReferralInvalid, match="do-not-call"):
        services.record_disposition(open_call, agent, "wrong_person", referral=Referral("Dana", "W", "", "3125550187"))


def test_referral_fields_sent_with_another_disposition_are_ignored(agent, open_call):
    before = lead_count()
    services.record_disposition(open_call, agent, "busy", referral=Referral("Dana", "Whitfield", "", "3125550187"))
    assert lead_count() == before
