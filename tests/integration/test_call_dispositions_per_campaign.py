"""Marketing sets each disposition's next action per campaign; agents' dispositions then follow it."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from console.audit.models import AuditEvent
from console.calls import services
from console.calls.models import DispositionSetting
from console.calls.rules import NextAction
from console.campaigns import services as campaign_services
from console.calls.services import DispositionChoice, DispositionSettingsInvalid, save_disposition_settings
from console.extensions import db
from console.leads.rules import QueueState
from console.queue.services import claim_next_lead


@pytest.fixture
def agent(users):
    return users["teleprospector"]


@pytest.fixture
def marketer(users):
    return users["marketing"]


def call_in(campaign, make_lead, agent):
    make_lead(campaign)
    return claim_next_lead(agent)


def test_a_campaign_that_closes_busy_leads_closes_them(agent, marketer, campaign, make_lead):
    save_disposition_settings(campaign, marketer, [DispositionChoice("busy", NextAction.CLOSE, None)])
    call = call_in(campaign, make_lead, agent)
    services.record_disposition(call, agent, "busy")
    assert call.lead.queue_state == QueueState.CLOSED and call.lead.next_call_at is None
    assert call.next_action == NextAction.CLOSE


def test_each_campaign_keeps_its_own_next_actions(agent, marketer, campaign, make_campaign, make_lead):
    other = make_campaign("Other campaign", priority=-1)
    save_disposition_settings(campaign, marketer, [DispositionChoice("busy", NextAction.CLOSE, None)])
    call = call_in(other, make_lead, agent)
    services.record_disposition(call, agent, "busy")
    assert call.lead.queue_state == QueueState.RETRY  # the default, untouched by the first campaign's choice


def test_retry_in_uses_the_campaigns_delay(agent, marketer, make_campaign, make_lead):
    campaign = make_campaign(min_retry_minutes=10)
    save_disposition_settings(campaign, marketer,
                                                [DispositionChoice("voicemail", NextAction.RETRY_IN, 90)])
    call = call_in(campaign, make_lead, agent)
    services.record_disposition(call, agent, "voicemail")
    assert call.lead.next_call_at == call.ended_at + timedelta(minutes=90)


def test_end_of_queue_brings_the_lead_back_after_the_campaigns_spacing(agent, marketer, make_campaign, make_lead):
    campaign = make_campaign(min_retry_minutes=15)
    save_disposition_settings(campaign, marketer,
                                                [DispositionChoice("no_answer", NextAction.END_OF_QUEUE, None)])
    call = call_in(campaign, make_lead, agent)
    services.record_disposition(call, agent, "no_answer")
    assert call.lead.queue_state == QueueState.RETRY
    assert call.lead.next_call_at == call.ended_at + timedelta(minutes=15)
    assert call.next_action == NextAction.END_OF_QUEUE


def test_choosing_the_default_again_removes_the_override(marketer, campaign):
    save_disposition_settings(campaign, marketer, [DispositionChoice("busy", NextAction.CLOSE, None)])
    save_disposition_settings(campaign, marketer, [DispositionChoice("busy", NextAction.RETRY_IN, 30)])
    assert db.session.scalar(select(func.count(DispositionSetting.id))) == 0
    assert {d.code: d for d in services.dispositions_for(campaign.id)}["busy"].retry_minutes == 30


def test_a_change_of_next_action_is_audited_with_before_and_after(marketer, campaign):
    changed = save_disposition_settings(
        campaign, marketer, [DispositionChoice("gatekeeper", NextAction.RETRY_IN, 120),
                             DispositionChoice("busy", NextAction.RETRY_IN, 30)])  # unchanged: not reported
    assert changed == {"gatekeeper": ["Retry in 1 day", "Retry in 2 h"]}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign.dispositions_changed"))
    assert event.actor_id == marketer.id and event.subject_id == campaign.id
    assert event.detail["changes"] == {"gatekeeper": ["Retry in 1 day", "Retry in 2 h"]}


def test_saving_without_changes_writes_no_audit_row(marketer, campaign):
    save_disposition_settings(campaign, marketer, [DispositionChoice("busy", NextAction.RETRY_IN, 30)])
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "campaign.dispositions_changed")) == 0


def test_a_fixed_disposition_cannot_be_changed_by_a_forged_form(marketer, campaign):
    with pytest.raises(DispositionSettingsInvalid) as refused:
        save_disposition_settings(campaign, marketer,
                                                    [DispositionChoice("do_not_call", NextAction.RETRY_IN, 5)])
    assert "never called again" in refused.value.field_errors["do_not_call"]
    db.session.rollback()
    assert db.session.scalar(select(func.count(DispositionSetting.id))) == 0


def test_a_campaign_rename_is_refused_when_the_name_is_taken(marketer, campaign, make_campaign):
    other = make_campaign("Taken name")
    with pytest.raises(campaign_services.CampaignInvalid) as refused:
        campaign_services.update_campaign(other, marketer, {"name": "Main campaign"})
    assert refused.value.field_errors == {"name": "Another campaign already has this name."}


def test_a_campaign_settings_change_is_audited_field_by_field(marketer, campaign):
    changed = campaign_services.update_campaign(campaign, marketer, {
        "name": campaign.name, "max_attempts": 3, "min_retry_minutes": campaign.min_retry_minutes})
    assert set(changed) == {"max_attempts"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign.updated"))
    assert event.detail["changes"] == {"max_attempts": [6, 3]}
